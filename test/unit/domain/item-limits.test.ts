import { describe, expect, it } from 'vitest';
import { changeObjectPermissions, getObjectPermissions } from '#domain/acl.ts';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import type { Grant } from '#domain/permissions.ts';
import type { Principal } from '#domain/principal.ts';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import {
  createRegisteredModel,
  getRegisteredModel,
  setRegisteredModelAlias,
} from '#domain/registry/models.ts';
import { createModelVersion } from '#domain/registry/versions.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';

const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: [],
};

function createDeps(): RegistryDependencies & {
  store: MemoryModelRegistryStore;
} {
  let nextId = 0;
  return {
    store: new MemoryModelRegistryStore(),
    now: () => 1_700_000_000_000,
    newId: () => (nextId++).toString(16).padStart(32, '0'),
  };
}

async function modelWithVersion(deps: RegistryDependencies, name: string) {
  const model = await createRegisteredModel(deps, alice, { name });
  await createModelVersion(deps, alice, { name, source: 's3://b/m/1' });
  return model;
}

async function refusal(act: () => Promise<unknown>) {
  const error = await act().then(
    () => undefined,
    (thrown: unknown) => thrown
  );
  expect(error).toBeInstanceOf(InvalidParameterValueError);
  return error as InvalidParameterValueError;
}

describe('item limits', () => {
  it(`refuses alias ${limits.aliasesPerModel + 1} of one model, but moves an existing one`, async () => {
    // Prepare
    const deps = createDeps();
    await modelWithVersion(deps, 'm');
    for (let index = 0; index < limits.aliasesPerModel; index += 1) {
      await setRegisteredModelAlias(deps, {
        name: 'm',
        alias: `a${index}`,
        version: '1',
      });
    }

    // Act
    const error = await refusal(() =>
      setRegisteredModelAlias(deps, {
        name: 'm',
        alias: 'one-more',
        version: 1,
      })
    );
    await setRegisteredModelAlias(deps, { name: 'm', alias: 'a0', version: 1 });

    // Assess
    expect(error.message).toBe(
      `Registered model 'm' already has ${limits.aliasesPerModel} aliases, the most one model can hold (${limits.aliasesPerModel}).`
    );
    const view = await getRegisteredModel(deps, 'm');
    expect(view.model.aliases).toHaveLength(limits.aliasesPerModel);
  });

  it(`refuses a version past ${limits.versionsPerModel}`, async () => {
    // Prepare
    const deps = createDeps();
    const model = await modelWithVersion(deps, 'm');
    const read = deps.store.getModelRecordByName.bind(deps.store);
    deps.store.getModelRecordByName = async (name) => {
      const record = await read(name);
      return record && { ...record, versionCounter: limits.versionsPerModel };
    };

    // Act
    const error = await refusal(() =>
      createModelVersion(deps, alice, { name: 'm', source: 's3://b/m/2' })
    );

    // Assess
    expect(error.message).toContain(`(${limits.versionsPerModel})`);
    expect(await deps.store.getVersion(model.id, 2)).toBeUndefined();
  });

  it('refuses grants whose names and levels outgrow the byte budget, keeping the current ones', async () => {
    // Prepare
    const deps = createDeps();
    const model = await modelWithVersion(deps, 'm');
    const before = await getObjectPermissions(deps.store, model.id);
    const grants: Grant[] = Array.from({ length: 200 }, (_, index) => ({
      grantee: { kind: 'user', name: `${'u'.repeat(200)}${index}@x` },
      level: 'CAN_READ',
    }));

    // Act
    const error = await refusal(() =>
      changeObjectPermissions(deps.store, model.id, grants, 'merge')
    );

    // Assess
    expect(error.message).toMatch(
      new RegExp(
        `^The grants of one object may take at most ${limits.aclBytesPerObject} bytes`
      )
    );
    expect(await getObjectPermissions(deps.store, model.id)).toStrictEqual(
      before
    );
  });

  it('keeps the worst-case model item well under 400 KB', () => {
    // Prepare: UTF-8 bytes at most 3 per UTF-16 unit; a stage set number
    // of up to 5 digits takes 4 bytes.
    const names = 3 * (3 * limits.modelNameLength) + 200;
    const aliases = limits.aliasesPerModel * (limits.aliasLength + 16);
    const stages = limits.versionsPerModel * 4;

    // Act
    const total =
      names +
      3 * limits.descriptionLength +
      limits.tagBytesPerEntity +
      limits.aclBytesPerObject +
      aliases +
      stages;

    // Assess
    expect(total).toBeLessThan(350 * 1024);
  });
});
