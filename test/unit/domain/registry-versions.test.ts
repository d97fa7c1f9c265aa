import { describe, expect, it } from 'vitest';
import {
  ConcurrentModificationError,
  InvalidParameterValueError,
  InvalidStateError,
  ModelVersionDoesNotExistError,
  RegisteredModelDoesNotExistError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import { requireRecord } from '#domain/registry/dependencies.ts';
import {
  createRegisteredModel,
  setRegisteredModelAlias,
} from '#domain/registry/models.ts';
import { stagesOf as membersOf } from '#domain/registry/stage-members.ts';
import {
  createModelVersion,
  deleteModelVersion,
  deleteModelVersionTag,
  getModelVersion,
  getModelVersionDownloadUri,
  listModelVersionActivities,
  setModelVersionTag,
  updateModelVersion,
} from '#domain/registry/versions.ts';
import type { ModelRecord } from '#ports/model-registry-store.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';
import {
  alice,
  bob,
  expectRefusal,
  modelWithVersions,
  moveTo,
  NOW,
  registryWorld,
} from './support/registry.ts';

describe('registry versions', () => {
  describe('createModelVersion', () => {
    it('registers a READY version in None with the given fields, stamped by the caller', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });
      world.clock.now = NOW + 10;

      // Act
      const view = await createModelVersion(world, bob, {
        name: 'fraud',
        source: 's3://bucket/fraud/1',
        runId: 'run-1',
        runLink: 'https://mlflow.example.com/runs/run-1',
        description: 'first cut',
        tags: [
          { key: 'z', value: '1' },
          { key: 'a', value: '2' },
        ],
      });

      // Assess
      expect(view).toStrictEqual({
        modelId: view.modelId,
        name: 'fraud',
        version: 1,
        currentStage: 'None',
        description: 'first cut',
        source: 's3://bucket/fraud/1',
        runId: 'run-1',
        runLink: 'https://mlflow.example.com/runs/run-1',
        status: 'READY',
        statusMessage: '',
        tags: [
          { key: 'a', value: '2' },
          { key: 'z', value: '1' },
        ],
        creationTimestamp: NOW + 10,
        lastUpdatedTimestamp: NOW + 10,
        userId: 'bob@example.com',
        aliases: [],
      });
      expect(
        await getModelVersion(world, { name: 'fraud', version: 1 })
      ).toEqual(view);
    });

    it('numbers versions 1, 2, 3 and never reuses the number of a deleted one', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 2);
      await deleteModelVersion(world, { name: 'fraud', version: 2 });

      // Act
      const next = await createModelVersion(world, alice, {
        name: 'fraud',
        source: 's3://bucket/fraud/3',
      });

      // Assess
      expect(next.version).toBe(3);
      expect(membersOf(await requireRecord(world, 'fraud')).None).toStrictEqual(
        [1, 3]
      );
    });

    it('takes the next number when a concurrent create took this one', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });

      // Act
      const created = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          createModelVersion(world, alice, {
            name: 'fraud',
            source: `s3://bucket/fraud/${i}`,
          })
        )
      );

      // Assess
      expect(created.map((v) => v.version).sort()).toStrictEqual([
        1, 2, 3, 4, 5,
      ]);
    });

    it('takes a number of its own after losing the race, never racing again', async () => {
      // Prepare
      let attempts = 0;
      const store = new (class extends MemoryModelRegistryStore {
        override async createVersion(
          ...args: Parameters<MemoryModelRegistryStore['createVersion']>
        ): Promise<void> {
          attempts += 1;
          return super.createVersion(...args);
        }
      })();
      const world = registryWorld(store);
      await createRegisteredModel(world, alice, { name: 'fraud' });

      // Act
      const created = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          createModelVersion(world, alice, {
            name: 'fraud',
            source: `s3://bucket/fraud/${i}`,
          })
        )
      );

      // Assess: one write each, plus one lost race for all but the first.
      expect(created.map((v) => Number(v.version)).sort()).toStrictEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
      expect(attempts).toBe(15);
      const record = await requireRecord(world, 'fraud');
      expect(record.versionCounter).toBe(8);
      expect(membersOf(record).None).toStrictEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('refuses a claimed number past the bound', async () => {
      // Prepare: the counter moves on between the read and the write.
      const store = new (class extends MemoryModelRegistryStore {
        override async createVersion(
          ...args: Parameters<MemoryModelRegistryStore['createVersion']>
        ): Promise<void> {
          if (!args[4]) {
            throw new ConcurrentModificationError('taken');
          }
          return super.createVersion(...args);
        }
        override async claimVersionNumber(): Promise<number | undefined> {
          return undefined;
        }
      })();
      const world = registryWorld(store);
      await createRegisteredModel(world, alice, { name: 'fraud' });

      // Act
      const attempt = createModelVersion(world, alice, {
        name: 'fraud',
        source: 's3://bucket/fraud/x',
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        `the most one model can hold (${limits.versionsPerModel})`
      );
    });

    it(`refuses a version past ${limits.versionsPerModel}, naming the bound`, async () => {
      // Prepare
      const store = new (class extends MemoryModelRegistryStore {
        override async getModelRecordByName(
          name: string
        ): Promise<ModelRecord | undefined> {
          const record = await super.getModelRecordByName(name);
          return (
            record && { ...record, versionCounter: limits.versionsPerModel }
          );
        }
      })();
      const world = registryWorld(store);
      await createRegisteredModel(world, alice, { name: 'fraud' });

      // Act
      const attempt = createModelVersion(world, alice, {
        name: 'fraud',
        source: 's3://bucket/fraud/x',
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        `the most one model can hold (${limits.versionsPerModel})`
      );
    });

    it.each([
      [
        'a local path',
        { source: '/tmp/model' },
        'Invalid model version source',
      ],
      [
        'a run id over its limit',
        { runId: 'r'.repeat(limits.runIdLength + 1) },
        `run_id had length ${limits.runIdLength + 1}`,
      ],
      [
        'a description over its limit',
        { description: 'd'.repeat(limits.descriptionLength + 1) },
        /description/i,
      ],
    ])('refuses %s without creating anything', async (_, input, message) => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });

      // Act
      const attempt = createModelVersion(world, alice, {
        name: 'fraud',
        source: 's3://bucket/fraud/1',
        ...input,
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        message
      );
      expect((await requireRecord(world, 'fraud')).versionCounter).toBe(0);
    });

    it('refuses an upload source with 409 where the registry manages no uploads', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });

      // Act
      const attempt = createModelVersion(world, alice, {
        name: 'fraud',
        source: `stagegate-upload:${'a'.repeat(32)}`,
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidStateError,
        'INVALID_STATE',
        'This registry is not configured to manage artifact uploads.'
      );
      expect((await requireRecord(world, 'fraud')).versionCounter).toBe(0);
    });

    it('answers 404 for a model that does not exist', async () => {
      // Prepare
      const world = registryWorld();

      // Act
      const attempt = createModelVersion(world, alice, {
        name: 'missing',
        source: 's3://bucket/x',
      });

      // Assess
      await expectRefusal(
        attempt,
        RegisteredModelDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
    });
  });

  describe('getModelVersion', () => {
    it('answers the version with its aliases', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 2);
      await setRegisteredModelAlias(world, {
        name: 'fraud',
        alias: 'champion',
        version: 2,
      });

      // Act
      const view = await getModelVersion(world, { name: 'fraud', version: 2 });

      // Assess
      expect(view).toMatchObject({ version: 2, aliases: ['champion'] });
    });

    it('answers 404 for a version number never assigned, and 400 for one that is not a number', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);

      // Act
      const missing = getModelVersion(world, { name: 'fraud', version: 9 });
      const garbage = getModelVersion(world, { name: 'fraud', version: '1.5' });

      // Assess
      await expectRefusal(
        missing,
        ModelVersionDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST',
        'Model Version (name=fraud, version=9) not found'
      );
      await expectRefusal(
        garbage,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE'
      );
    });
  });

  describe('updateModelVersion', () => {
    it('replaces the description and stamps the update time', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      world.clock.now = NOW + 99;

      // Act
      const view = await updateModelVersion(world, {
        name: 'fraud',
        version: '1',
        description: 'retrained',
      });

      // Assess
      expect(view).toMatchObject({
        description: 'retrained',
        creationTimestamp: NOW,
        lastUpdatedTimestamp: NOW + 99,
      });
    });

    it('changes nothing without a description', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      const before = await getModelVersion(world, {
        name: 'fraud',
        version: 1,
      });
      world.clock.now = NOW + 99;

      // Act
      const view = await updateModelVersion(world, {
        name: 'fraud',
        version: 1,
      });

      // Assess
      expect(view).toStrictEqual(before);
    });

    it('answers 404 for a version that does not exist', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);

      // Act
      const attempt = updateModelVersion(world, {
        name: 'fraud',
        version: 2,
        description: 'x',
      });

      // Assess
      await expectRefusal(
        attempt,
        ModelVersionDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
    });
  });

  describe('deleteModelVersion', () => {
    it('removes the version with its aliases and activities, and reports it deleted', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 2);
      await moveTo(world, 'fraud', 'Archived', [1]);
      await setRegisteredModelAlias(world, {
        name: 'fraud',
        alias: 'old',
        version: 1,
      });
      world.changes.length = 0;

      // Act
      await deleteModelVersion(world, { name: 'fraud', version: 1 });

      // Assess
      const record = await requireRecord(world, 'fraud');
      await expectRefusal(
        getModelVersion(world, { name: 'fraud', version: 1 }),
        ModelVersionDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
      expect(record.model.aliases).toStrictEqual([]);
      expect(membersOf(record).Archived).toStrictEqual([]);
      expect(await world.store.listActivities(record.model.id, 1)).toEqual([]);
      expect(world.changes.map((c) => c.changes)).toStrictEqual([
        [{ version: 1, stage: 'DELETED' }],
      ]);
    });

    it.each(['Staging', 'Production'] as const)(
      'refuses a version in %s, keeping it',
      async (stage) => {
        // Prepare
        const world = registryWorld();
        await modelWithVersions(world, 'fraud', 1);
        await moveTo(world, 'fraud', stage, [1]);

        // Act
        const attempt = deleteModelVersion(world, {
          name: 'fraud',
          version: 1,
        });

        // Assess
        await expectRefusal(
          attempt,
          InvalidStateError,
          'INVALID_STATE',
          `Cannot delete version 1 of registered model 'fraud': it is in ${stage}. Only versions in None or Archived can be deleted.`
        );
        expect(
          (await getModelVersion(world, { name: 'fraud', version: 1 }))
            .currentStage
        ).toBe(stage);
      }
    );
  });

  describe('version tags', () => {
    it('sets, replaces and deletes a tag, answered in key order', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      const at = { name: 'fraud', version: 1 };

      // Act
      await setModelVersionTag(world, alice, { ...at, key: 'b', value: '1' });
      await setModelVersionTag(world, alice, { ...at, key: 'a', value: '1' });
      await setModelVersionTag(world, alice, { ...at, key: 'b', value: '2' });
      const both = (await getModelVersion(world, at)).tags;
      await deleteModelVersionTag(world, { ...at, key: 'a' });

      // Assess
      expect(both).toStrictEqual([
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ]);
      expect((await getModelVersion(world, at)).tags).toStrictEqual([
        { key: 'b', value: '2' },
      ]);
    });

    it('answers 404 for deleting a tag the version does not have', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);

      // Act
      const attempt = deleteModelVersionTag(world, {
        name: 'fraud',
        version: 1,
        key: 'absent',
      });

      // Assess
      await expectRefusal(
        attempt,
        ResourceDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST',
        'No tag with name: absent in model version fraud version 1.'
      );
    });

    it(`refuses tag ${limits.tagsPerEntity + 1} of one version`, async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      const at = { name: 'fraud', version: 1 };
      for (let i = 0; i < limits.tagsPerEntity; i += 1) {
        await setModelVersionTag(world, alice, {
          ...at,
          key: `k${i}`,
          value: 'v',
        });
      }

      // Act
      const attempt = setModelVersionTag(world, alice, {
        ...at,
        key: 'one-more',
        value: 'v',
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE'
      );
      expect((await getModelVersion(world, at)).tags).toHaveLength(
        limits.tagsPerEntity
      );
    });
  });

  describe('getModelVersionDownloadUri', () => {
    it('answers the source as registered for a source the registry does not manage', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);

      // Act
      const uri = await getModelVersionDownloadUri(world, {
        name: 'fraud',
        version: 1,
      });

      // Assess
      expect(uri).toBe('s3://bucket/fraud/1');
    });
  });

  describe('listModelVersionActivities', () => {
    it("lists the version's activities oldest first, and 404 for a version that does not exist", async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      await moveTo(world, 'fraud', 'Staging', [1]);
      world.clock.now = NOW + 1;
      await moveTo(world, 'fraud', 'Production', [1]);

      // Act
      const activities = await listModelVersionActivities(world, {
        name: 'fraud',
        version: 1,
      });
      const missing = listModelVersionActivities(world, {
        name: 'fraud',
        version: 2,
      });

      // Assess
      expect(activities.map((a) => [a.fromStage, a.toStage])).toStrictEqual([
        ['None', 'Staging'],
        ['Staging', 'Production'],
      ]);
      await expectRefusal(
        missing,
        ModelVersionDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
    });
  });
});
