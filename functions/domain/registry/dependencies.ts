import type {
  ModelRecord,
  ModelRegistryStore,
  StageBounds,
} from '#ports/model-registry-store.ts';
import type { WebhookStore } from '#ports/webhook-store.ts';
import type { ManagedArtifactsDependencies } from '../artifacts/registration.ts';
import {
  ModelVersionDoesNotExistError,
  RegisteredModelDoesNotExistError,
} from '../errors.ts';
import { findModelRecord } from '../model-lookup.ts';
import type { ModelVersion } from '../model-version.ts';
import type { RegisteredModel } from '../registered-model.ts';
import { withOptimisticRetry as retryOptimistically } from '../retry.ts';
import { STAGES, type Stage } from '../stages.ts';

/** What the registry use cases need from the outside world. */
export interface RegistryDependencies {
  readonly store: ModelRegistryStore;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** A new stable id (lowercase hex, safe in Databricks path params). */
  readonly newId: () => string;
  /** Waits between optimistic retries. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Registry-managed artifacts: versions created from an upload session are
   * copied asynchronously. Absent where no function registers versions
   * (or in unit tests of the registry alone); such a source is then refused.
   */
  readonly artifacts?: ManagedArtifactsDependencies | undefined;
  /**
   * Called after versions changed stage or were deleted (the transition
   * requests they made stale are closed here). Absent where no requests
   * exist, e.g. in unit tests of the registry alone.
   */
  /**
   * The registry webhooks, deleted with their model. Absent in unit tests
   * of the registry alone: a deleted model's webhooks are unreachable
   * anyway (they are bound to its id, which no other model gets).
   */
  readonly webhooks?: Pick<WebhookStore, 'deleteOfModel'> | undefined;
  readonly afterVersionChanges?: (
    record: ModelRecord,
    changes: readonly VersionChange[]
  ) => Promise<void>;
}

export interface VersionChange {
  readonly version: number;
  readonly stage: Stage | 'DELETED';
}

/** A version as the API shows it: with its model's name and its aliases. */
export interface ModelVersionView extends ModelVersion {
  readonly name: string;
  readonly aliases: readonly string[];
}

/** A model as the API shows it: with the latest version of each stage. */
export interface RegisteredModelView {
  readonly model: RegisteredModel;
  readonly latestVersions: readonly ModelVersionView[];
}

/**
 * How many times a registry use case re-reads and retries a write that lost
 * a race (50 concurrent version creates on one model must all get through).
 */
const MAX_ATTEMPTS = 60;

/** {@link retryOptimistically} for the registry's use cases. */
export function withOptimisticRetry<T>(
  deps: RegistryDependencies,
  attempt: () => Promise<T>
): Promise<T> {
  return retryOptimistically(deps, attempt, {
    maxAttempts: MAX_ATTEMPTS,
    what: 'this registered model',
  });
}

export async function requireRecord(
  deps: RegistryDependencies,
  name: string
): Promise<ModelRecord> {
  const record = await findModelRecord(deps.store, name);
  if (!record) throw new RegisteredModelDoesNotExistError(name);
  return record;
}

export async function requireVersion(
  deps: RegistryDependencies,
  record: ModelRecord,
  version: number
): Promise<ModelVersion> {
  const found = await deps.store.getVersion(record.model.id, version);
  if (!found) {
    throw new ModelVersionDoesNotExistError(record.model.name, version);
  }
  return found;
}

/** The aliases of `version` on its model. */
export function aliasesOf(model: RegisteredModel, version: number): string[] {
  return model.aliases.filter((a) => a.version === version).map((a) => a.alias);
}

export function versionView(
  model: RegisteredModel,
  version: ModelVersion,
  options: { withAliases: boolean }
): ModelVersionView {
  return {
    ...version,
    name: model.name,
    aliases: options.withAliases ? aliasesOf(model, version.version) : [],
  };
}

/**
 * MLflow's `latest_versions`: the highest version of each stage present,
 * stages ordered as MLflow builds them (by their lowest version number).
 */
export function latestVersionNumbers(
  bounds: StageBounds
): { stage: Stage; version: number }[] {
  return STAGES.flatMap((stage) => {
    const bound = bounds[stage];
    return bound
      ? [{ stage, lowest: bound.lowest, version: bound.highest }]
      : [];
  })
    .sort((a, b) => a.lowest - b.lowest)
    .map(({ stage, version }) => ({ stage, version }));
}

/**
 * Views of many models with their latest versions, fetched in one batch
 * (none when `known`, versions already read, holds them all).
 */
export async function modelViews(
  deps: RegistryDependencies,
  records: readonly ModelRecord[],
  known: Iterable<ModelVersion> = []
): Promise<RegisteredModelView[]> {
  const byKey = new Map<string, ModelVersion>();
  for (const v of known) byKey.set(`${v.modelId}#${v.version}`, v);
  const wanted = records.flatMap((record) =>
    latestVersionNumbers(record.stageBounds)
      .map(({ version }) => ({ modelId: record.model.id, version }))
      .filter((k) => !byKey.has(`${k.modelId}#${k.version}`))
  );
  const versions =
    wanted.length > 0 ? await deps.store.getVersions(wanted) : [];
  for (const v of versions) byKey.set(`${v.modelId}#${v.version}`, v);
  return records.map((record) => ({
    model: record.model,
    latestVersions: latestVersionNumbers(record.stageBounds).flatMap(
      ({ version }) => {
        const found = byKey.get(`${record.model.id}#${version}`);
        return found
          ? [versionView(record.model, found, { withAliases: false })]
          : [];
      }
    ),
  }));
}

export async function modelView(
  deps: RegistryDependencies,
  record: ModelRecord,
  known?: Iterable<ModelVersion>
): Promise<RegisteredModelView> {
  const [view] = await modelViews(deps, [record], known);
  if (!view) throw new RegisteredModelDoesNotExistError(record.model.name);
  return view;
}
