import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Activity } from '#domain/activity.ts';
import { UploadNotUsableError } from '#domain/artifacts/errors.ts';
import {
  ConcurrentModificationError,
  InvalidParameterValueError,
  RegisteredModelAlreadyExistsError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import type {
  ModelVersion,
  ModelVersionStatus,
} from '#domain/model-version.ts';
import type {
  Grant,
  Grantee,
  PermissionLevel,
  RootPermissionLevel,
} from '#domain/permissions.ts';
import {
  byKey,
  type RegisteredModel,
  type Tag,
} from '#domain/registered-model.ts';
import { STAGES, type Stage } from '#domain/stages.ts';
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
import { activityFromItem, activityPut, type Item, queryAll } from './items.ts';
import {
  activityPrefix,
  keys,
  lastUpdatedPosition,
  modelPartition,
  sortableTimestamp,
  stageAttribute,
  VERSION_PREFIX,
} from './keys.ts';
import {
  pendingRegistrationDelete,
  pendingRegistrationPut,
} from './registration-lease-store.ts';

/** DynamoDB's limits per BatchGetItem and BatchWriteItem call. */
const BATCH_GET = 100;
const BATCH_WRITE = 25;
/** Past the last possible character, for BETWEEN on a name prefix. */
const MAX_CHAR = '\u{10FFFF}';

/**
 * {@link ModelRegistryStore} on the registry's DynamoDB table.
 *
 * A model is its item (`RM#<id>`/`#RM`) plus a name item whose conditional
 * put makes names unique; versions (`MV#<n>`) and activities (`ACT#<n>#…`)
 * share the model's partition, so one Query reads them and a model's
 * deletion knows everything it must remove. The model item also carries
 * the stage membership (one number set per stage), the version counter and
 * the revision that conditional writes check.
 */
export class DynamoDBModelRegistryStore implements ModelRegistryStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async createRegisteredModel(
    model: RegisteredModel,
    grants: readonly Grant[],
    attempt = 1
  ): Promise<void> {
    try {
      await this.#transact([
        {
          Put: {
            TableName: this.#tableName,
            Item: {
              ...keys.registeredModelName(model.name),
              entity: 'RegisteredModelName',
              modelId: model.id,
            },
            // The name item is the lock: a concurrent create of the same
            // name cancels the whole transaction, model item included.
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Put: {
            TableName: this.#tableName,
            Item: {
              ...keys.registeredModel(model.id),
              ...modelIndexKeys(model.name, model.lastUpdatedTimestamp),
              entity: 'RegisteredModel',
              id: model.id,
              name: model.name,
              description: model.description,
              creationTimestamp: model.creationTimestamp,
              lastUpdatedTimestamp: model.lastUpdatedTimestamp,
              userId: model.userId,
              tags: Object.fromEntries(model.tags.map((t) => [t.key, t.value])),
              aliases: {},
              acl: aclMap(grants),
              revision: 0,
              versionCounter: 0,
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      ]);
    } catch (error) {
      if (cancelledBy(error, 0)) {
        throw new RegisteredModelAlreadyExistsError(model.name);
      }
      // On AWS a concurrent create of the same name may cancel this one as
      // a conflict rather than a failed condition: try again, and the
      // name's condition then answers which create won.
      if (isConflict(error) && attempt < 5) {
        await backoff(attempt);
        return this.createRegisteredModel(model, grants, attempt + 1);
      }
      throw error;
    }
  }

  async setModelGrants(
    modelId: string,
    grants: readonly Grant[]
  ): Promise<void> {
    await this.#updateExisting({
      Key: keys.registeredModel(modelId),
      UpdateExpression: 'SET acl = :acl',
      ExpressionAttributeValues: { ':acl': aclMap(grants) },
    });
  }

  async getRootGrants(): Promise<
    readonly Grant<RootPermissionLevel>[] | undefined
  > {
    const item = await this.#get(keys.rootAcl);
    return item ? grantsFrom<RootPermissionLevel>(item.acl) : undefined;
  }

  async setRootGrants(
    grants: readonly Grant<RootPermissionLevel>[]
  ): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: { ...keys.rootAcl, entity: 'RootAcl', acl: aclMap(grants) },
      })
    );
  }

  async getModelRecordByName(name: string): Promise<ModelRecord | undefined> {
    const nameItem = await this.#get(keys.registeredModelName(name));
    const modelId = nameItem?.modelId;
    if (typeof modelId !== 'string') return undefined;
    const record = await this.getModelRecordById(modelId);
    // A rename between the two reads: the id now answers to another name.
    return record?.model.name === name ? record : undefined;
  }

  async getModelAccessByName(name: string): Promise<ModelAccess> {
    // The name item and root's grants in one round trip, then the model.
    const nameKey = keys.registeredModelName(name);
    const items = await this.#batchGet([nameKey, keys.rootAcl]);
    const nameItem = items.find((item) => item.PK === nameKey.PK);
    const rootItem = items.find((item) => item.PK === keys.rootAcl.PK);
    const modelId = nameItem?.modelId;
    const record =
      typeof modelId === 'string'
        ? await this.getModelRecordById(modelId)
        : undefined;
    return {
      // A rename between the two reads: the id now answers to another name.
      record: record?.model.name === name ? record : undefined,
      rootGrants: rootItem
        ? grantsFrom<RootPermissionLevel>(rootItem.acl)
        : undefined,
    };
  }

  async getModelAccessById(id: string): Promise<ModelAccess> {
    const modelKey = keys.registeredModel(id);
    const items = await this.#batchGet([modelKey, keys.rootAcl]);
    const modelItem = items.find((item) => item.PK === modelKey.PK);
    const rootItem = items.find((item) => item.PK === keys.rootAcl.PK);
    return {
      record: modelItem ? toModelRecord(modelItem) : undefined,
      rootGrants: rootItem
        ? grantsFrom<RootPermissionLevel>(rootItem.acl)
        : undefined,
    };
  }

  async getModelRecordById(id: string): Promise<ModelRecord | undefined> {
    const item = await this.#get(keys.registeredModel(id));
    return item ? toModelRecord(item) : undefined;
  }

  async getModelRecordsByIds(
    ids: readonly string[]
  ): Promise<readonly ModelRecord[]> {
    const items = await this.#batchGet(
      [...new Set(ids)].map((id) => keys.registeredModel(id))
    );
    return items.map(toModelRecord);
  }

  async listModels(query: ModelListingQuery): Promise<ModelListingPage> {
    const byName = query.orderBy === 'name';
    const index = byName ? 'GSI1' : 'GSI2';
    const pk = byName ? 'GSI1PK' : 'GSI2PK';
    const sk = byName ? 'GSI1SK' : 'GSI2SK';
    const values: Item = {
      ':pk': byName
        ? keys.registeredModelsByName
        : keys.registeredModelsByUpdate,
    };
    let condition = `${pk} = :pk`;
    // An empty prefix is no prefix: a key condition cannot hold "".
    const namePrefix = query.namePrefix || undefined;
    if (byName && namePrefix !== undefined && !query.descending) {
      // Prefix and cursor in one key condition: BETWEEN the later of the
      // two and the end of the prefix range. Names never contain U+0000,
      // so `after + U+0000` is the first name strictly after the cursor
      // (also when the cursor is the prefix itself, a model's full name).
      const from =
        query.after !== undefined && byteCompare(query.after, namePrefix) >= 0
          ? `${query.after}\u0000`
          : namePrefix;
      const to = `${namePrefix}${MAX_CHAR}`;
      // A cursor past the prefix range (a token from another filter) has
      // nothing after it; DynamoDB refuses an inverted BETWEEN.
      if (byteCompare(from, to) > 0) {
        return { records: [], positions: [], exhausted: true };
      }
      condition += ` AND ${sk} BETWEEN :from AND :to`;
      values[':from'] = from;
      values[':to'] = to;
    } else if (query.after !== undefined) {
      condition += ` AND ${sk} ${query.descending ? '<' : '>'} :after`;
      values[':after'] = query.after;
    }
    const records: ModelRecord[] = [];
    const positions: string[] = [];
    let exclusiveStartKey: Item | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: index,
          KeyConditionExpression: condition,
          ExpressionAttributeValues: values,
          ScanIndexForward: !query.descending,
          Limit: query.limit - records.length,
          ExclusiveStartKey: exclusiveStartKey,
        })
      );
      for (const item of page.Items ?? []) {
        records.push(toModelRecord(item));
        positions.push(String(item[sk]));
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey && records.length < query.limit);
    return { records, positions, exhausted: exclusiveStartKey === undefined };
  }

  async updateModelDescription(
    model: RegisteredModel,
    description: string,
    now: number
  ): Promise<void> {
    await this.#updateExisting({
      Key: keys.registeredModel(model.id),
      UpdateExpression:
        'SET description = :d, lastUpdatedTimestamp = :now, GSI2SK = :position',
      ExpressionAttributeValues: {
        ':d': description,
        ':now': now,
        ':position': lastUpdatedPosition(now, model.name),
      },
    });
  }

  async renameModel(
    record: ModelRecord,
    newName: string,
    now: number
  ): Promise<void> {
    const { model } = record;
    try {
      await this.#transact([
        {
          Delete: {
            TableName: this.#tableName,
            Key: keys.registeredModelName(model.name),
            ConditionExpression: 'modelId = :id',
            ExpressionAttributeValues: { ':id': model.id },
          },
        },
        {
          Put: {
            TableName: this.#tableName,
            Item: {
              ...keys.registeredModelName(newName),
              entity: 'RegisteredModelName',
              modelId: model.id,
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Update: {
            TableName: this.#tableName,
            Key: keys.registeredModel(model.id),
            UpdateExpression:
              'SET #name = :name, GSI1SK = :name, GSI2SK = :position, lastUpdatedTimestamp = :now, revision = revision + :one',
            ConditionExpression: 'revision = :revision',
            ExpressionAttributeNames: { '#name': 'name' },
            ExpressionAttributeValues: {
              ':name': newName,
              ':position': lastUpdatedPosition(now, newName),
              ':now': now,
              ':one': 1,
              ':revision': record.revision,
            },
          },
        },
      ]);
    } catch (error) {
      if (cancelledBy(error, 1)) {
        throw new RegisteredModelAlreadyExistsError(newName);
      }
      throw asConcurrentModification(error);
    }
  }

  async deleteModel(record: ModelRecord): Promise<void> {
    const { model } = record;
    try {
      // The commit point: once the name and model items are gone, nothing
      // reaches the partition's other items, which are then purged.
      await this.#transact([
        {
          Delete: {
            TableName: this.#tableName,
            Key: keys.registeredModelName(model.name),
            ConditionExpression: 'modelId = :id',
            ExpressionAttributeValues: { ':id': model.id },
          },
        },
        {
          Delete: {
            TableName: this.#tableName,
            Key: keys.registeredModel(model.id),
            ConditionExpression: 'revision = :revision',
            ExpressionAttributeValues: { ':revision': record.revision },
          },
        },
      ]);
    } catch (error) {
      throw asConcurrentModification(error);
    }
    await this.#purgePartition(modelPartition(model.id), '');
  }

  async setModelTag(modelId: string, key: string, value: string) {
    await this.#setTag(keys.registeredModel(modelId), key, value);
  }

  async deleteModelTag(modelId: string, key: string): Promise<boolean> {
    return this.#deleteTag(keys.registeredModel(modelId), key);
  }

  async setAlias(modelId: string, alias: string, version: number) {
    try {
      await this.#transact([
        {
          ConditionCheck: {
            TableName: this.#tableName,
            Key: keys.modelVersion(modelId, version),
            ConditionExpression: 'attribute_exists(PK)',
          },
        },
        {
          Update: {
            TableName: this.#tableName,
            Key: keys.registeredModel(modelId),
            // The revision bump makes a concurrent deletion of the version,
            // planned without this alias, fail and replan: no alias is left
            // pointing at a deleted version.
            UpdateExpression:
              'SET aliases.#alias = :version, revision = revision + :one',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeNames: { '#alias': alias },
            ExpressionAttributeValues: { ':version': version, ':one': 1 },
          },
        },
      ]);
    } catch (error) {
      if (cancelledBy(error, 0) || cancelledBy(error, 1)) {
        throw new ResourceDoesNotExistError(
          `Model version ${version} does not exist.`
        );
      }
      throw error;
    }
  }

  async deleteAlias(modelId: string, alias: string): Promise<void> {
    await this.#updateExisting({
      Key: keys.registeredModel(modelId),
      UpdateExpression: 'REMOVE aliases.#alias',
      ExpressionAttributeNames: { '#alias': alias },
    });
  }

  async createVersion(
    record: ModelRecord,
    version: ModelVersion,
    consume?: UploadConsumption
  ) {
    const number = record.versionCounter + 1;
    if (version.version !== number) {
      throw new Error(
        `Version ${version.version} is not the next number ${number}`
      );
    }
    try {
      await this.#transact([
        {
          Update: {
            TableName: this.#tableName,
            Key: keys.registeredModel(version.modelId),
            // The counter's condition is what makes numbers gap-free and
            // unique: of two concurrent creates reading the same counter,
            // exactly one commits; the other re-reads and takes the next.
            UpdateExpression:
              'SET versionCounter = :number, lastUpdatedTimestamp = :now, GSI2SK = :position, revision = revision + :one ADD #stage :versions',
            ConditionExpression: 'versionCounter = :counter',
            ExpressionAttributeNames: { '#stage': stageAttribute('None') },
            ExpressionAttributeValues: {
              ':number': number,
              ':counter': record.versionCounter,
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
            TableName: this.#tableName,
            Item: toVersionItem(version),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        ...(consume
          ? [
              consumeUploadItem(this.#tableName, consume, version),
              pendingRegistrationPut(this.#tableName, {
                modelId: version.modelId,
                version: version.version,
                uploadId: consume.uploadId,
                createdAt: consume.now,
                leaseExpiresAt: consume.leaseExpiresAt,
              }),
            ]
          : []),
      ]);
    } catch (error) {
      if (consume && cancelledBy(error, 2)) {
        throw new UploadNotUsableError(
          `Upload ${consume.uploadId} cannot be registered: it is no longer a completed, unused upload of yours.`
        );
      }
      throw asConcurrentModification(error);
    }
  }

  async setVersionStatus(
    modelId: string,
    version: number,
    update: VersionStatusUpdate
  ): Promise<boolean> {
    const statusUpdate = {
      TableName: this.#tableName,
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
    try {
      if (update.expectedStatus === 'PENDING_REGISTRATION') {
        await this.#transact([
          { Update: statusUpdate },
          pendingRegistrationDelete(
            this.#tableName,
            modelId,
            version,
            update.lease
          ),
        ]);
      } else {
        await this.#client.send(new UpdateCommand(statusUpdate));
      }
      return true;
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        cancelledBy(error, 0) ||
        cancelledBy(error, 1)
      ) {
        return false;
      }
      throw error;
    }
  }

  async getVersion(
    modelId: string,
    version: number
  ): Promise<ModelVersion | undefined> {
    const item = await this.#get(keys.modelVersion(modelId, version));
    return item ? toModelVersion(item) : undefined;
  }

  async getVersions(
    versionKeys: readonly { modelId: string; version: number }[]
  ): Promise<readonly ModelVersion[]> {
    const items = await this.#batchGet(
      versionKeys.map((k) => keys.modelVersion(k.modelId, k.version))
    );
    return items.map(toModelVersion);
  }

  async listVersions(modelId: string): Promise<readonly ModelVersion[]> {
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
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
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
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
    await this.#updateExisting({
      Key: keys.modelVersion(modelId, version),
      UpdateExpression: 'SET description = :d, lastUpdatedTimestamp = :now',
      ExpressionAttributeValues: { ':d': description, ':now': now },
    });
  }

  async setVersionTag(
    modelId: string,
    version: number,
    key: string,
    value: string
  ): Promise<void> {
    await this.#setTag(keys.modelVersion(modelId, version), key, value);
  }

  async deleteVersionTag(
    modelId: string,
    version: number,
    key: string
  ): Promise<boolean> {
    return this.#deleteTag(keys.modelVersion(modelId, version), key);
  }

  async deleteVersion(deletion: VersionDeletion): Promise<void> {
    const { model } = deletion.record;
    const names: Record<string, string> = {
      '#stage': stageAttribute(deletion.stage),
    };
    const removes = deletion.aliases.map((alias, i) => {
      names[`#alias${i}`] = alias;
      return `aliases.#alias${i}`;
    });
    try {
      await this.#transact([
        {
          Update: {
            TableName: this.#tableName,
            Key: keys.registeredModel(model.id),
            UpdateExpression: `SET revision = revision + :one, lastUpdatedTimestamp = :now, GSI2SK = :position DELETE #stage :versions${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: 'revision = :revision',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: {
              ':one': 1,
              ':now': deletion.now,
              ':position': lastUpdatedPosition(deletion.now, model.name),
              ':versions': new Set([deletion.version]),
              ':revision': deletion.record.revision,
            },
          },
        },
        {
          Delete: {
            TableName: this.#tableName,
            Key: keys.modelVersion(model.id, deletion.version),
            ConditionExpression: 'currentStage = :stage',
            ExpressionAttributeValues: { ':stage': deletion.stage },
          },
        },
      ]);
    } catch (error) {
      throw asConcurrentModification(error);
    }
    await this.#purgePartition(
      modelPartition(model.id),
      activityPrefix(deletion.version)
    );
  }

  async commitTransition(commit: TransitionCommit): Promise<void> {
    const { model } = commit.record;
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
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Update: {
          TableName: this.#tableName,
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
          this.#tableName,
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
          this.#tableName,
          model.id,
          version,
          commit.archivedFrom ?? 'None',
          'Archived',
          commit.now
        )
      );
    }
    for (const activity of commit.activities) {
      items.push(activityPut(this.#tableName, activity));
    }
    try {
      await this.#transact(items);
    } catch (error) {
      throw asConcurrentModification(error);
    }
  }

  async listActivities(
    modelId: string,
    version: number
  ): Promise<readonly Activity[]> {
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: {
        ':pk': modelPartition(modelId),
        ':prefix': activityPrefix(version),
      },
      ConsistentRead: true,
    });
    return items.map(activityFromItem);
  }

  async #transact(
    items: NonNullable<TransactWriteCommandInput['TransactItems']>
  ): Promise<void> {
    await this.#client.send(new TransactWriteCommand({ TransactItems: items }));
  }

  async #get(key: Item): Promise<Item | undefined> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: key,
        ConsistentRead: true,
      })
    );
    return result.Item;
  }

  async #batchGet(itemKeys: readonly Item[]): Promise<Item[]> {
    const found: Item[] = [];
    for (let start = 0; start < itemKeys.length; start += BATCH_GET) {
      let pending: Item[] | undefined = itemKeys.slice(
        start,
        start + BATCH_GET
      );
      for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
        if (attempt > 0) await backoff(attempt);
        const result = await this.#client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.#tableName]: { Keys: pending, ConsistentRead: true },
            },
          })
        );
        found.push(...(result.Responses?.[this.#tableName] ?? []));
        pending = result.UnprocessedKeys?.[this.#tableName]?.Keys as
          | Item[]
          | undefined;
      }
    }
    return found;
  }

  /** Deletes every item of a partition whose sort key starts with `prefix`. */
  async #purgePartition(partition: string, prefix: string): Promise<void> {
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
      KeyConditionExpression:
        prefix === '' ? 'PK = :pk' : 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues:
        prefix === ''
          ? { ':pk': partition }
          : { ':pk': partition, ':prefix': prefix },
      ProjectionExpression: 'PK, SK',
      ConsistentRead: true,
    });
    for (let start = 0; start < items.length; start += BATCH_WRITE) {
      let pending: unknown[] | undefined = items
        .slice(start, start + BATCH_WRITE)
        .map((item) => ({
          DeleteRequest: { Key: { PK: item.PK, SK: item.SK } },
        }));
      for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
        if (attempt > 0) await backoff(attempt);
        const result: BatchWriteCommandOutput = await this.#client.send(
          new BatchWriteCommand({
            RequestItems: {
              [this.#tableName]: pending as NonNullable<
                ConstructorParameters<
                  typeof BatchWriteCommand
                >[0]['RequestItems']
              >[string],
            },
          })
        );
        pending = result.UnprocessedItems?.[this.#tableName];
      }
    }
  }

  async #updateExisting(update: {
    Key: Item;
    UpdateExpression: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Item;
  }): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          ...update,
          ConditionExpression: 'attribute_exists(PK)',
        })
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ResourceDoesNotExistError('The resource no longer exists.');
      }
      throw error;
    }
  }

  async #setTag(key: Item, tagKey: string, value: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: key,
          UpdateExpression: 'SET tags.#key = :value',
          // Replacing a tag never hits the limit; adding one may.
          ConditionExpression:
            'attribute_exists(PK) AND (attribute_exists(tags.#key) OR size(tags) < :max)',
          ExpressionAttributeNames: { '#key': tagKey },
          ExpressionAttributeValues: {
            ':value': value,
            ':max': limits.tagsPerEntity,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        if (!error.Item) {
          throw new ResourceDoesNotExistError('The resource no longer exists.');
        }
        throw new InvalidParameterValueError(
          `At most ${limits.tagsPerEntity} tags are allowed.`
        );
      }
      throw error;
    }
  }

  async #deleteTag(key: Item, tagKey: string): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: key,
          UpdateExpression: 'REMOVE tags.#key',
          ConditionExpression: 'attribute_exists(tags.#key)',
          ExpressionAttributeNames: { '#key': tagKey },
        })
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/** DynamoDB orders string keys by their UTF-8 bytes. */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function modelIndexKeys(name: string, lastUpdatedTimestamp: number) {
  return {
    GSI1PK: keys.registeredModelsByName,
    GSI1SK: name,
    GSI2PK: keys.registeredModelsByUpdate,
    GSI2SK: lastUpdatedPosition(lastUpdatedTimestamp, name),
  };
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

/**
 * COMPLETED → CONSUMED, in the version's transaction: the session moves to
 * the CONSUMED cleanup index (by consumption time) and remembers its
 * version. Its condition is what makes one session register one version.
 */
function consumeUploadItem(
  tableName: string,
  consume: UploadConsumption,
  version: ModelVersion
) {
  const owner = consume.ownerId !== undefined;
  return {
    Update: {
      TableName: tableName,
      Key: keys.uploadSession(consume.uploadId),
      UpdateExpression:
        'SET #status = :consumed, consumedAt = :now, consumedModelId = :modelId, consumedVersion = :version, GSI2PK = :pk, GSI2SK = :sk',
      ConditionExpression: `#status = :completed${owner ? ' AND ownerId = :owner' : ''}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':consumed': 'CONSUMED',
        ':completed': 'COMPLETED',
        ':now': consume.now,
        ':modelId': version.modelId,
        ':version': version.version,
        ':pk': keys.uploadsForCleanup('CONSUMED'),
        ':sk': `${sortableTimestamp(consume.now)}#${consume.uploadId}`,
        ...(owner ? { ':owner': consume.ownerId } : {}),
      },
    },
  };
}

