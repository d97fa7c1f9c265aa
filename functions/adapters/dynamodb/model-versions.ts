import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RegistryEvent } from '#domain/events.ts';
import type {
  ModelVersion,
  ModelVersionStatus,
} from '#domain/model-version.ts';
import { stagesOf } from '#domain/registry/stage-members.ts';
import type { Stage } from '#domain/stages.ts';
import type {
  ModelRecord,
  ModelVersionStore,
  TransitionCommit,
  UploadConsumption,
  VersionStatusUpdate,
} from '#ports/model-registry-store.ts';
import { activityPut } from './activities.ts';
import {
  keys,
  lastUpdatedPosition,
  modelPartition,
  stageBoundAttributes,
  VERSION_PREFIX,
} from './keys.ts';
import { outboxPuts } from './outbox-store.ts';
import { pendingRegistrationDelete } from './registration-lease-store.ts';
import {
  BOUNDS_EXACT,
  exactBoundsUpdate,
  membersAdd,
  membershipChange,
} from './stage-members.ts';
import { deleteTag, setTag, tagMap, tagsFrom } from './tags.ts';
import {
  batchGetAll,
  type ConditionErrors,
  getItem,
  type Item,
  itemAtFailure,
  onlyFailedCondition,
  queryAll,
  type RegistryTable,
  type TransactItems,
  transactWrite,
  translateWriteError,
  updateExisting,
  updateExpression,
  writeIf,
} from './toolkit.ts';
import {
  uploadConsumptionItems,
  uploadNotUsable,
} from './upload-consumption.ts';

/**
 * {@link ModelVersionStore}: versions (`MV#<n>`) share their model's
 * partition. Writes that change which versions exist or which stage they
 * are in also update the model item (its stage sets, version counter and
 * revision) in the same transaction. GSI2 lists the versions of a run.
 */
