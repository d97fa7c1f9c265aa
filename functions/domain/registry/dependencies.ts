import type {
  ModelRecord,
  ModelRegistryStore,
} from '#ports/model-registry-store.ts';
import {
  ConcurrentModificationError,
  ModelVersionDoesNotExistError,
  RegisteredModelDoesNotExistError,
  TooManyConcurrentChangesError,
} from '../errors.ts';
import type { ModelVersion } from '../model-version.ts';
import {
  type RegisteredModel,
  validateModelName,
} from '../registered-model.ts';
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
   * Called after versions changed stage or were deleted (the transition
   * requests they made stale are closed here). Absent where no requests
   * exist, e.g. in unit tests of the registry alone.
   */
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
 * Optimistic concurrency: how many times a use case re-reads and retries a
 * write whose condition failed because the model changed meanwhile, and the
 * full-jitter backoff between tries (so 50 concurrent creates spread out
 * instead of colliding in lockstep).
 */
const MAX_ATTEMPTS = 60;
const BACKOFF_BASE_MS = 5;
const BACKOFF_CAP_MS = 250;

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it commits. `ConcurrentModificationError` means a
 * stale read: back off and run it again from its reads. Any other error
 * ends the loop; an exhausted budget becomes a 429 that clients retry.
 */
export async function withOptimisticRetry<T>(
  deps: RegistryDependencies,
  attempt: () => Promise<T>
): Promise<T> {
  const sleep = deps.sleep ?? defaultSleep;
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConcurrentModificationError)) throw error;
      if (tries >= MAX_ATTEMPTS) {
        throw new TooManyConcurrentChangesError(
          'Too many concurrent changes to this registered model; retry the request.'
        );
      }
      const cap = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** tries);
      await sleep(Math.random() * cap);
    }
  }
}

export async function requireRecord(
  deps: RegistryDependencies,
  name: string
): Promise<ModelRecord> {
  const record = await deps.store.getModelRecordByName(validateModelName(name));
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
  stages: ModelRecord['stages']
): { stage: Stage; version: number }[] {
  return STAGES.filter((stage) => stages[stage].length > 0)
    .map((stage) => ({
      stage,
      lowest: Math.min(...stages[stage]),
      version: Math.max(...stages[stage]),
    }))
    .sort((a, b) => a.lowest - b.lowest)
    .map(({ stage, version }) => ({ stage, version }));
}

/** Views of many models with their latest versions, fetched in one batch. */
export async function modelViews(
  deps: RegistryDependencies,
  records: readonly ModelRecord[]
): Promise<RegisteredModelView[]> {
  const wanted = records.flatMap((record) =>
    latestVersionNumbers(record.stages).map(({ version }) => ({
      modelId: record.model.id,
      version,
    }))
  );
  const versions =
    wanted.length > 0 ? await deps.store.getVersions(wanted) : [];
  const byKey = new Map(versions.map((v) => [`${v.modelId}#${v.version}`, v]));
  return records.map((record) => ({
    model: record.model,
    latestVersions: latestVersionNumbers(record.stages).flatMap(
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
  record: ModelRecord
): Promise<RegisteredModelView> {
  const [view] = await modelViews(deps, [record]);
  if (!view) throw new RegisteredModelDoesNotExistError(record.model.name);
  return view;
}
