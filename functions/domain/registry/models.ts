import type { ModelAccess } from '../access.ts';
import {
  InvalidParameterValueError,
  InvalidStateError,
  ModelVersionDoesNotExistError,
  ResourceDoesNotExistError,
} from '../errors.ts';
import { registeredModelCreated } from '../events.ts';
import { limits } from '../limits.ts';
import { parseVersionNumber, validateAlias } from '../model-version.ts';
import { type Grant, granteesOf } from '../permissions.ts';
import type { Principal } from '../principal.ts';
import {
  assertTagsFit,
  type RegisteredModel,
  storedTagKey,
  type Tag,
  validateDescription,
  validateModelName,
  validateTagKey,
  validateTags,
  validateTagValue,
  withTag,
} from '../registered-model.ts';
import { canonicalStage } from '../stages.ts';
import {
  type ModelVersionView,
  modelView,
  type RegisteredModelView,
  type RegistryDependencies,
  requireRecord,
  requireVersion,
  versionView,
  withOptimisticRetry,
} from './dependencies.ts';
import { stagesOf } from './stage-members.ts';

export interface CreateRegisteredModelInput {
  readonly name: string;
  readonly description?: string | undefined;
  readonly tags?: readonly Tag[] | undefined;
}

export async function createRegisteredModel(
  deps: RegistryDependencies,
  caller: Principal,
  input: CreateRegisteredModelInput
): Promise<RegisteredModel> {
  const name = validateModelName(input.name);
  const description = validateDescription(input.description ?? '');
  const tags = validateTags(input.tags ?? []);
  const now = deps.now();
  const model: RegisteredModel = {
    id: deps.newId(),
    name,
    description,
    creationTimestamp: now,
    lastUpdatedTimestamp: now,
    userId: caller.userName,
    tags: [...tags].sort((a, b) =>
      Buffer.compare(Buffer.from(a.key), Buffer.from(b.key))
    ),
    aliases: [],
  };
  // The creator gets Can Manage on the model (as in Databricks), as a direct grant
  // that the permissions API shows and a manager may later change.
  const [creator] = granteesOf(caller);
  const grants: Grant[] = creator
    ? [{ grantee: creator, level: 'CAN_MANAGE' }]
    : [];
  // A collision with a concurrent create of the same name wrote nothing;
  // the next attempt learns from the name's condition which create won.
  const events = [registeredModelCreated({ id: deps.newId(), at: now }, model)];
  await withOptimisticRetry(deps, () =>
    deps.store.createRegisteredModel(model, grants, events)
  );
  return model;
}

/**
 * @param known the model's record, and versions read with it, when the
 *   caller already read them (the route's check did), so they are not
 *   read again.
 */
export async function getRegisteredModel(
  deps: RegistryDependencies,
  name: string,
  known?: Pick<ModelAccess, 'record' | 'versions'>
): Promise<RegisteredModelView> {
  return known
    ? modelView(deps, known.record, known.versions?.values())
    : modelView(deps, await requireRecord(deps, name));
}

export async function updateRegisteredModel(
  deps: RegistryDependencies,
  input: { name: string; description?: string | undefined }
): Promise<RegisteredModelView> {
  const record = await requireRecord(deps, input.name);
  if (input.description !== undefined) {
    await deps.store.updateModelDescription(
      record.model,
      validateDescription(input.description),
      deps.now()
    );
  }
  return getRegisteredModel(deps, input.name);
}

/**
 * Rename, as Databricks allows it: only while no version is in Staging or
 * Production (deployed consumers address models by name).
 */
export async function renameRegisteredModel(
  deps: RegistryDependencies,
  input: { name: string; newName: string }
): Promise<RegisteredModelView> {
  const newName = validateModelName(input.newName);
  await withOptimisticRetry(deps, async () => {
    const record = await requireRecord(deps, input.name);
    assertNoActiveVersions(
      stagesOf(record),
      `rename registered model '${input.name}'`
    );
    if (newName === record.model.name) return;
    await deps.store.renameModel(record, newName, deps.now());
  });
  return getRegisteredModel(deps, newName);
}

/**
 * Deletes the model with its versions, tags, aliases, activities and
 * webhooks; refused while a version is in Staging or Production
 * (Databricks' guard).
 */
