import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RegistryEvent } from '#domain/events.ts';
import type {
  ModelVersion,
  ModelVersionStatus,
} from '#domain/model-version.ts';
import { STAGES, type Stage } from '#domain/stages.ts';
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
  stageAttribute,
  VERSION_PREFIX,
} from './keys.ts';
import { outboxPuts } from './outbox-store.ts';
import { pendingRegistrationDelete } from './registration-lease-store.ts';
import { deleteTag, setTag, tagMap, tagsFrom } from './tags.ts';
import {
  batchGetAll,
  getItem,
  type Item,
  itemAtFailure,
  queryAll,
  type RegistryTable,
  type TransactItems,
  transactWrite,
  translateWriteError,
  updateExisting,
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
    const { client, tableName } = this.#table;
    await transactWrite(
      client,
      [
        {
          Update: {
            TableName: tableName,
            Key: keys.registeredModel(version.modelId),
            // The counter's condition is what makes numbers gap-free and
            // unique: of two concurrent creates reading the same counter,
            // exactly one commits; the other claims the next number
            // (claimVersionNumber), which this write then only fills.
            UpdateExpression: claimed
              ? 'SET lastUpdatedTimestamp = :now, GSI2SK = :position, revision = revision + :one ADD #stage :versions'
              : 'SET versionCounter = :number, lastUpdatedTimestamp = :now, GSI2SK = :position, revision = revision + :one ADD #stage :versions',
            ConditionExpression: claimed
              ? 'versionCounter >= :number'
              : 'versionCounter = :counter',
            ExpressionAttributeNames: { '#stage': stageAttribute('None') },
            ExpressionAttributeValues: {
              ...(claimed
                ? {}
                : { ':number': number, ':counter': record.versionCounter }),
              ...(claimed ? { ':number': number } : {}),
              ':now': version.creationTimestamp,
              ':position': lastUpdatedPosition(
                version.creationTimestamp,
                record.model.name
              ),
              ':one': 1,
              ':versions': new Set([number]),
            },
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: toVersionItem(version),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        ...(consume ? uploadConsumptionItems(tableName, consume, version) : []),
        ...outboxPuts(tableName, events),
      ],
      consume ? { 2: () => uploadNotUsable(consume) } : {}
    );
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
    const names: Record<string, string> = {};
    const values: Item = {
      ':one': 1,
      ':now': commit.now,
      ':position': lastUpdatedPosition(commit.now, model.name),
      ':revision': commit.record.revision,
    };
    const sets = [
      'revision = revision + :one',
      'lastUpdatedTimestamp = :now',
      'GSI2SK = :position',
    ];
    const removes: string[] = [];
    // Full sets, not ADD/DELETE: the revision condition guarantees they
    // were computed from the current membership, and one expression may not
    // touch the same set twice (a version moving within one stage's set).
    for (const [i, stage] of STAGES.entries()) {
      names[`#s${i}`] = stageAttribute(stage);
      const members = commit.stagesAfter[stage];
      if (members.length > 0) {
        values[`:s${i}`] = new Set(members);
        sets.push(`#s${i} = :s${i}`);
      } else {
        removes.push(`#s${i}`);
      }
    }
    const items: TransactItems = [
      {
        Update: {
          TableName: tableName,
          Key: keys.registeredModel(model.id),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: 'revision = :revision',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
    ];
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
