import type { Activity } from '#domain/activity.ts';
import type { RegistryEvent } from '#domain/events.ts';
import type {
  ModelVersion,
  ModelVersionStatus,
} from '#domain/model-version.ts';
import type { Grant, RootPermissionLevel } from '#domain/permissions.ts';
import type { RegisteredModel } from '#domain/registered-model.ts';
import type { Stage } from '#domain/stages.ts';

/**
 * A model with the bookkeeping its invariants need, read consistently.
 *
 * `revision` is bumped by every write that changes which versions exist or
 * which stage they are in; writes that depend on that picture (transitions,
 * archival, deletes, rename) are conditioned on it, so a lost race is
 * detected instead of breaking an invariant.
 */
export interface ModelRecord {
  readonly model: RegisteredModel;
  readonly revision: number;
  /** The highest version number ever assigned (deleted ones included). */
  readonly versionCounter: number;
  /**
   * The lowest and highest version of each non-empty stage: what MLflow's
   * `latest_versions` and `models:/<name>/<stage>` need. Every read has it,
   * and what it costs does not grow with the model's version count.
   */
  readonly stageBounds: StageBounds;
  /**
   * Version numbers currently in each stage, on records read with them:
   * every read except the access check of a model read (whose use cases
   * need only {@link stageBounds}); the writes that move versions between
   * stages plan on them. Their size grows with the versions (about 5
   * bytes each), which is why a model read leaves them out.
   */
  readonly stages?: StageMembers;
  /**
   * Which state of the members {@link stages} is (the store's own
   * bookkeeping): writes planned on them are conditioned on it.
   */
  readonly stagesRevision?: number;
  /** Direct permission grants on the model (its access control list). */
  readonly grants: readonly Grant[];
}

/** Version numbers currently in each stage. */
export type StageMembers = Readonly<Record<Stage, readonly number[]>>;

/** The lowest and highest version number of each non-empty stage. */
export type StageBounds = Readonly<
  Partial<Record<Stage, { readonly lowest: number; readonly highest: number }>>
>;

/** A model's record with the registry-wide grants, as one read gives them. */
export interface ModelAccess {
  readonly record: ModelRecord | undefined;
  readonly rootGrants: readonly Grant<RootPermissionLevel>[] | undefined;
}

/** Which index a model listing walks, and in which direction. */
export interface ModelListingQuery {
  readonly orderBy: 'name' | 'last_updated_timestamp';
  readonly descending: boolean;
  /** Resume strictly after this opaque index position. */
  readonly after?: string | undefined;
  /** Only names starting with this (name order only). */
  readonly namePrefix?: string | undefined;
  /** Upper bound on the models read in this call. */
  readonly limit: number;
}

export interface ModelListingPage {
  /** From the index (eventually consistent), stage membership included. */
  readonly records: readonly ModelRecord[];
  /** Index position of each model, for resuming after it. */
  readonly positions: readonly string[];
  /** True when the index has nothing after the last model returned. */
  readonly exhausted: boolean;
}

/** One atomic stage change: the target's move and the versions it archives. */
export interface TransitionCommit {
  /** The record the commit was planned on; its revision is the condition. */
  readonly record: ModelRecord;
  readonly now: number;
  /** Absent for a chunk that only archives (large archival, docs/design-notes.md). */
  readonly target?:
    | { readonly version: number; readonly from: Stage; readonly to: Stage }
    | undefined;
  /** Versions moved to Archived from `archivedFrom`. */
  readonly archived: readonly number[];
  readonly archivedFrom?: Stage | undefined;
  readonly activities: readonly Activity[];
  /** The events the commit announces (the outbox, same transaction). */
  readonly events?: readonly RegistryEvent[] | undefined;
  /** Stage membership once committed (computed by the domain). */
  readonly stagesAfter: Readonly<Record<Stage, readonly number[]>>;
}

export interface VersionDeletion {
  /** The record the deletion was planned on; its revision is the condition. */
  readonly record: ModelRecord;
  readonly version: number;
  readonly stage: Stage;
  readonly aliases: readonly string[];
  readonly now: number;
}

