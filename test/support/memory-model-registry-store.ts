import type { Activity } from '#domain/activity.ts';
import {
  ConcurrentModificationError,
  InvalidParameterValueError,
  RegisteredModelAlreadyExistsError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import type { RegistryEvent } from '#domain/events.ts';
import { limits } from '#domain/limits.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import type {
  Grant,
  Grantee,
  PermissionLevel,
  RootPermissionLevel,
} from '#domain/permissions.ts';
import type { RegisteredModel } from '#domain/registered-model.ts';
import { stageBoundsOf } from '#domain/registry/stage-members.ts';
import { STAGES, type Stage } from '#domain/stages.ts';
import type {
  ArtifactPurge,
  ArtifactPurgeStore,
} from '#ports/artifact-purge-store.ts';
import type {
  ModelAccess,
  ModelListingPage,
  ModelListingQuery,
  ModelRecord,
  ModelRegistryStore,
  TransitionCommit,
  UploadConsumption,
  VersionDeletion,
  VersionStatusUpdate,
} from '#ports/model-registry-store.ts';
import type {
  PendingRegistration,
  RegistrationLease,
  RegistrationLeaseStore,
} from '#ports/registration-lease-store.ts';
import { MemoryOutboxStore } from './memory-outbox-store.ts';

/**
 * DynamoDB orders string keys by their UTF-8 bytes; JavaScript's default
 * comparison uses UTF-16 code units, which disagrees for characters above
 * U+FFFF against U+E000–U+FFFF, and `localeCompare` disagrees almost
 * everywhere (case, accents).
 */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** DynamoDB's cap on the actions of one transaction. */
const MAX_TRANSACTION_ITEMS = 100;

interface StoredModel {
  id: string;
  name: string;
  description: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  userId: string;
  tags: Map<string, string>;
  aliases: Map<string, number>;
  /** `<kind>:<name>` → level, as the adapter's `acl` map. */
  acl: Map<string, string>;
  revision: number;
  versionCounter: number;
  stages: Record<Stage, Set<number>>;
  /** The last-update index position (GSI2SK), as the adapter writes it. */
  updatePosition: string;
}

type StoredVersion = {
  -readonly [K in keyof Omit<ModelVersion, 'tags'>]: ModelVersion[K];
} & { tags: Map<string, string> };

function lastUpdatedPosition(epochMillis: number, name: string): string {
  return `${String(epochMillis).padStart(15, '0')}#${name}`;
}

function sortedEntries<V>(map: Map<string, V>): [string, V][] {
  return [...map].sort(([a], [b]) => compareUtf8(a, b));
}

function emptyStages(): Record<Stage, Set<number>> {
  return {
    None: new Set(),
    Staging: new Set(),
    Production: new Set(),
    Archived: new Set(),
  };
}

/**
 * {@link ModelRegistryStore} in memory, with the DynamoDB adapter's
 * semantics, checked by the shared store contract suite: unique names, the
 * same conditions (revision, version counter, stage of a version) turning a
 * stale write into `ConcurrentModificationError`, tags and aliases read back
 * in key order, listings in UTF-8 byte order, and copies in and out so
 * callers never share state with the store.
 *
 * Unlike DynamoDB it enforces no item-size or key-size limit.
 */
export class MemoryModelRegistryStore implements ModelRegistryStore {
  readonly #names = new Map<string, string>();
  readonly #models = new Map<string, StoredModel>();
  readonly #versions = new Map<string, StoredVersion>();
  readonly #activities = new Map<string, Activity>();
  readonly #registrations = new Map<string, PendingRegistration>();
  readonly #purges = new Map<string, ArtifactPurge>();
  #rootAcl: Map<string, string> | undefined;
  /**
   * The activity items in the models' partitions, for the fakes of the
   * stores that write them there too (transition requests and comments),
   * so `listActivities` shows them as the table does.
   */
  /** The outbox the stores' changes write their events into. */
  readonly outbox = new MemoryOutboxStore();