export class DynamoDBModelVersions implements ModelVersionStore {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = table;
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
    const { tableName } = this.#table;
    const rest: TransactItems = [
      {
        Put: {
          TableName: tableName,
          Item: toVersionItem(version),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      ...(consume ? uploadConsumptionItems(tableName, consume, version) : []),
      ...outboxPuts(tableName, events),
    ];
    // Indexes as in `rest` after the model and members items.
    const conditions: ConditionErrors = consume
      ? { 3: () => uploadNotUsable(consume) }
      : {};
    const common = {
      ':now': version.creationTimestamp,
      ':position': lastUpdatedPosition(
        version.creationTimestamp,
        record.model.name
      ),
      ':one': 1,
      ':number': number,
    };
    if (!claimed) {
      // The counter's condition is what makes numbers gap-free and unique:
      // of two concurrent creates reading the same counter, exactly one
      // commits; the other claims the next number (claimVersionNumber),
      // which the claimed branch then only fills. Planned on the members
      // read, this write also keeps the bounds exact.
      const members = stagesOf(record);
      // Sets from before the members item stay where they are (readers
      // read both); the next transition or delete moves them.
      const bounds = exactBoundsUpdate(
        { ...members, None: [...members.None, number] },
        { keepLegacy: true }
      );
      await transactWrite(
        this.#table.client,
        [
          {
            Update: {
              TableName: tableName,
              Key: keys.registeredModel(version.modelId),
              UpdateExpression: updateExpression({
                set: [
                  'versionCounter = :number',
                  'lastUpdatedTimestamp = :now',
                  'GSI2SK = :position',
                  'revision = revision + :one',
                  ...bounds.sets,
                ],
                remove: bounds.removes,
              }),
              ConditionExpression: 'versionCounter = :counter',
              ExpressionAttributeNames: bounds.names,
              ExpressionAttributeValues: {
                ...bounds.values,
                ...common,
                ':counter': record.versionCounter,
              },
            },
          },
          membersAdd(tableName, record.model.id, number, record),
          ...rest,
        ],
        conditions
      );
      return;
    }
    await this.#storeClaimed(record, number, common, rest, conditions);
  }

  /**
   * Stores a claimed number: added to the members without a condition (the
   * claim made it this create's alone), and to the None bounds by a
   * conditional update on where they stand (a create that stored a higher
   * number first moved them already). After {@link CLAIMED_BOUNDS_ATTEMPTS}
   * lost rounds the bounds are marked inexact instead: readers then read
   * the members until a write planned on them restores the bounds.
   */
  async #storeClaimed(
    record: ModelRecord,
    number: number,
    common: Item,
    rest: TransactItems,
    conditions: ConditionErrors
  ): Promise<void> {
    const { client, tableName } = this.#table;
    let seen: Item | undefined;
    for (let attempt = 1; ; attempt += 1) {
      const giveUp = attempt > CLAIMED_BOUNDS_ATTEMPTS;
      const bounds: ClaimedBounds = giveUp
        ? {
            set: ['#exact = :inexact'],
            condition: [],
            names: { '#exact': BOUNDS_EXACT },
            values: { ':inexact': false },
          }
        : claimedBounds(seen, number);
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: tableName,
                  Key: keys.registeredModel(record.model.id),
                  UpdateExpression: updateExpression({
                    set: [
                      'lastUpdatedTimestamp = :now',
                      'GSI2SK = :position',
                      'revision = revision + :one',
                      ...bounds.set,
                    ],
                  }),
                  ConditionExpression: [
                    'versionCounter >= :number',
                    ...bounds.condition,
                  ].join(' AND '),
                  ExpressionAttributeNames: bounds.names,
                  ExpressionAttributeValues: { ...common, ...bounds.values },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              membersAdd(tableName, record.model.id, number),
              ...rest,
            ],
          })
        );
        return;
      } catch (error) {
        const current = itemAtFailure(error, 0);
        // Bounds moved meanwhile: try again on them as they are now.
        if (
          !giveUp &&
          current !== undefined &&
          (numberAt(current.versionCounter) ?? 0) >= number &&
          onlyFailedCondition(error, 0)
        ) {
          seen = current;
          continue;
        }
        throw translateWriteError(error, conditions);
      }
    }
  }

  async claimVersionNumber(
    modelId: string,
    atMost: number
  ): Promise<number | undefined> {
    try {
      const { Attributes } = await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: keys.registeredModel(modelId),
          UpdateExpression: 'SET versionCounter = versionCounter + :one',
          ConditionExpression: 'attribute_exists(PK) AND versionCounter < :max',
          ExpressionAttributeValues: { ':one': 1, ':max': atMost },
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })
      );
      return Number(Attributes?.versionCounter);
    } catch (error) {
      if (itemAtFailure(error, 0)) return undefined;
      throw translateWriteError(error);
    }
  }

  async setVersionStatus(
    modelId: string,
    version: number,
    update: VersionStatusUpdate
  ): Promise<boolean> {
    const { client, tableName } = this.#table;
    const statusUpdate = {
      TableName: tableName,
      Key: keys.modelVersion(modelId, version),
      UpdateExpression:
        'SET #status = :status, statusMessage = :message, lastUpdatedTimestamp = :now',
      ConditionExpression: 'attribute_exists(PK) AND #status = :expected',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': update.status,
        ':message': update.statusMessage,
        ':now': update.now,
        ':expected': update.expectedStatus,
      },
    };
    const others: TransactItems = [
      ...(update.expectedStatus === 'PENDING_REGISTRATION'
        ? [pendingRegistrationDelete(tableName, modelId, version, update.lease)]
        : []),
      ...outboxPuts(tableName, update.events),
    ];
    return writeIf(() =>
      others.length > 0
        ? client.send(
            new TransactWriteCommand({
              TransactItems: [{ Update: statusUpdate }, ...others],
            })
          )
        : client.send(new UpdateCommand(statusUpdate))
    );
  }

  async getVersion(
    modelId: string,
    version: number
  ): Promise<ModelVersion | undefined> {
    const item = await getItem(
      this.#table,
      keys.modelVersion(modelId, version)
    );
    return item ? toModelVersion(item) : undefined;
  }

  async getVersions(
    versionKeys: readonly { modelId: string; version: number }[]
  ): Promise<readonly ModelVersion[]> {
    const items = await batchGetAll(
      this.#table,
      versionKeys.map((k) => keys.modelVersion(k.modelId, k.version))
    );
    return items.map(toModelVersion);
  }

  async listVersions(modelId: string): Promise<readonly ModelVersion[]> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: {
        ':pk': modelPartition(modelId),
        ':prefix': VERSION_PREFIX,
      },
      ConsistentRead: true,
    });
    return items.map(toModelVersion);
  }

  async listVersionsByRunId(runId: string): Promise<readonly ModelVersion[]> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      IndexName: 'GSI2',
      KeyConditionExpression: 'GSI2PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.versionsOfRun(runId) },
    });
    return items.map(toModelVersion);
  }

  async updateVersionDescription(
    modelId: string,
    version: number,
    description: string,
    now: number
  ): Promise<void> {
    await updateExisting(this.#table, {
      Key: keys.modelVersion(modelId, version),
      UpdateExpression: 'SET description = :d, lastUpdatedTimestamp = :now',
      ExpressionAttributeValues: { ':d': description, ':now': now },
    });
  }

  async setVersionTag(
    modelId: string,
    version: number,
    key: string,
    value: string,
    events?: readonly RegistryEvent[]
  ): Promise<void> {
    await setTag(
      this.#table,
      keys.modelVersion(modelId, version),
      key,
      value,
      events
    );
  }

  async deleteVersionTag(
    modelId: string,
    version: number,
    key: string
  ): Promise<boolean> {
    return deleteTag(this.#table, keys.modelVersion(modelId, version), key);
  }

  async commitTransition(commit: TransitionCommit): Promise<void> {
    const { model } = commit.record;
    const { client, tableName } = this.#table;
    // Full sets, not ADD/DELETE: the revision conditions guarantee they
    // were computed from the current membership, and one expression may not
    // touch the same set twice (a version moving within one stage's set).
    const items: TransactItems = membershipChange(
      tableName,
      commit.record,
      commit.stagesAfter,
      commit.now
    );
    if (commit.target) {
      items.push(
        stageUpdate(
          tableName,
          model.id,
          commit.target.version,
          commit.target.from,
          commit.target.to,
          commit.now
        )
      );
    }
    for (const version of commit.archived) {
      items.push(
        stageUpdate(
          tableName,
          model.id,
          version,
          commit.archivedFrom ?? 'None',
          'Archived',
          commit.now
        )
      );
    }
    for (const activity of commit.activities) {
      items.push(activityPut(tableName, activity));
    }
    items.push(...outboxPuts(tableName, commit.events));
    await transactWrite(client, items);
  }
}