export async function deleteRegisteredModel(
  deps: RegistryDependencies,
  input: { name: string }
): Promise<void> {
  const modelId = await withOptimisticRetry(deps, async () => {
    const record = await requireRecord(deps, input.name);
    assertNoActiveVersions(
      stagesOf(record),
      `delete registered model '${input.name}'`
    );
    await deps.store.deleteModel(record, deps.now());
    return record.model.id;
  });
  // Unreachable since the model went (they are bound to its id); removed
  // here so that they do not linger.
  await deps.webhooks?.deleteOfModel(modelId);
}

function assertNoActiveVersions(
  stages: { Staging: readonly number[]; Production: readonly number[] },
  action: string
): void {
  const active = [...stages.Staging, ...stages.Production];
  if (active.length > 0) {
    throw new InvalidStateError(
      `Cannot ${action}: version(s) ${active.sort((a, b) => a - b).join(', ')} are in Staging or Production. Transition them to None or Archived first.`
    );
  }
}

export async function setRegisteredModelTag(
  deps: RegistryDependencies,
  input: { name: string; key: string; value: string }
): Promise<void> {
  validateTagKey(input.key);
  validateTagValue(input.key, input.value);
  const record = await requireRecord(deps, input.name);
  assertTagsFit(withTag(record.model.tags, input.key, input.value));
  await deps.store.setModelTag(record.model.id, input.key, input.value);
}

export async function deleteRegisteredModelTag(
  deps: RegistryDependencies,
  input: { name: string; key: string }
): Promise<void> {
  validateTagKey(input.key);
  const record = await requireRecord(deps, input.name);
  const key = storedTagKey(record.model.tags, input.key);
  if (!(await deps.store.deleteModelTag(record.model.id, key))) {
    throw new ResourceDoesNotExistError(
      `No tag with name: ${input.key} in registered model ${input.name}.`
    );
  }
}

export async function setRegisteredModelAlias(
  deps: RegistryDependencies,
  input: { name: string; alias: string; version: string | number }
): Promise<void> {
  const alias = validateAlias(input.alias);
  const version = parseVersionNumber(input.version);
  const record = await requireRecord(deps, input.name);
  await requireVersion(deps, record, version);
  const { aliases } = record.model;
  if (
    !aliases.some((a) => a.alias === alias) &&
    aliases.length >= limits.aliasesPerModel
  ) {
    throw new InvalidParameterValueError(
      `Registered model '${record.model.name}' already has ${aliases.length} aliases, the most one model can hold (${limits.aliasesPerModel}).`
    );
  }
  try {
    await deps.store.setAlias(record.model.id, alias, version);
  } catch (error) {
    if (error instanceof ResourceDoesNotExistError) {
      throw new ModelVersionDoesNotExistError(input.name, version);
    }
    throw error;
  }
}

export async function deleteRegisteredModelAlias(
  deps: RegistryDependencies,
  input: { name: string; alias: string }
): Promise<void> {
  const alias = validateAlias(input.alias);
  const record = await requireRecord(deps, input.name);
  await deps.store.deleteAlias(record.model.id, alias);
}

export async function getModelVersionByAlias(
  deps: RegistryDependencies,
  input: { name: string; alias: string }
): Promise<ModelVersionView> {
  const record = await requireRecord(deps, input.name);
  const target = record.model.aliases.find((a) => a.alias === input.alias);
  if (!target) {
    // MLflow answers a missing alias with 400, not 404.
    throw new InvalidParameterValueError(
      `Registered model alias ${input.alias} not found.`
    );
  }
  const version = await requireVersion(deps, record, target.version);
  return versionView(record.model, version, { withAliases: true });
}

/**
 * MLflow's get-latest-versions: the latest version of each requested stage
 * (all stages when none is given), in `latest_versions` order.
 */
export async function getLatestVersions(
  deps: RegistryDependencies,
  input: { name: string; stages?: readonly string[] | undefined },
  known?: Pick<ModelAccess, 'record' | 'versions'>
): Promise<readonly ModelVersionView[]> {
  const wanted =
    input.stages && input.stages.length > 0
      ? new Set(input.stages.map(canonicalStage))
      : undefined;
  const view = await getRegisteredModel(deps, input.name, known);
  return view.latestVersions.filter(
    (version) => !wanted || wanted.has(version.currentStage)
  );
}