/**
 * Consumes a COMPLETED upload session in the same transaction that creates
 * the version registered from it: one version per session, and no version
 * without its session.
 */
export interface UploadConsumption {
  readonly uploadId: string;
  /** The session must belong to this principal (omitted for admins). */
  readonly ownerId?: string | undefined;
  readonly now: number;
  /**
   * Until when the first attempt of the version's registration holds its
   * lease (see `RegistrationLeaseStore`), created in the same transaction.
   */
  readonly leaseExpiresAt: number;
}

/**
 * A version's registration status, changed only from `expectedStatus`.
 * Leaving PENDING_REGISTRATION also removes the registration's lease, in the
 * same transaction.
 */
export interface VersionStatusUpdate {
  readonly status: ModelVersionStatus;
  readonly statusMessage: string;
  readonly now: number;
  readonly expectedStatus: ModelVersionStatus;
  /**
   * Only while this attempt holds the registration (and, with `expiresAt`,
   * its lease is still the one read): a superseded attempt ends nothing.
   * @default - whoever holds it
   */
  readonly lease?:
    | { readonly attempt: number; readonly expiresAt?: number | undefined }
    | undefined;
  /** The events the change announces (the outbox, same transaction). */
  readonly events?: readonly RegistryEvent[] | undefined;
}

/**
 * Registered models, their unique names, tags and aliases.
 */
export interface RegisteredModelStore {
  /**
   * Stores a new model with its initial grants (the creator's Can Manage)
   * and the events that announce it (the outbox, same transaction).
   * @throws RegisteredModelAlreadyExistsError when the name is taken;
   *   ConcurrentModificationError when a concurrent write on the same name
   *   collided with it (nothing was written: the caller retries).
   */
  createRegisteredModel(
    model: RegisteredModel,
    grants: readonly Grant[],
    events?: readonly RegistryEvent[]
  ): Promise<void>;
  getModelRecordByName(name: string): Promise<ModelRecord | undefined>;
  /**
   * The model a name names together with the registry-wide grants (each
   * `undefined` when absent), in as few round trips as the store can: the
   * access check of every route that names a model needs both.
   */
  getModelAccessByName(name: string): Promise<ModelAccess>;
  /** {@link getModelAccessByName} for a model named by its id. */
  getModelAccessById(id: string): Promise<ModelAccess>;
  /**
   * A consistent read of one model's record, with its stage members unless
   * `options.stages` is false (for callers that need only the model's own
   * fields: its name, grants or bounds, one item instead of two).
   */
  getModelRecordById(
    id: string,
    options?: { readonly stages?: boolean }
  ): Promise<ModelRecord | undefined>;
  /**
   * Consistent reads of many models' records (missing ones are left out),
   * with their stage members when `options.stages` asks for them.
   */
  getModelRecordsByIds(
    ids: readonly string[],
    options?: { readonly stages?: boolean }
  ): Promise<readonly ModelRecord[]>;
  listModels(query: ModelListingQuery): Promise<ModelListingPage>;

  /** Description (and last-update time); the model must exist. */
  updateModelDescription(
    model: RegisteredModel,
    description: string,
    now: number
  ): Promise<void>;
  /**
   * @throws RegisteredModelAlreadyExistsError when `newName` is taken;
   *   ConcurrentModificationError when the revision moved.
   */
  renameModel(record: ModelRecord, newName: string, now: number): Promise<void>;
  /** @throws InvalidParameterValueError past the per-model tag limit. */
  setModelTag(modelId: string, key: string, value: string): Promise<void>;
  /** @returns false when there was no such tag. */
  deleteModelTag(modelId: string, key: string): Promise<boolean>;
  /** @throws ResourceDoesNotExistError when the version does not exist. */
  setAlias(modelId: string, alias: string, version: number): Promise<void>;
  deleteAlias(modelId: string, alias: string): Promise<void>;
}