function stageUpdate(
  tableName: string,
  modelId: string,
  version: number,
  from: Stage,
  to: Stage,
  now: number
) {
  return {
    Update: {
      TableName: tableName,
      Key: keys.modelVersion(modelId, version),
      UpdateExpression: 'SET currentStage = :to, lastUpdatedTimestamp = :now',
      // The version is where the plan saw it; belt and braces with the
      // model's revision.
      ConditionExpression: 'currentStage = :from',
      ExpressionAttributeValues: { ':to': to, ':from': from, ':now': now },
    },
  };
}

/** A version's item, as `createVersion` stores it. */
export function toVersionItem(version: ModelVersion): Item {
  return {
    ...keys.modelVersion(version.modelId, version.version),
    ...(version.runId
      ? {
          GSI2PK: keys.versionsOfRun(version.runId),
          GSI2SK: keys.modelVersion(version.modelId, version.version).SK,
        }
      : {}),
    entity: 'ModelVersion',
    modelId: version.modelId,
    version: version.version,
    currentStage: version.currentStage,
    description: version.description,
    source: version.source,
    runId: version.runId,
    runLink: version.runLink,
    status: version.status,
    statusMessage: version.statusMessage,
    tags: tagMap(version.tags),
    creationTimestamp: version.creationTimestamp,
    lastUpdatedTimestamp: version.lastUpdatedTimestamp,
    userId: version.userId,
    ...(version.uploadId === undefined ? {} : { uploadId: version.uploadId }),
    ...(version.storageLocation === undefined
      ? {}
      : { storageLocation: version.storageLocation }),
  };
}

export function toModelVersion(item: Item): ModelVersion {
  return {
    modelId: String(item.modelId),
    version: Number(item.version),
    currentStage: item.currentStage as Stage,
    description: String(item.description ?? ''),
    source: String(item.source ?? ''),
    runId: String(item.runId ?? ''),
    runLink: String(item.runLink ?? ''),
    status: item.status as ModelVersionStatus,
    statusMessage: String(item.statusMessage ?? ''),
    tags: tagsFrom(item.tags),
    creationTimestamp: Number(item.creationTimestamp),
    lastUpdatedTimestamp: Number(item.lastUpdatedTimestamp),
    userId: String(item.userId ?? ''),
    ...(typeof item.uploadId === 'string' ? { uploadId: item.uploadId } : {}),
    ...(typeof item.storageLocation === 'string'
      ? { storageLocation: item.storageLocation }
      : {}),
  };
}

/** Rounds a claimed create tries to keep the None bounds exact. */
const CLAIMED_BOUNDS_ATTEMPTS = 5;

interface ClaimedBounds {
  readonly set: readonly string[];
  readonly condition: readonly string[];
  readonly names: Record<string, string>;
  readonly values: Item;
}

/**
 * The None bounds once `number` joins the stage, as an update conditioned
 * on where the bounds stand relative to it (below or absent, or above),
 * not on their values: concurrent creates storing other numbers rarely
 * change that, so a round is seldom lost twice. The first round assumes
 * the likely picture (no higher number stored yet, the lowest below it or
 * the stage empty); later ones take the model item as the failed round
 * returned it (`seen`).
 */
function claimedBounds(seen: Item | undefined, number: number): ClaimedBounds {
  const attribute = stageBoundAttributes('None');
  const highest = numberAt(seen?.[attribute.highest]);
  const lowest = numberAt(seen?.[attribute.lowest]);
  const set: string[] = [];
  const condition: string[] = [];
  if (highest === undefined || highest < number) {
    set.push('#hi = :number');
    condition.push('(attribute_not_exists(#hi) OR #hi < :number)');
  } else {
    condition.push('#hi > :number');
  }
  if (lowest === undefined || lowest < number) {
    set.push('#lo = if_not_exists(#lo, :number)');
    condition.push('(attribute_not_exists(#lo) OR #lo < :number)');
  } else {
    set.push('#lo = :number');
    condition.push('#lo > :number');
  }
  return {
    set,
    condition,
    names: { '#lo': attribute.lowest, '#hi': attribute.highest },
    values: {},
  };
}

/**
 * A number attribute of an item returned with a failed condition: raw
 * AttributeValue JSON (`{ N: "7" }`), even through the document client.
 */
function numberAt(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const raw = (value as { N?: unknown } | undefined)?.N;
  return typeof raw === 'string' ? Number(raw) : undefined;
}