  readonly activityItems = {
    put: (activity: Activity): void => {
      this.#activities.set(activityKey(activity), { ...activity });
    },
    has: (activity: Activity): boolean =>
      this.#activities.has(activityKey(activity)),
    find: (id: string): Activity | undefined => {
      const found = [...this.#activities.values()].find((a) => a.id === id);
      return found ? toActivity(found) : undefined;
    },
    replace: (activity: Activity): boolean => {
      const key = activityKey(activity);
      if (!this.#activities.has(key)) return false;
      this.#activities.set(key, { ...activity });
      return true;
    },
    delete: (activity: Activity): void => {
      this.#activities.delete(activityKey(activity));
    },
  };
  /**
   * The leases of pending registrations, created and ended by this store's
   * version writes as the adapter's transactions do.
   */
  readonly leases: RegistrationLeaseStore = new MemoryRegistrationLeases(
    this.#registrations
  );
  /** The artifact purges this store's deletions record, as the adapter's transactions do. */
  readonly purges: ArtifactPurgeStore = new MemoryArtifactPurges(this.#purges);
  /**
   * The upload sessions a version may consume (the DynamoDB adapter's third
   * transaction item); `createVersion` with a consumption fails without it.
   */
  uploads?: {
    consume(consumption: UploadConsumption, version: ModelVersion): void;
  };

  async createRegisteredModel(
    model: RegisteredModel,
    grants: readonly Grant[],
    events?: readonly RegistryEvent[]
  ): Promise<void> {
    // Checks and inserts in one synchronous step, like the transaction.
    if (this.#names.has(model.name)) {
      throw new RegisteredModelAlreadyExistsError(model.name);
    }
    if (this.#models.has(model.id)) {
      throw new Error(`Transaction cancelled: model id ${model.id} is taken.`);
    }
    this.outbox.append(events);
    this.#names.set(model.name, model.id);
    this.#models.set(model.id, {
      id: model.id,
      name: model.name,
      description: model.description,
      creationTimestamp: model.creationTimestamp,
      lastUpdatedTimestamp: model.lastUpdatedTimestamp,
      userId: model.userId,
      tags: new Map(model.tags.map((tag) => [tag.key, tag.value])),
      aliases: new Map(),
      acl: aclMap(grants),
      revision: 0,
      versionCounter: 0,
      stages: emptyStages(),
      updatePosition: lastUpdatedPosition(
        model.lastUpdatedTimestamp,
        model.name
      ),
    });
  }

  async setModelGrants(
    modelId: string,
    grants: readonly Grant[]
  ): Promise<void> {
    this.#existingModel(modelId).acl = aclMap(grants);
  }

  async getRootGrants(): Promise<
    readonly Grant<RootPermissionLevel>[] | undefined
  > {
    return this.#rootAcl
      ? grantsFrom<RootPermissionLevel>(this.#rootAcl)
      : undefined;
  }

  async setRootGrants(
    grants: readonly Grant<RootPermissionLevel>[]
  ): Promise<void> {
    this.#rootAcl = aclMap(grants);
  }

  async getModelRecordByName(name: string): Promise<ModelRecord | undefined> {
    const id = this.#names.get(name);
    const stored = id === undefined ? undefined : this.#models.get(id);
    return stored?.name === name ? toRecord(stored) : undefined;
  }

  async getModelAccessByName(name: string): Promise<ModelAccess> {
    return {
      record: await this.getModelRecordByName(name),
      rootGrants: await this.getRootGrants(),
    };
  }

  async getModelAccessById(id: string): Promise<ModelAccess> {
    return {
      record: await this.getModelRecordById(id),
      rootGrants: await this.getRootGrants(),
    };
  }

  async getModelRecordById(
    id: string,
    options: { readonly stages?: boolean } = {}
  ): Promise<ModelRecord | undefined> {
    const stored = this.#models.get(id);
    if (!stored) return undefined;
    const record = toRecord(stored);
    return options.stages === false ? withoutMembers(record) : record;
  }

  async getModelRecordsByIds(
    ids: readonly string[],
    options: { readonly stages?: boolean } = {}
  ): Promise<readonly ModelRecord[]> {
    return [...new Set(ids)].flatMap((id) => {
      const stored = this.#models.get(id);
      if (!stored) return [];
      const record = toRecord(stored);
      return [options.stages ? record : withoutMembers(record)];
    });
  }

  async listModels(query: ModelListingQuery): Promise<ModelListingPage> {
    const byName = query.orderBy === 'name';
    const direction = query.descending ? -1 : 1;
    const { after, namePrefix } = query;
    const entries = [...this.#models.values()]
      .map((stored) => ({
        stored,
        position: byName ? stored.name : stored.updatePosition,
      }))
      .filter(
        ({ stored }) =>
          !byName ||
          namePrefix === undefined ||
          query.descending ||
          stored.name.startsWith(namePrefix)
      )
      .filter(
        ({ position }) =>
          after === undefined || compareUtf8(position, after) * direction > 0
      )
      .sort((a, b) => compareUtf8(a.position, b.position) * direction);
    const page = entries.slice(0, query.limit);
    return {
      records: page.map(({ stored }) => withoutMembers(toRecord(stored))),
      positions: page.map(({ position }) => position),
      // A Query that stops at its Limit reports a LastEvaluatedKey even
      // when nothing follows; the adapter then says "not exhausted".
      exhausted: page.length < query.limit,
    };
  }

  async updateModelDescription(
    model: RegisteredModel,
    description: string,
    now: number
  ): Promise<void> {
    const stored = this.#existingModel(model.id);
    stored.description = description;
    stored.lastUpdatedTimestamp = now;
    stored.updatePosition = lastUpdatedPosition(now, model.name);
  }

  async renameModel(
    record: ModelRecord,
    newName: string,
    now: number
  ): Promise<void> {
    const { model } = record;
    if (newName === model.name) {
      throw new Error(
        'ValidationException: Transaction request cannot include multiple operations on one item'
      );
    }
    if (this.#names.has(newName)) {
      throw new RegisteredModelAlreadyExistsError(newName);
    }
    const stored = this.#models.get(model.id);
    if (
      this.#names.get(model.name) !== model.id ||
      stored?.revision !== record.revision
    ) {
      throw new ConcurrentModificationError(`Model ${model.name} changed.`);
    }
    this.#names.delete(model.name);
    this.#names.set(newName, model.id);
    stored.name = newName;
    stored.lastUpdatedTimestamp = now;
    stored.updatePosition = lastUpdatedPosition(now, newName);
    stored.revision += 1;
  }

  async deleteModel(record: ModelRecord, now: number): Promise<void> {
    const { model } = record;
    const stored = this.#models.get(model.id);
    if (
      this.#names.get(model.name) !== model.id ||
      stored?.revision !== record.revision
    ) {
      throw new ConcurrentModificationError(`Model ${model.name} changed.`);
    }
    this.#names.delete(model.name);
    this.#models.delete(model.id);
    for (const [key, version] of this.#versions) {
      if (version.modelId === model.id) this.#versions.delete(key);
    }
    for (const [key, registration] of this.#registrations) {
      if (registration.modelId === model.id) this.#registrations.delete(key);
    }
    for (const [key, activity] of this.#activities) {
      if (activity.modelId === model.id) this.#activities.delete(key);
    }
    this.#purges.set(purgeKey(model.id, undefined), {
      modelId: model.id,
      requestedAt: now,
    });
  }

  async setModelTag(modelId: string, key: string, value: string) {
    setTag(this.#models.get(modelId), key, value);
  }

  async deleteModelTag(modelId: string, key: string): Promise<boolean> {
    return this.#models.get(modelId)?.tags.delete(key) ?? false;
  }

  async setAlias(modelId: string, alias: string, version: number) {
    const stored = this.#models.get(modelId);
    if (!stored || !this.#versions.has(versionKey(modelId, version))) {
      throw new ResourceDoesNotExistError(
        `Model version ${version} does not exist.`
      );
    }
    stored.aliases.set(alias, version);
    // As the adapter: a concurrent deletion planned without this alias
    // must fail and replan.
    stored.revision += 1;
  }

  async deleteAlias(modelId: string, alias: string): Promise<void> {
    this.#existingModel(modelId).aliases.delete(alias);
  }

  async claimVersionNumber(
    modelId: string,
    atMost: number
  ): Promise<number | undefined> {
    const stored = this.#models.get(modelId);
    if (!stored) {
      throw new ConcurrentModificationError(`Model ${modelId} is gone.`);
    }
    if (stored.versionCounter >= atMost) return undefined;
    stored.versionCounter += 1;
    return stored.versionCounter;
  }

  async createVersion(
    record: ModelRecord,
    version: ModelVersion,
    consume?: UploadConsumption,
    events?: readonly RegistryEvent[],
    claimed = false
  ) {
    const number = claimed ? version.version : record.versionCounter + 1;
    if (version.version !== number) {
      throw new Error(
        `Version ${version.version} is not the next number ${number}`
      );
    }
    const stored = this.#models.get(version.modelId);
    const key = versionKey(version.modelId, number);
    if (
      !stored ||
      (claimed
        ? stored.versionCounter < number
        : stored.versionCounter !== record.versionCounter) ||
      this.#versions.has(key)
    ) {
      throw new ConcurrentModificationError(
        `Version ${number} of ${record.model.name} was taken.`
      );
    }
    if (consume) {
      if (!this.uploads) throw new Error('No upload sessions in this store.');
      // Throws (and changes nothing) when the session is not usable.
      this.uploads.consume(consume, version);
    }
    this.outbox.append(events);
    if (!claimed) stored.versionCounter = number;
    stored.lastUpdatedTimestamp = version.creationTimestamp;
    stored.updatePosition = lastUpdatedPosition(
      version.creationTimestamp,
      record.model.name
    );
    stored.revision += 1;
    stored.stages.None.add(number);
    this.#versions.set(key, {
      ...version,
      tags: new Map(version.tags.map((tag) => [tag.key, tag.value])),
    });
    if (consume) {
      this.#registrations.set(key, {
        modelId: version.modelId,
        version: number,
        uploadId: consume.uploadId,
        createdAt: consume.now,
        lease: { attempt: 1, expiresAt: consume.leaseExpiresAt },
        startAt: 0,
      });
    }
  }

  async setVersionStatus(
    modelId: string,
    version: number,
    update: VersionStatusUpdate
  ): Promise<boolean> {
    const key = versionKey(modelId, version);
    const stored = this.#versions.get(key);
    if (!stored || stored.status !== update.expectedStatus) return false;
    if (update.expectedStatus === 'PENDING_REGISTRATION') {
      const lease = this.#registrations.get(key)?.lease;
      if (
        update.lease &&
        (lease?.attempt !== update.lease.attempt ||
          (update.lease.expiresAt !== undefined &&
            lease.expiresAt !== update.lease.expiresAt))
      ) {
        return false;
      }
      this.#registrations.delete(key);
    }
    this.outbox.append(update.events);
    stored.status = update.status;
    stored.statusMessage = update.statusMessage;
    stored.lastUpdatedTimestamp = update.now;
    return true;
  }

  async getVersion(
    modelId: string,
    version: number
  ): Promise<ModelVersion | undefined> {
    const stored = this.#versions.get(versionKey(modelId, version));
    return stored ? toVersion(stored) : undefined;
  }

  async getVersions(
    keys: readonly { modelId: string; version: number }[]
  ): Promise<readonly ModelVersion[]> {
    const wanted = new Set(keys.map((k) => versionKey(k.modelId, k.version)));
    return [...wanted].flatMap((key) => {
      const stored = this.#versions.get(key);
      return stored ? [toVersion(stored)] : [];
    });
  }

  async listVersions(modelId: string): Promise<readonly ModelVersion[]> {
    return [...this.#versions.values()]
      .filter((version) => version.modelId === modelId)
      .sort((a, b) => a.version - b.version)
      .map(toVersion);
  }

  async listVersionsByRunId(runId: string): Promise<readonly ModelVersion[]> {
    if (runId === '') return [];
    return [...this.#versions.values()]
      .filter((version) => version.runId === runId)
      .sort((a, b) => a.version - b.version)
      .map(toVersion);
  }

  async updateVersionDescription(
    modelId: string,
    version: number,
    description: string,
    now: number
  ): Promise<void> {
    const stored = this.#versions.get(versionKey(modelId, version));
    if (!stored) {
      throw new ResourceDoesNotExistError('The resource no longer exists.');
    }
    stored.description = description;
    stored.lastUpdatedTimestamp = now;
  }

  async setVersionTag(
    modelId: string,
    version: number,
    key: string,
    value: string,
    events?: readonly RegistryEvent[]
  ): Promise<void> {
    setTag(this.#versions.get(versionKey(modelId, version)), key, value);
    this.outbox.append(events);
  }

  async deleteVersionTag(
    modelId: string,
    version: number,
    key: string
  ): Promise<boolean> {
    return (
      this.#versions.get(versionKey(modelId, version))?.tags.delete(key) ??
      false
    );
  }

  async deleteVersion(deletion: VersionDeletion): Promise<void> {
    const { model } = deletion.record;
    const stored = this.#models.get(model.id);
    const key = versionKey(model.id, deletion.version);
    if (
      stored?.revision !== deletion.record.revision ||
      this.#versions.get(key)?.currentStage !== deletion.stage
    ) {
      throw new ConcurrentModificationError(`Model ${model.name} changed.`);
    }
    stored.revision += 1;
    stored.lastUpdatedTimestamp = deletion.now;
    stored.updatePosition = lastUpdatedPosition(deletion.now, model.name);
    stored.stages[deletion.stage].delete(deletion.version);
    for (const alias of deletion.aliases) stored.aliases.delete(alias);
    this.#versions.delete(key);
    for (const [activityKey, activity] of this.#activities) {
      if (
        activity.modelId === model.id &&
        activity.version === deletion.version
      ) {
        this.#activities.delete(activityKey);
      }
    }
    this.#purges.set(purgeKey(model.id, deletion.version), {
      modelId: model.id,
      version: deletion.version,
      requestedAt: deletion.now,
    });
  }

  async commitTransition(commit: TransitionCommit): Promise<void> {
    const { model } = commit.record;
    const moves = [
      ...(commit.target ? [commit.target] : []),
      ...commit.archived.map((version) => ({
        version,
        from: commit.archivedFrom ?? 'None',
        to: 'Archived' as const,
      })),
    ];
    if (new Set(moves.map((move) => move.version)).size < moves.length) {
      throw new Error(
        'ValidationException: Transaction request cannot include multiple operations on one item'
      );
    }
    const actions =
      1 +
      moves.length +
      commit.activities.length +
      (commit.events?.length ?? 0);
    if (actions > MAX_TRANSACTION_ITEMS) {
      throw new Error(
        `ValidationException: ${actions} transaction items, at most ${MAX_TRANSACTION_ITEMS}.`
      );
    }
    const stored = this.#models.get(model.id);
    const stale =
      stored?.revision !== commit.record.revision ||
      moves.some(
        (move) =>
          this.#versions.get(versionKey(model.id, move.version))
            ?.currentStage !== move.from
      ) ||
      commit.activities.some((activity) =>
        this.#activities.has(activityKey(activity))
      );
    if (stale || !stored) {
      throw new ConcurrentModificationError(`Model ${model.name} changed.`);
    }
    this.outbox.append(commit.events);
    stored.revision += 1;
    stored.lastUpdatedTimestamp = commit.now;
    stored.updatePosition = lastUpdatedPosition(commit.now, model.name);
    for (const stage of STAGES) {
      stored.stages[stage] = new Set(commit.stagesAfter[stage]);
    }
    for (const move of moves) {
      const version = this.#versions.get(versionKey(model.id, move.version));
      if (version) {
        version.currentStage = move.to;
        version.lastUpdatedTimestamp = commit.now;
      }
    }
    for (const activity of commit.activities) {
      this.#activities.set(activityKey(activity), { ...activity });
    }
  }

  async listActivities(
    modelId: string,
    version: number
  ): Promise<readonly Activity[]> {
    return [...this.#activities]
      .filter(
        ([, activity]) =>
          activity.modelId === modelId && activity.version === version
      )
      .sort(([a], [b]) => compareUtf8(a, b))
      .map(([, activity]) => toActivity(activity));
  }

  #existingModel(modelId: string): StoredModel {
    const stored = this.#models.get(modelId);
    if (!stored) {
      throw new ResourceDoesNotExistError('The resource no longer exists.');
    }
    return stored;
  }
}

