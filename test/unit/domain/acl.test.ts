import { describe, expect, it } from 'vitest';
import {
  changeObjectPermissions,
  getObjectPermissions,
  ROOT_OBJECT_ID,
} from '#domain/acl.ts';
import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import {
  DEFAULT_ROOT_GRANTS,
  type Grant,
  type RootPermissionLevel,
} from '#domain/permissions.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';

const T0 = 1_700_000_000_000;
const MODEL_ID = 'a'.repeat(32);
const ADMINS_ENTRY = {
  grant: { grantee: { kind: 'group', name: 'admins' }, level: 'CAN_MANAGE' },
  inheritedFrom: 'admins',
};

const user = (name: string, level: RootPermissionLevel) =>
  ({ grantee: { kind: 'user', name }, level }) as Grant<RootPermissionLevel>;

async function storeWithModel(): Promise<MemoryModelRegistryStore> {
  const store = new MemoryModelRegistryStore();
  await store.createRegisteredModel(
    {
      id: MODEL_ID,
      name: 'm',
      description: '',
      creationTimestamp: T0,
      lastUpdatedTimestamp: T0,
      userId: 'alice',
      tags: [],
      aliases: [],
    },
    [user('alice', 'CAN_MANAGE') as Grant]
  );
  return store;
}

async function rejectionOf(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => undefined,
    (error: unknown) => error
  );
}

describe('acl', () => {
  describe('getObjectPermissions', () => {
    it('shows root’s grants (the defaults until set) and the admins’ inherited Can Manage', async () => {
      // Prepare
      const store = await storeWithModel();

      // Act
      const root = await getObjectPermissions(store, ROOT_OBJECT_ID);

      // Assess
      expect(root).toEqual({
        objectId: 'root',
        entries: [
          ...DEFAULT_ROOT_GRANTS.map((grant) => ({ grant })),
          ADMINS_ENTRY,
        ],
      });
    });

    it('shows a model’s direct grants, the model levels it inherits from root, and the admins', async () => {
      // Prepare
      const store = await storeWithModel();
      await store.setRootGrants([
        user('bob', 'CAN_READ'),
        user('carol', 'CAN_CREATE_REGISTERED_MODEL'),
      ]);

      // Act
      const model = await getObjectPermissions(store, MODEL_ID);

      // Assess
      expect(model.entries).toEqual([
        { grant: user('alice', 'CAN_MANAGE') },
        { grant: user('bob', 'CAN_READ'), inheritedFrom: 'root' },
        ADMINS_ENTRY,
      ]);
    });

    it('answers 404 for an unknown model id', async () => {
      // Act
      const failure = await rejectionOf(
        getObjectPermissions(await storeWithModel(), 'f'.repeat(32))
      );

      // Assess
      expect(failure).toBeInstanceOf(ResourceDoesNotExistError);
    });
  });

  describe('changeObjectPermissions', () => {
    it('merges into and replaces a model’s grants', async () => {
      // Prepare
      const store = await storeWithModel();

      // Act
      const merged = await changeObjectPermissions(
        store,
        MODEL_ID,
        [user('bob', 'CAN_EDIT')],
        'merge'
      );
      const replaced = await changeObjectPermissions(
        store,
        MODEL_ID,
        [user('carol', 'CAN_MANAGE')],
        'replace'
      );

      // Assess
      expect(merged.entries.map((e) => e.grant)).toEqual([
        user('alice', 'CAN_MANAGE'),
        user('bob', 'CAN_EDIT'),
        ...DEFAULT_ROOT_GRANTS.filter(
          (g) => g.level !== 'CAN_CREATE_REGISTERED_MODEL'
        ),
        ADMINS_ENTRY.grant,
      ]);
      expect(replaced.entries[0]).toEqual({
        grant: user('carol', 'CAN_MANAGE'),
      });
      expect((await store.getModelRecordById(MODEL_ID))?.grants).toEqual([
        user('carol', 'CAN_MANAGE'),
      ]);
    });

    it('merges into and replaces root’s grants, starting from the defaults', async () => {
      // Prepare
      const store = await storeWithModel();

      // Act
      await changeObjectPermissions(
        store,
        ROOT_OBJECT_ID,
        [user('bob', 'CAN_MANAGE')],
        'merge'
      );
      const afterMerge = await store.getRootGrants();
      await changeObjectPermissions(
        store,
        ROOT_OBJECT_ID,
        [user('carol', 'CAN_CREATE_REGISTERED_MODEL')],
        'replace'
      );

      // Assess
      expect(afterMerge).toEqual([
        ...DEFAULT_ROOT_GRANTS,
        user('bob', 'CAN_MANAGE'),
      ]);
      expect(await store.getRootGrants()).toEqual([
        user('carol', 'CAN_CREATE_REGISTERED_MODEL'),
      ]);
    });

    it('refuses grants to admins, root-only levels on a model, a model left without a manager, and an unknown model', async () => {
      // Prepare
      const store = await storeWithModel();

      // Act
      const toAdmins = await rejectionOf(
        changeObjectPermissions(
          store,
          ROOT_OBJECT_ID,
          [{ grantee: { kind: 'group', name: 'admins' }, level: 'CAN_READ' }],
          'merge'
        )
      );
      const rootLevel = await rejectionOf(
        changeObjectPermissions(
          store,
          MODEL_ID,
          [user('bob', 'CAN_CREATE_REGISTERED_MODEL')],
          'merge'
        )
      );
      const noManager = await rejectionOf(
        changeObjectPermissions(
          store,
          MODEL_ID,
          [user('bob', 'CAN_READ')],
          'replace'
        )
      );
      const unknown = await rejectionOf(
        changeObjectPermissions(
          store,
          'f'.repeat(32),
          [user('bob', 'CAN_READ')],
          'merge'
        )
      );

      // Assess
      expect(toAdmins).toBeInstanceOf(InvalidParameterValueError);
      expect(rootLevel).toBeInstanceOf(InvalidParameterValueError);
      expect(noManager).toBeInstanceOf(InvalidParameterValueError);
      expect((noManager as Error).message).toContain("'m'");
      expect(unknown).toBeInstanceOf(ResourceDoesNotExistError);
      expect((await store.getModelRecordById(MODEL_ID))?.grants).toEqual([
        user('alice', 'CAN_MANAGE'),
      ]);
    });

    it('refuses grants whose names and levels exceed the byte budget of one object', async () => {
      // Prepare
      const store = await storeWithModel();
      const name = 'n'.repeat(200);
      const many = Array.from(
        { length: Math.ceil(limits.aclBytesPerObject / 200) + 1 },
        (_, i) => user(`${name}${i}`, 'CAN_READ')
      );

      // Act
      const failure = await rejectionOf(
        changeObjectPermissions(store, ROOT_OBJECT_ID, many, 'merge')
      );

      // Assess
      expect(failure).toBeInstanceOf(InvalidParameterValueError);
      expect((failure as Error).message).toContain(
        `${limits.aclBytesPerObject}`
      );
    });
  });
});
