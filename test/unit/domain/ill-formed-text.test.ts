import { describe, expect, it } from 'vitest';
import { RegisteredModelDoesNotExistError } from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import {
  createRegisteredModel,
  deleteRegisteredModel,
  deleteRegisteredModelTag,
  getRegisteredModel,
  renameRegisteredModel,
} from '#domain/registry/models.ts';
import { searchRegisteredModels } from '#domain/registry/search.ts';
import {
  createModelVersion,
  deleteModelVersionTag,
  getModelVersion,
} from '#domain/registry/versions.ts';
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

describe('tags stored with a lone surrogate (before the edge refused them)', () => {
  it('deletes a model tag named by its U+FFFD form, as responses show it', async () => {
    // Prepare
    const deps = createDeps();
    const model = await modelWithVersion(deps, 'm');
    await deps.store.setModelTag(model.id, 'k\ud800', 'v');
    await deps.store.setModelTag(model.id, 'keep', 'w');

    // Act
    await deleteRegisteredModelTag(deps, { name: 'm', key: 'k\ufffd' });

    // Assess
    const view = await getRegisteredModel(deps, 'm');
    expect(view.model.tags).toStrictEqual([{ key: 'keep', value: 'w' }]);
  });

  it('deletes a version tag named by its U+FFFD form', async () => {
    // Prepare
    const deps = createDeps();
    const model = await modelWithVersion(deps, 'm');
    await deps.store.setVersionTag(model.id, 1, 'k\udc00', 'v');

    // Act
    await deleteModelVersionTag(deps, {
      name: 'm',
      version: '1',
      key: 'k\ufffd',
    });

    // Assess
    const version = await getModelVersion(deps, { name: 'm', version: '1' });
    expect(version.tags).toStrictEqual([]);
  });

  it('deletes the exact key first when both forms are stored', async () => {
    // Prepare
    const deps = createDeps();
    const model = await modelWithVersion(deps, 'm');
    await deps.store.setModelTag(model.id, 'k\ud800', 'lone');
    await deps.store.setModelTag(model.id, 'k\ufffd', 'replacement');

    // Act
    await deleteRegisteredModelTag(deps, { name: 'm', key: 'k\ufffd' });

    // Assess
    const view = await getRegisteredModel(deps, 'm');
    expect(view.model.tags).toStrictEqual([{ key: 'k\ud800', value: 'lone' }]);
  });
});

describe('a model named with a lone surrogate (before the edge refused them)', () => {
  it('is read, renamed and deleted by its U+FFFD form', async () => {
    // Prepare
    const deps = createDeps();
    await createRegisteredModel(deps, alice, { name: 'a-model' });
    await createRegisteredModel(deps, alice, { name: 'n\ud800' });
    await createRegisteredModel(deps, alice, { name: 'n\udc00x' });

    // Act
    const read = await getRegisteredModel(deps, 'n\ufffd');
    await renameRegisteredModel(deps, { name: 'n\ufffd', newName: 'renamed' });
    await deleteRegisteredModel(deps, { name: 'n\ufffdx' });

    // Assess
    expect(read.model.name).toBe('n\ud800');
    const left = await searchRegisteredModels(deps, {});
    expect(left.models.map((view) => view.model.name)).toStrictEqual([
      'a-model',
      'renamed',
    ]);
  });

  it('is not found by a U+FFFD name that matches nothing', async () => {
    // Prepare
    const deps = createDeps();
    await createRegisteredModel(deps, alice, { name: 'n\ud800' });

    // Act
    const error = await getRegisteredModel(deps, 'm\ufffd').then(
      () => undefined,
      (thrown: unknown) => thrown
    );

    // Assess
    expect(error).toBeInstanceOf(RegisteredModelDoesNotExistError);
  });
});