/** Access control lists: each model's, and the registry-wide (root) one. */
export interface ModelAclStore {
  /** Replaces the model's direct grants. */
  setModelGrants(modelId: string, grants: readonly Grant[]): Promise<void>;
  /** Registry-wide grants; `undefined` until first set (defaults apply). */
  getRootGrants(): Promise<readonly Grant<RootPermissionLevel>[] | undefined>;
  setRootGrants(grants: readonly Grant<RootPermissionLevel>[]): Promise<void>;
}

/** Model versions: numbering, registration status, tags and stages. */
export interface ModelVersionStore {
  /**
   * Stores version `versionCounter + 1` of the record's model (or, with
   * `claimed`, the number {@link claimVersionNumber} gave the caller),
   * consuming the upload session it is registered from in the same
   * transaction, with the lease of its registration's first attempt, and
   * the events that announce it (the outbox).
   * @throws ConcurrentModificationError when another version got the number
   *   (or, claimed, when the model is gone or the write collided);
   *   UploadNotUsableError when the session is not a COMPLETED one of the
   *   owner (anymore).
   */
  createVersion(
    record: ModelRecord,
    version: ModelVersion,
    consume?: UploadConsumption,
    events?: readonly RegistryEvent[],
    claimed?: boolean
  ): Promise<void>;
  /**
   * Takes the model's next version number for one create alone, in one
   * write that never loses a race: concurrent creates on one model each get
   * their own number instead of retrying for the same one. The caller then
   * stores its version under it (`createVersion(..., claimed = true)`).
   * @returns undefined when the model already counts `atMost` versions.
   * @throws ConcurrentModificationError when the model is gone (the caller
   *   re-reads it and answers 404).
   */
  claimVersionNumber(
    modelId: string,
    atMost: number
  ): Promise<number | undefined>;
  /**
   * Sets a version's registration status (and its last-update time), only
   * from `expectedStatus`.
   * @returns false when the version is gone or in another status.
   */
  setVersionStatus(
    modelId: string,
    version: number,
    update: VersionStatusUpdate
  ): Promise<boolean>;
  getVersion(
    modelId: string,
    version: number
  ): Promise<ModelVersion | undefined>;
  getVersions(
    keys: readonly { modelId: string; version: number }[]
  ): Promise<readonly ModelVersion[]>;
  listVersions(modelId: string): Promise<readonly ModelVersion[]>;
  listVersionsByRunId(runId: string): Promise<readonly ModelVersion[]>;
  updateVersionDescription(
    modelId: string,
    version: number,
    description: string,
    now: number
  ): Promise<void>;
  /** Sets one tag, with the events that announce it (same transaction). */
  setVersionTag(
    modelId: string,
    version: number,
    key: string,
    value: string,
    events?: readonly RegistryEvent[]
  ): Promise<void>;
  deleteVersionTag(
    modelId: string,
    version: number,
    key: string
  ): Promise<boolean>;
  /** Applies a stage change and its archival and activities atomically. */
  commitTransition(commit: TransitionCommit): Promise<void>;
}

/** A version's activity feed (written by the transactions that cause it). */
export interface ModelActivityStore {
  listActivities(
    modelId: string,
    version: number
  ): Promise<readonly Activity[]>;
}

/** Deletions, each committed first and then purging what hung off it. */
/**
 * Deletions. Each records, in the same transaction, the purge of the
 * managed files it leaves (`ArtifactPurgeStore`), which the cleanup job
 * carries out.
 */
export interface ModelDeletionStore {
  /**
   * Removes the model with its versions, tags, aliases and activities.
   * @param now when (epoch milliseconds), for the purge of its files.
   */
  deleteModel(record: ModelRecord, now: number): Promise<void>;
  deleteVersion(deletion: VersionDeletion): Promise<void>;
}

/**
 * Persistence of registered models, versions and activities, one slice per
 * entity.
 *
 * Every invariant is enforced with conditional writes and transactions,
 * never with a read before an unconditional write. Methods that take an
 * `expectedRevision` (or a counter) throw `ConcurrentModificationError` when
 * the model changed meanwhile; the caller re-reads and retries.
 */
export interface ModelRegistryStore
  extends RegisteredModelStore,
    ModelAclStore,
    ModelVersionStore,
    ModelActivityStore,
    ModelDeletionStore {}
