import { describe, expect, it } from 'vitest';
import { purgeDeletedArtifacts } from '#domain/artifacts/purge.ts';
import { MemoryArtifactStore } from '#test/support/memory-artifact-store.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const MODEL = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const OPTIONS = { graceMs: HOUR, maxPurgesPerRun: 10, maxObjectsPerRun: 100 };

function object(key: string) {
  return { key, size: 10, lastModified: T0 };
}

/** A registry whose model MODEL had versions 1 and 2, with managed files. */
async function setUp(now: number) {
  const registry = new MemoryModelRegistryStore();
  await registry.createRegisteredModel(
    {
      id: MODEL,
      name: 'm',
      description: '',
      creationTimestamp: T0,
      lastUpdatedTimestamp: T0,
      userId: 'alice',
      tags: [],
      aliases: [],
    },
    []
  );
  for (const version of [1, 2]) {
    const record = await registry.getModelRecordById(MODEL);
    if (!record) throw new Error('no model');
    await registry.createVersion(record, {
      modelId: MODEL,
      version,
      currentStage: 'None',
      description: '',
      source: 'stagegate-upload:x',
      runId: '',
      runLink: '',
      status: 'READY',
      statusMessage: '',
      tags: [],
      creationTimestamp: T0,
      lastUpdatedTimestamp: T0,
      userId: 'alice',
    });
  }
  const artifacts = new MemoryArtifactStore([
    object(`mlflow-registry/${MODEL}/1/model.pkl`),
    object(`mlflow-registry/${MODEL}/1/.stagegate-manifest.json`),
    object(`mlflow-registry/${MODEL}/2/model.pkl`),
    object(`mlflow-registry/${MODEL}/10/model.pkl`),
    object(`mlflow-registry/${OTHER}/1/model.pkl`),
  ]);
  let clock = now;
  return {
    registry,
    artifacts,
    deps: {
      purges: registry.purges,
      artifacts,
      now: () => clock,
    },
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

async function deleteVersion(
  registry: MemoryModelRegistryStore,
  version: number,
  now: number
) {
  const record = await registry.getModelRecordById(MODEL);
  if (!record) throw new Error('no model');
  await registry.deleteVersion({
    record,
    version,
    stage: 'None',
    aliases: [],
    now,
  });
}

describe('purgeDeletedArtifacts', () => {
  it("removes a deleted version's managed files, and only those, once the grace has passed", async () => {
    // Prepare
    const { registry, artifacts, deps, advance } = await setUp(T0);
    await deleteVersion(registry, 1, T0);

    // Act
    const early = await purgeDeletedArtifacts(deps, OPTIONS);
    advance(HOUR + 1);
    const late = await purgeDeletedArtifacts(deps, OPTIONS);
    const again = await purgeDeletedArtifacts(deps, OPTIONS);

    // Assess
    expect(early).toEqual({ purged: 0, objectsDeleted: 0, bytesDeleted: 0 });
    expect(late).toEqual({ purged: 1, objectsDeleted: 2, bytesDeleted: 20 });
    expect(again.purged).toBe(0);
    expect(artifacts.keys()).toEqual([
      `mlflow-registry/${MODEL}/10/model.pkl`,
      `mlflow-registry/${MODEL}/2/model.pkl`,
      `mlflow-registry/${OTHER}/1/model.pkl`,
    ]);
  });

  it("removes every version's files of a deleted model", async () => {
    // Prepare
    const { registry, artifacts, deps, advance } = await setUp(T0);
    const record = await registry.getModelRecordById(MODEL);
    if (!record) throw new Error('no model');
    await registry.deleteModel(record, T0);
    advance(HOUR + 1);

    // Act
    const report = await purgeDeletedArtifacts(deps, OPTIONS);

    // Assess
    expect(report).toMatchObject({ purged: 1, objectsDeleted: 4 });
    expect(artifacts.keys()).toEqual([`mlflow-registry/${OTHER}/1/model.pkl`]);
  });

  it("stops at the run's object budget and finishes the purge next run", async () => {
    // Prepare
    const { registry, artifacts, deps, advance } = await setUp(T0);
    await deleteVersion(registry, 1, T0);
    advance(HOUR + 1);

    // Act
    const first = await purgeDeletedArtifacts(deps, {
      ...OPTIONS,
      maxObjectsPerRun: 1,
    });
    const second = await purgeDeletedArtifacts(deps, {
      ...OPTIONS,
      maxObjectsPerRun: 1,
    });

    // Assess
    expect(first).toMatchObject({ purged: 0, objectsDeleted: 1 });
    expect(second).toMatchObject({ purged: 1, objectsDeleted: 1 });
    expect(artifacts.keys()).not.toContain(
      `mlflow-registry/${MODEL}/1/model.pkl`
    );
    expect(
      await registry.purges.listPurges(Number.MAX_SAFE_INTEGER, 10)
    ).toEqual([]);
  });
});