function versionKey(modelId: string, version: number): string {
  return `${modelId}#${version}`;
}

/** The activity's sort key: its version, then time, then id. */
function activityKey(activity: Activity): string {
  return [
    activity.modelId,
    String(activity.version).padStart(10, '0'),
    String(activity.creationTimestamp).padStart(15, '0'),
    activity.id,
  ].join('#');
}

/** Grants as the adapter stores them: a map, one level per grantee. */
function aclMap(grants: readonly Grant<string>[]): Map<string, string> {
  return new Map(
    grants.map((grant) => [
      `${grant.grantee.kind}:${grant.grantee.name}`,
      grant.level,
    ])
  );
}

function grantsFrom<L extends string>(acl: Map<string, string>): Grant<L>[] {
  return [...acl].flatMap(([key, level]) => {
    const separator = key.indexOf(':');
    const kind = key.slice(0, separator);
    const name = key.slice(separator + 1);
    if (kind !== 'user' && kind !== 'group' && kind !== 'service_principal') {
      return [];
    }
    return [{ grantee: { kind, name } as Grantee, level: level as L }];
  });
}

/** Replacing a tag never hits the limit; adding one may. */
function setTag(
  owner: { tags: Map<string, string> } | undefined,
  key: string,
  value: string
): void {
  if (!owner) {
    throw new ResourceDoesNotExistError('The resource no longer exists.');
  }
  if (!owner.tags.has(key) && owner.tags.size >= limits.tagsPerEntity) {
    throw new InvalidParameterValueError(
      `At most ${limits.tagsPerEntity} tags are allowed.`
    );
  }
  owner.tags.set(key, value);
}