function isConflict(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some(
      (reason) => reason.Code === 'TransactionConflict'
    )
  );
}

/** Whether a transaction was cancelled by the condition of item `index`. */
function cancelledBy(error: unknown, index: number): boolean {
  return (
    error instanceof TransactionCanceledException &&
    error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed'
  );
}

/**
 * A cancelled transaction whose conditions failed, or that collided with
 * another transaction on the same items, means the picture it was planned
 * on is stale: the use case re-reads and retries.
 */
function asConcurrentModification(error: unknown): unknown {
  if (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some(
      (reason) =>
        reason.Code === 'ConditionalCheckFailed' ||
        reason.Code === 'TransactionConflict'
    )
  ) {
    return new ConcurrentModificationError(error.message);
  }
  if (error instanceof Error && error.name === 'TransactionConflictException') {
    return new ConcurrentModificationError(error.message);
  }
  return error;
}

function backoff(attempt: number): Promise<void> {
  const delay = Math.random() * Math.min(1000, 20 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, delay));
}

function numberSet(value: unknown): number[] {
  if (value instanceof Set) return [...value].map(Number).sort((a, b) => a - b);
  return [];
}

function tagsFrom(value: unknown): Tag[] {
  const map = (value ?? {}) as Record<string, string>;
  return Object.entries(map)
    .map(([key, tagValue]) => ({ key, value: String(tagValue) }))
    .sort(byKey((tag) => tag.key));
}

