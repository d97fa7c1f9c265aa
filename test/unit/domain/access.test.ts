import { describe, expect, it } from 'vitest';
import {
  findModelAccess,
  findModelAccessById,
  modelResource,
  rootGrants,
  stageOfVersion,
} from '#domain/access.ts';
import { DEFAULT_ROOT_GRANTS, type Grant } from '#domain/permissions.ts';
import { transitionModelVersionStage } from '#domain/registry/transitions.ts';
import {
  ADMIN,
  accessTo,
  governanceDependencies,
  modelWithVersions,
  T0,
} from '#test/support/governance.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';

const ML: Grant = { grantee: { kind: 'group', name: 'ml' }, level: 'CAN_READ' };

describe('access', () => {
  describe('rootGrants', () => {
    it('is the default (users may create models) until set, then what was set', async () => {
      // Prepare
      const store = new MemoryModelRegistryStore();

      // Act
      const before = await rootGrants(store);
      await store.setRootGrants([ML]);
      const after = await rootGrants(store);

      // Assess
      expect(before).toEqual(DEFAULT_ROOT_GRANTS);
      expect(after).toEqual([ML]);
    });
  });

  describe('findModelAccess / findModelAccessById', () => {
    it('reads a model by name or id with the root grants, defaults included', async () => {
      // Prepare
      const deps = governanceDependencies();
      await modelWithVersions(deps, 'm', 1);
      const { record } = await accessTo(deps, 'm');

      // Act
      const byName = await findModelAccess(deps.store, 'm');
      const byId = await findModelAccessById(deps.store, record.model.id);
      await deps.store.setRootGrants([ML]);
      const afterRootSet = await findModelAccess(deps.store, 'm');

      // Assess
      expect(byName).toEqual({ record, rootGrants: DEFAULT_ROOT_GRANTS });
      expect(byId).toEqual({ record, rootGrants: DEFAULT_ROOT_GRANTS });
      expect(afterRootSet.rootGrants).toEqual([ML]);
    });

    it('answers no record for a model that does not exist', async () => {
      // Prepare
      const store = new MemoryModelRegistryStore();

      // Act & Assess
      expect((await findModelAccess(store, 'nope')).record).toBeUndefined();
      expect(
        (await findModelAccessById(store, 'f'.repeat(32))).record
      ).toBeUndefined();
    });

    it('finds a model stored with a lone surrogate by the name responses show (U+FFFD)', async () => {
      // Prepare
      const store = new MemoryModelRegistryStore();
      await store.createRegisteredModel(
        {
          id: 'a'.repeat(32),
          name: 'odd\ud800name',
          description: '',
          creationTimestamp: T0,
          lastUpdatedTimestamp: T0,
          userId: 'admin',
          tags: [],
          aliases: [],
        },
        []
      );

      // Act
      const found = await findModelAccess(store, 'odd\ufffdname');

      // Assess
      expect(found.record?.model.id).toBe('a'.repeat(32));
      expect(found.rootGrants).toEqual(DEFAULT_ROOT_GRANTS);
    });
  });

  describe('modelResource', () => {
    it('names the model by its name unless the caller named it otherwise', async () => {
      // Prepare
      const deps = governanceDependencies();
      await modelWithVersions(deps, 'm', 1);
      const access = await accessTo(deps, 'm');

      // Act
      const byName = modelResource(access);
      const byId = modelResource(access, access.record.model.id);

      // Assess
      expect(byName).toEqual({
        named: 'm',
        grants: access.record.grants,
        rootGrants: access.rootGrants,
      });
      expect(byId.named).toBe(access.record.model.id);
    });
  });

  describe('stageOfVersion', () => {
    it('reads a version’s stage from its model’s record, undefined for none', async () => {
      // Prepare
      const deps = governanceDependencies();
      await modelWithVersions(deps, 'm', 2);
      await transitionModelVersionStage(deps, ADMIN, {
        name: 'm',
        version: 2,
        stage: 'Production',
        archiveExistingVersions: false,
      });
      const { record } = await accessTo(deps, 'm');

      // Act & Assess
      expect(stageOfVersion(record, 1)).toBe('None');
      expect(stageOfVersion(record, 2)).toBe('Production');
      expect(stageOfVersion(record, 3)).toBeUndefined();
    });
  });
});