function toRecord(stored: StoredModel): ModelRecord {
  const stages = Object.fromEntries(
    STAGES.map((stage) => [
      stage,
      [...stored.stages[stage]].sort((a, b) => a - b),
    ])
  ) as Record<Stage, number[]>;
  return {
    model: {
      id: stored.id,
      name: stored.name,
      description: stored.description,
      creationTimestamp: stored.creationTimestamp,
      lastUpdatedTimestamp: stored.lastUpdatedTimestamp,
      userId: stored.userId,
      tags: sortedEntries(stored.tags).map(([key, value]) => ({ key, value })),
      aliases: sortedEntries(stored.aliases).map(([alias, version]) => ({
        alias,
        version,
      })),
    },
    revision: stored.revision,
    versionCounter: stored.versionCounter,
    grants: grantsFrom<PermissionLevel>(stored.acl),
    stages,
    stageBounds: stageBoundsOf(stages),
  };
}

/** A record as the reads that leave the stage members out give it. */
function withoutMembers(record: ModelRecord): ModelRecord {
  const { stages: _members, ...rest } = record;
  return rest;
}

function toVersion(stored: StoredVersion): ModelVersion {
  return {
    modelId: stored.modelId,
    version: stored.version,
    currentStage: stored.currentStage,
    description: stored.description,
    source: stored.source,
    runId: stored.runId,
    runLink: stored.runLink,
    status: stored.status,
    statusMessage: stored.statusMessage,
    tags: sortedEntries(stored.tags).map(([key, value]) => ({ key, value })),
    creationTimestamp: stored.creationTimestamp,
    lastUpdatedTimestamp: stored.lastUpdatedTimestamp,
    userId: stored.userId,
    ...(stored.uploadId === undefined ? {} : { uploadId: stored.uploadId }),
    ...(stored.storageLocation === undefined
      ? {}
      : { storageLocation: stored.storageLocation }),
  };
}