function toModelRecord(item: Item): ModelRecord {
  const aliases = Object.entries((item.aliases ?? {}) as Record<string, number>)
    .map(([alias, version]) => ({ alias, version: Number(version) }))
    .sort(byKey((alias) => alias.alias));
  return {
    model: {
      id: String(item.id),
      name: String(item.name),
      description: String(item.description ?? ''),
      creationTimestamp: Number(item.creationTimestamp),
      lastUpdatedTimestamp: Number(item.lastUpdatedTimestamp),
      userId: String(item.userId ?? ''),
      tags: tagsFrom(item.tags),
      aliases,
    },
    revision: Number(item.revision ?? 0),
    versionCounter: Number(item.versionCounter ?? 0),
    grants: grantsFrom<PermissionLevel>(item.acl),
    stages: Object.fromEntries(
      STAGES.map((stage) => [stage, numberSet(item[stageAttribute(stage)])])
    ) as Record<Stage, number[]>,
  };
}

/**
 * Grants are a map on the item, `<kind>:<name>` → level, so one update
 * replaces an access control list and the index projection carries it.
 */
function aclMap<L extends string>(grants: readonly Grant<L>[]) {
  return Object.fromEntries(
    grants.map((g) => [`${g.grantee.kind}:${g.grantee.name}`, g.level])
  );
}

function grantsFrom<L extends string>(value: unknown): Grant<L>[] {
  const map = (value ?? {}) as Record<string, string>;
  return Object.entries(map).flatMap(([key, level]) => {
    const separator = key.indexOf(':');
    const kind = key.slice(0, separator);
    const name = key.slice(separator + 1);
    if (kind !== 'user' && kind !== 'group' && kind !== 'service_principal') {
      return [];
    }
    const grantee = { kind, name } as Grantee;
    return [{ grantee, level: level as L }];
  });
}

function toVersionItem(version: ModelVersion): Item {
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
    tags: Object.fromEntries(version.tags.map((t) => [t.key, t.value])),
    creationTimestamp: version.creationTimestamp,
    lastUpdatedTimestamp: version.lastUpdatedTimestamp,
    userId: version.userId,
  };
}

function toModelVersion(item: Item): ModelVersion {
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
  };
}
