import { describe, expect, it } from 'vitest';
import { ConcurrentModificationError } from '#domain/errors.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import type { ArtifactPurgeStore } from '#ports/artifact-purge-store.ts';
import type {
  ModelRecord,
  ModelRegistryStore,
} from '#ports/model-registry-store.ts';
import { aModelVersion } from '#test/support/registry-fixtures.ts';

/** A registry with no models yet, and the purges its deletions record. */
export type ArtifactPurgeStoreFactory = () => Promise<{
  registry: ModelRegistryStore;
  purges: ArtifactPurgeStore;
}>;

const T0 = 1_700_000_000_000;
const MODEL_ID = '0123456789abcdef0123456789abcdef';

async function modelWithVersions(
  registry: ModelRegistryStore,
  count: number
): Promise<ModelRecord> {
  await registry.createRegisteredModel(
    {
      id: MODEL_ID,
      name: 'fraud-detector',
      description: '',
      creationTimestamp: T0,
      lastUpdatedTimestamp: T0,
      userId: 'alice@example.com',
      tags: [],
      aliases: [],
    },
    []
  );
  for (let version = 1; version <= count; version++) {
    await registry.createVersion(await recordOf(registry), aVersion(version));
  }
  return recordOf(registry);
}

function aVersion(version: number): ModelVersion {
  return aModelVersion({
    modelId: MODEL_ID,
    version,
    creationTimestamp: T0 + version,
    lastUpdatedTimestamp: T0 + version,
  });
}

async function recordOf(registry: ModelRegistryStore): Promise<ModelRecord> {
  const record = await registry.getModelRecordById(MODEL_ID);
  if (!record) throw new Error('no model');
  return record;
}

/**
 * The purges of managed files that deletions record in their own
 * transaction, run against the in-memory fake and DynamoDB Local.
 */
export function describeArtifactPurgeStoreContract(
  implementation: string,
  create: ArtifactPurgeStoreFactory
): void {
  describe(`ArtifactPurgeStore contract (${implementation})`, () => {
    it('records the purge of a deleted version, at the time of its deletion', async () => {
      // Prepare
      const { registry, purges } = await create();
      const record = await modelWithVersions(registry, 2);

      // Act
      await registry.deleteVersion({
        record,
        version: 2,
        stage: 'None',
        aliases: [],
        now: T0 + 500,
      });

      // Assess
      expect(await purges.listPurges(T0 + 501, 10)).toEqual([
        { modelId: MODEL_ID, version: 2, requestedAt: T0 + 500 },
      ]);
      expect(await purges.listPurges(T0 + 500, 10)).toEqual([]);
    });

    it("records the purge of a deleted model's files, every version's", async () => {
      // Prepare
      const { registry, purges } = await create();
      const record = await modelWithVersions(registry, 1);

      // Act
      await registry.deleteModel(record, T0 + 700);

      // Assess
      expect(await purges.listPurges(T0 + 701, 10)).toEqual([
        { modelId: MODEL_ID, requestedAt: T0 + 700 },
      ]);
    });

    it('lists the oldest first, at most the limit, and forgets a finished one', async () => {
      // Prepare
      const { registry, purges } = await create();
      let record = await modelWithVersions(registry, 3);
      for (const version of [3, 1, 2]) {
        await registry.deleteVersion({
          record,
          version,
          stage: 'None',
          aliases: [],
          now: T0 + 100 * version,
        });
        record = await recordOf(registry);
      }

      // Act
      const firstTwo = await purges.listPurges(T0 + 1000, 2);
      await purges.finishPurge(firstTwo[0] ?? { modelId: '', requestedAt: 0 });

      // Assess
      expect(firstTwo.map((purge) => purge.version)).toEqual([1, 2]);
      expect(
        (await purges.listPurges(T0 + 1000, 10)).map((purge) => purge.version)
      ).toEqual([2, 3]);
    });

    it('records nothing for a deletion that does not commit', async () => {
      // Prepare
      const { registry, purges } = await create();
      const stale = await modelWithVersions(registry, 1);
      await registry.createVersion(stale, aVersion(2));

      // Act
      const attempt = registry.deleteModel(stale, T0 + 900);

      // Assess
      await expect(attempt).rejects.toThrow(ConcurrentModificationError);
      expect(await purges.listPurges(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    });
  });
}