/** The shape the adapter reads back: every optional field present. */
function toActivity(activity: Activity): Activity {
  return {
    id: activity.id,
    modelId: activity.modelId,
    version: activity.version,
    activityType: activity.activityType,
    fromStage: activity.fromStage,
    toStage: activity.toStage,
    userId: activity.userId,
    creationTimestamp: activity.creationTimestamp,
    lastUpdatedTimestamp: activity.lastUpdatedTimestamp,
    comment: activity.comment,
    systemComment: activity.systemComment,
  };
}

function purgeKey(modelId: string, version: number | undefined): string {
  return `${modelId}#${version ?? 'MODEL'}`;
}

/** The purges of one store's deletions, oldest first. */
class MemoryArtifactPurges implements ArtifactPurgeStore {
  readonly #purges: Map<string, ArtifactPurge>;

  constructor(purges: Map<string, ArtifactPurge>) {
    this.#purges = purges;
  }

  async listPurges(
    before: number,
    limit: number
  ): Promise<readonly ArtifactPurge[]> {
    return [...this.#purges.values()]
      .filter((purge) => purge.requestedAt < before)
      .sort((a, b) => a.requestedAt - b.requestedAt)
      .slice(0, limit)
      .map((purge) => ({ ...purge }));
  }

  async finishPurge(purge: ArtifactPurge): Promise<void> {
    this.#purges.delete(purgeKey(purge.modelId, purge.version));
  }
}

/** The adapter's conditions on the attempt (and expiry), over one map. */
class MemoryRegistrationLeases implements RegistrationLeaseStore {
  readonly #registrations: Map<string, PendingRegistration>;

