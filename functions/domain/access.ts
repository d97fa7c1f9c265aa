import type {
  ModelRecord,
  ModelRegistryStore,
} from '#ports/model-registry-store.ts';
import {
  PermissionDeniedError,
  RegisteredModelDoesNotExistError,
} from './errors.ts';
import { findModelRecord } from './model-lookup.ts';
import { parseVersionNumber } from './model-version.ts';
import {
  ABILITIES,
  type Ability,
  DEFAULT_ROOT_GRANTS,
  type EffectiveLevel,
  effectiveLevel,
  type Grant,
  levelAllows,
  mayCreateModels,
  type RootPermissionLevel,
  transitionAbility,
} from './permissions.ts';
import type { Principal } from './principal.ts';
import { canonicalStage } from './stages.ts';

/** The registry-wide grants, or the defaults until an admin sets them. */
export async function rootGrants(
  store: ModelRegistryStore
): Promise<readonly Grant<RootPermissionLevel>[]> {
  return (await store.getRootGrants()) ?? DEFAULT_ROOT_GRANTS;
}

export function levelOn(
  caller: Principal,
  record: ModelRecord,
  root: readonly Grant<RootPermissionLevel>[]
): EffectiveLevel {
  return effectiveLevel(caller, record.grants, root);
}

/**
 * Refuses a caller whose level lacks the ability. The message names the
 * model the caller asked for and the action, nothing it cannot read.
 */
export function assertAllowed(
  caller: Principal,
  level: EffectiveLevel,
  ability: Ability,
  modelName: string
): void {
  if (!levelAllows(level, ability)) {
    throw new PermissionDeniedError(
      `${caller.userName} does not have permission to ${ABILITIES[ability]} on registered model '${modelName}'.`
    );
  }
}

/** The caller's level on a model it names; the model must exist. */
export async function authorizeOnModel(
  store: ModelRegistryStore,
  caller: Principal,
  name: string,
  ability: Ability
): Promise<{ record: ModelRecord; level: EffectiveLevel }> {
  const record = await findModelRecord(store, name);
  if (!record) throw new RegisteredModelDoesNotExistError(name);
  const level = levelOn(caller, record, await rootGrants(store));
  assertAllowed(caller, level, ability, name);
  return { record, level };
}

/**
 * A stage change needs the ability of its from/to pair: Can Manage Staging
 * Versions moves versions only among None, Staging and Archived.
 */
export async function authorizeStageChange(
  store: ModelRegistryStore,
  caller: Principal,
  input: { name: string; version: string | number; stage: string },
  kind: 'transition' | 'approve'
): Promise<{ record: ModelRecord; level: EffectiveLevel }> {
  const { record, level } = await authorizeOnModel(
    store,
    caller,
    input.name,
    'ReadRegisteredModel'
  );
  const to = canonicalStage(input.stage);
  const version = await store.getVersion(
    record.model.id,
    parseVersionNumber(input.version)
  );
  // A missing version is the use case's 404 to report, after the check on
  // the target stage alone.
  const from = version?.currentStage ?? 'None';
  assertAllowed(caller, level, transitionAbility(from, to, kind), input.name);
  return { record, level };
}

/** Root `CAN_CREATE_REGISTERED_MODEL` (every user by default). */
export async function authorizeCreateModel(
  store: ModelRegistryStore,
  caller: Principal
): Promise<void> {
  if (!mayCreateModels(caller, await rootGrants(store))) {
    throw new PermissionDeniedError(
      `${caller.userName} does not have permission to registry:CreateRegisteredModel.`
    );
  }
}

/** Which models a caller may see in listings: those it can at least read. */
export async function readableBy(
  store: ModelRegistryStore,
  caller: Principal
): Promise<(record: ModelRecord) => boolean> {
  const root = await rootGrants(store);
  return (record) =>
    levelAllows(levelOn(caller, record, root), 'ReadRegisteredModel');
}
