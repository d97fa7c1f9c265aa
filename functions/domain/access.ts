import type {
  ModelRecord,
  ModelRegistryStore,
} from '#ports/model-registry-store.ts';
import type { StoredSettings } from '#ports/transition-request-store.ts';
import type { ModelResource } from './authorization.ts';
import { findModelRecord } from './model-lookup.ts';
import type { ModelVersion } from './model-version.ts';
import {
  DEFAULT_ROOT_GRANTS,
  type Grant,
  type RootPermissionLevel,
} from './permissions.ts';
import { validateModelName } from './registered-model.ts';
import { stagesOf } from './registry/stage-members.ts';
import type { Stage } from './stages.ts';

/**
 * The reads behind authorization: a model with the registry-wide grants
 * that apply to it, as the caller named it. What a route's check reads is
 * what its operation uses, so nothing is read twice.
 */
export interface ModelAccess {
  readonly record: ModelRecord;
  readonly rootGrants: readonly Grant<RootPermissionLevel>[];
  /**
   * Versions of the model read with it (those the request names, and
   * latest ones where the read could take them along), by number.
   */
  readonly versions?: ReadonlyMap<number, ModelVersion>;
  /**
   * The model's stored transition-request settings and the registry's
   * policy, when they were read with it (routes that use them).
   */
  readonly settings?: StoredSettings | undefined;
}

/** The registry-wide grants, or the defaults until an admin sets them. */
export async function rootGrants(
  store: Pick<ModelRegistryStore, 'getRootGrants'>
): Promise<readonly Grant<RootPermissionLevel>[]> {
  return (await store.getRootGrants()) ?? DEFAULT_ROOT_GRANTS;
}

/**
 * The model `name` names, with the root grants, in the store's fewest
 * round trips; `record` is undefined for no such model. A name with U+FFFD
 * (a model stored with a lone surrogate) takes the slower lookup.
 */
export async function findModelAccess(
  store: Pick<
    ModelRegistryStore,
    | 'getModelAccessByName'
    | 'getModelRecordByName'
    | 'getModelRecordById'
    | 'listModels'
  >,
  name: string
): Promise<{
  record: ModelRecord | undefined;
  rootGrants: readonly Grant<RootPermissionLevel>[];
}> {
  const found = await store.getModelAccessByName(validateModelName(name));
  const root = found.rootGrants ?? DEFAULT_ROOT_GRANTS;
  if (found.record || !name.includes('\ufffd')) {
    return { record: found.record, rootGrants: root };
  }
  return { record: await findModelRecord(store, name), rootGrants: root };
}

/** The model named by its id, with the root grants. */
export async function findModelAccessById(
  store: Pick<ModelRegistryStore, 'getModelAccessById'>,
  id: string
): Promise<{
  record: ModelRecord | undefined;
  rootGrants: readonly Grant<RootPermissionLevel>[];
}> {
  const found = await store.getModelAccessById(id);
  return {
    record: found.record,
    rootGrants: found.rootGrants ?? DEFAULT_ROOT_GRANTS,
  };
}

/**
 * A model as `authorize` sees it. `named` is how the caller named it (its
 * id where it gave only that): refusals show that, nothing more.
 */
export function modelResource(
  access: ModelAccess,
  named: string = access.record.model.name
): ModelResource {
  return {
    named,
    grants: access.record.grants,
    rootGrants: access.rootGrants,
  };
}

/**
 * A version's stage, from its model's record (which keeps the version
 * numbers of every stage); `undefined` when the model has no such version.
 */
export function stageOfVersion(
  record: ModelRecord,
  version: number
): Stage | undefined {
  for (const [stage, versions] of Object.entries(stagesOf(record))) {
    if (versions.includes(version)) return stage as Stage;
  }
  return undefined;
}