  constructor(registrations: Map<string, PendingRegistration>) {
    this.#registrations = registrations;
  }

  async renew(
    modelId: string,
    version: number,
    lease: RegistrationLease,
    startAt?: number
  ): Promise<boolean> {
    const key = versionKey(modelId, version);
    const stored = this.#registrations.get(key);
    if (stored?.lease.attempt !== lease.attempt) return false;
    this.#registrations.set(key, {
      ...stored,
      lease: { ...lease },
      startAt: startAt ?? stored.startAt,
    });
    return true;
  }

  async listExpired(
    before: number,
    limit: number
  ): Promise<readonly PendingRegistration[]> {
    return [...this.#registrations.values()]
      .filter((registration) => registration.lease.expiresAt < before)
      .sort((a, b) => a.lease.expiresAt - b.lease.expiresAt)
      .slice(0, limit)
      .map((registration) => structuredClone(registration));
  }

  async claim(
    registration: PendingRegistration,
    expiresAt: number
  ): Promise<RegistrationLease | undefined> {
    const key = versionKey(registration.modelId, registration.version);
    const stored = this.#registrations.get(key);
    if (
      stored?.lease.attempt !== registration.lease.attempt ||
      stored.lease.expiresAt !== registration.lease.expiresAt
    ) {
      return undefined;
    }
    const lease = { attempt: stored.lease.attempt + 1, expiresAt };
    this.#registrations.set(key, { ...stored, lease });
    return { ...lease };
  }

  async remove(registration: PendingRegistration): Promise<void> {
    const key = versionKey(registration.modelId, registration.version);
    if (
      this.#registrations.get(key)?.lease.attempt === registration.lease.attempt
    ) {
      this.#registrations.delete(key);
    }
  }
}
