import { describe, expect, it } from 'vitest';
import {
  InvalidParameterValueError,
  InvalidStateError,
  ModelVersionDoesNotExistError,
  RegisteredModelAlreadyExistsError,
  RegisteredModelDoesNotExistError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import {
  createRegisteredModel,
  deleteRegisteredModel,
  deleteRegisteredModelAlias,
  deleteRegisteredModelTag,
  getLatestVersions,
  getModelVersionByAlias,
  getRegisteredModel,
  renameRegisteredModel,
  setRegisteredModelAlias,
  setRegisteredModelTag,
  updateRegisteredModel,
} from '#domain/registry/models.ts';
import {
  deleteModelVersion,
  getModelVersion,
} from '#domain/registry/versions.ts';
import type { Webhook } from '#domain/webhook.ts';
import { MemoryWebhookStore } from '#test/support/memory-webhook-store.ts';
import {
  alice,
  expectRefusal,
  modelWithVersions,
  moveTo,
  NOW,
  registryWorld,
} from './support/registry.ts';

describe('registry models', () => {
  describe('createRegisteredModel', () => {
    it('grants a group-less service principal creator Can Manage too', async () => {
      // Prepare
      const world = registryWorld();
      const robot = {
        ...alice,
        id: '7',
        userName: 'app-1234',
        kind: 'service_principal' as const,
      };

      // Act
      await createRegisteredModel(world, robot, { name: 'fraud' });

      // Assess
      expect(
        (await world.store.getModelRecordByName('fraud'))?.grants
      ).toStrictEqual([
        {
          grantee: { kind: 'service_principal', name: 'app-1234' },
          level: 'CAN_MANAGE',
        },
      ]);
    });
  });

  describe('updateRegisteredModel', () => {
    it('replaces the description and moves the last update', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });
      world.clock.now = NOW + 5;

      // Act
      const view = await updateRegisteredModel(world, {
        name: 'fraud',
        description: 'Scores payments',
      });

      // Assess
      expect(view.model).toMatchObject({
        description: 'Scores payments',
        creationTimestamp: NOW,
        lastUpdatedTimestamp: NOW + 5,
      });
    });

    it('changes nothing without a description, and 404 for an unknown model', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });
      const before = await getRegisteredModel(world, 'fraud');
      world.clock.now = NOW + 5;

      // Act
      const view = await updateRegisteredModel(world, { name: 'fraud' });
      const missing = updateRegisteredModel(world, {
        name: 'missing',
        description: 'x',
      });

      // Assess
      expect(view).toStrictEqual(before);
      await expectRefusal(
        missing,
        RegisteredModelDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
    });
  });

  describe('renameRegisteredModel', () => {
    it('moves the model, its versions and its aliases to the new name', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      await setRegisteredModelAlias(world, {
        name: 'fraud',
        alias: 'champion',
        version: 1,
      });
      const { model } = await getRegisteredModel(world, 'fraud');
      world.clock.now = NOW + 5;

      // Act
      const view = await renameRegisteredModel(world, {
        name: 'fraud',
        newName: 'fraud-v2',
      });

      // Assess
      expect(view.model).toMatchObject({
        id: model.id,
        name: 'fraud-v2',
        lastUpdatedTimestamp: NOW + 5,
      });
      expect(
        await getModelVersionByAlias(world, {
          name: 'fraud-v2',
          alias: 'champion',
        })
      ).toMatchObject({ name: 'fraud-v2', version: 1 });
      await expectRefusal(
        getRegisteredModel(world, 'fraud'),
        RegisteredModelDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
    });

    it('leaves a model renamed to its own name as it is', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });
      const before = await getRegisteredModel(world, 'fraud');

      // Act
      const view = await renameRegisteredModel(world, {
        name: 'fraud',
        newName: 'fraud',
      });

      // Assess
      expect(view).toStrictEqual(before);
    });

    it('refuses a name that is taken, keeping both models', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });
      await createRegisteredModel(world, alice, { name: 'churn' });

      // Act
      const attempt = renameRegisteredModel(world, {
        name: 'fraud',
        newName: 'churn',
      });

      // Assess
      await expectRefusal(
        attempt,
        RegisteredModelAlreadyExistsError,
        'RESOURCE_ALREADY_EXISTS'
      );
      await expect(getRegisteredModel(world, 'fraud')).resolves.toBeDefined();
    });

    it.each(['Staging', 'Production'] as const)(
      'refuses while a version is in %s, naming the versions',
      async (stage) => {
        // Prepare
        const world = registryWorld();
        await modelWithVersions(world, 'fraud', 3);
        await moveTo(world, 'fraud', stage, [3, 1]);

        // Act
        const attempt = renameRegisteredModel(world, {
          name: 'fraud',
          newName: 'other',
        });

        // Assess
        await expectRefusal(
          attempt,
          InvalidStateError,
          'INVALID_STATE',
          "Cannot rename registered model 'fraud': version(s) 1, 3 are in Staging or Production. Transition them to None or Archived first."
        );
        await expect(getRegisteredModel(world, 'fraud')).resolves.toBeDefined();
      }
    );

    it('refuses an invalid new name before reading anything', async () => {
      // Prepare
      const world = registryWorld();

      // Act
      const attempt = renameRegisteredModel(world, {
        name: 'missing',
        newName: '',
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE'
      );
    });
  });

  describe('deleteRegisteredModel', () => {
    it('deletes the model with its versions and its webhooks', async () => {
      // Prepare
      const webhooks = new MemoryWebhookStore();
      const world = { ...registryWorld(), webhooks };
      await modelWithVersions(world, 'fraud', 1);
      const { model } = await getRegisteredModel(world, 'fraud');
      const webhook: Webhook = {
        id: 'w1',
        modelId: model.id,
        events: ['MODEL_VERSION_CREATED'],
        status: 'ACTIVE',
        httpUrlSpec: {
          url: 'https://hooks.example.com',
          enableSslVerification: true,
        },
        creationTimestamp: NOW,
        lastUpdatedTimestamp: NOW,
      };
      await webhooks.create(webhook);

      // Act
      await deleteRegisteredModel(world, { name: 'fraud' });

      // Assess
      await expectRefusal(
        getRegisteredModel(world, 'fraud'),
        RegisteredModelDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
      expect(await world.store.getVersion(model.id, 1)).toBeUndefined();
      expect(await webhooks.get('w1')).toBeUndefined();
    });

    it('refuses while a version is in Production, deleting nothing', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 2);
      await moveTo(world, 'fraud', 'Production', [2]);

      // Act
      const attempt = deleteRegisteredModel(world, { name: 'fraud' });

      // Assess
      await expectRefusal(
        attempt,
        InvalidStateError,
        'INVALID_STATE',
        "Cannot delete registered model 'fraud': version(s) 2 are in Staging or Production."
      );
      await expect(
        getModelVersion(world, { name: 'fraud', version: 1 })
      ).resolves.toMatchObject({ version: 1 });
    });

    it('lets a model be deleted once its versions left the active stages', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      await moveTo(world, 'fraud', 'Staging', [1]);
      await moveTo(world, 'fraud', 'Archived', [1]);

      // Act
      await deleteRegisteredModel(world, { name: 'fraud' });

      // Assess
      expect(await world.store.getModelRecordByName('fraud')).toBeUndefined();
    });
  });

  describe('model tags', () => {
    it('sets, replaces and deletes a tag', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });

      // Act
      await setRegisteredModelTag(world, {
        name: 'fraud',
        key: 'k',
        value: '1',
      });
      await setRegisteredModelTag(world, {
        name: 'fraud',
        key: 'k',
        value: '2',
      });
      const set = (await getRegisteredModel(world, 'fraud')).model.tags;
      await deleteRegisteredModelTag(world, { name: 'fraud', key: 'k' });

      // Assess
      expect(set).toStrictEqual([{ key: 'k', value: '2' }]);
      expect((await getRegisteredModel(world, 'fraud')).model.tags).toEqual([]);
    });

    it('answers 404 for deleting a tag the model does not have', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });

      // Act
      const attempt = deleteRegisteredModelTag(world, {
        name: 'fraud',
        key: 'absent',
      });

      // Assess
      await expectRefusal(
        attempt,
        ResourceDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST',
        'No tag with name: absent in registered model fraud.'
      );
    });

    it('refuses a tag whose value would push the tags past their byte budget', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });
      const big = '€'.repeat(limits.tagValueLength);
      const fits = Math.floor(
        limits.tagBytesPerEntity / Buffer.byteLength(`kx${big}`)
      );
      for (let i = 0; i < fits; i += 1) {
        await setRegisteredModelTag(world, {
          name: 'fraud',
          key: `k${i}`,
          value: big,
        });
      }

      // Act
      const attempt = setRegisteredModelTag(world, {
        name: 'fraud',
        key: 'one-more',
        value: big,
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        `at most ${limits.tagBytesPerEntity} bytes`
      );
      expect(
        (await getRegisteredModel(world, 'fraud')).model.tags
      ).toHaveLength(fits);
    });
  });

  describe('aliases', () => {
    it('points an alias at a version, moves it, and deletes it', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 2);
      const alias = { name: 'fraud', alias: 'champion' };

      // Act
      await setRegisteredModelAlias(world, { ...alias, version: '1' });
      const first = await getModelVersionByAlias(world, alias);
      await setRegisteredModelAlias(world, { ...alias, version: 2 });
      const moved = await getModelVersionByAlias(world, alias);
      await deleteRegisteredModelAlias(world, alias);

      // Assess
      expect(first).toMatchObject({ version: 1, aliases: ['champion'] });
      expect(moved).toMatchObject({ version: 2, aliases: ['champion'] });
      await expectRefusal(
        getModelVersionByAlias(world, alias),
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        'Registered model alias champion not found.'
      );
    });

    it('answers 404 for an alias to a version that does not exist', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);

      // Act
      const attempt = setRegisteredModelAlias(world, {
        name: 'fraud',
        alias: 'champion',
        version: 2,
      });

      // Assess
      await expectRefusal(
        attempt,
        ModelVersionDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
    });

    it('answers 404 when the version is deleted between the check and the write', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      const setAlias = world.store.setAlias.bind(world.store);
      world.store.setAlias = async (modelId, alias, version) => {
        await deleteModelVersion(world, { name: 'fraud', version: 1 });
        return setAlias(modelId, alias, version);
      };

      // Act
      const attempt = setRegisteredModelAlias(world, {
        name: 'fraud',
        alias: 'champion',
        version: 1,
      });

      // Assess
      await expectRefusal(
        attempt,
        ModelVersionDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST',
        'Model Version (name=fraud, version=1) not found'
      );
    });

    it.each([
      ['latest', "'latest' alias name (case insensitive) is reserved."],
      ['v3', "Version alias name 'v3' is reserved."],
      ['has space', "Invalid alias name 'has space'."],
    ])('refuses the alias %j', async (alias, message) => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);

      // Act
      const attempt = setRegisteredModelAlias(world, {
        name: 'fraud',
        alias,
        version: 1,
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        message
      );
    });
  });

  describe('getLatestVersions', () => {
    it('answers the highest version of each stage, or of the stages asked for', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 5);
      await moveTo(world, 'fraud', 'Production', [1, 2]);
      await moveTo(world, 'fraud', 'Staging', [3]);

      // Act
      const all = await getLatestVersions(world, { name: 'fraud' });
      const some = await getLatestVersions(world, {
        name: 'fraud',
        stages: ['production', 'ARCHIVED'],
      });

      // Assess
      expect(all.map((v) => [v.currentStage, v.version])).toStrictEqual([
        ['Production', 2],
        ['Staging', 3],
        ['None', 5],
      ]);
      expect(some.map((v) => [v.currentStage, v.version])).toStrictEqual([
        ['Production', 2],
      ]);
    });

    it('refuses an unknown stage', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });

      // Act
      const attempt = getLatestVersions(world, {
        name: 'fraud',
        stages: ['Live'],
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        'Invalid Model Version stage: Live.'
      );
    });
  });
});
