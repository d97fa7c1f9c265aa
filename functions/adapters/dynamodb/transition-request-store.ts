import {
  DeleteCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Activity } from '#domain/activity.ts';
import {
  ConcurrentModificationError,
  InvalidStateError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  StaleRequestError,
} from '#domain/errors.ts';
import type { RegistryEvent } from '#domain/events.ts';
import type {
  TransitionRequest,
  TransitionRequestSettings,
  TransitionRequestStatus,
} from '#domain/transition-request.ts';
import {
  isPending,
  type LifecycleEvent,
  requireStep,
  statusesLeavingBy,
} from '#domain/transition-request-lifecycle.ts';
import type {
  LifecycleChange,
  TransitionRequestStore,
} from '#ports/transition-request-store.ts';
import { activityFromItem, activityItem, activityPut } from './activities.ts';
import {
  activityPrefix,
  keys,
  requestKeys,
  requestPrefix,
  sortableTimestamp,
} from './keys.ts';
import { outboxPuts } from './outbox-store.ts';
import {
  getItem,
  type Item,
  queryAll,
  type RegistryTable,
  type TransactItems,
  transactWrite,
  updateExisting,
  writeIf,
  writeItem,
} from './toolkit.ts';

/**
 * {@link TransitionRequestStore} on the registry table. Requests live in
 * their model's partition (so deleting the model purges them); GSI1 finds a
 * request or comment by id alone, and GSI2 lists the pending requests of
 * the whole registry by expiry, an entry removed once the request's
 * lifecycle reaches a final status.
 */
export class DynamoDBTransitionRequestStore implements TransitionRequestStore {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = { client: table.client, tableName: table.tableName };
  }

  async createRequest(
    request: TransitionRequest,
    activity: Activity,
    events?: readonly RegistryEvent[]
  ): Promise<void> {
    const { client, tableName } = this.#table;
    await transactWrite(
      client,
      [
        {
          Put: {
            TableName: tableName,
            Item: {
              ...requestKeys.openLock(
                request.modelId,
                request.version,
                request.toStage,
                request.creator
              ),
              entity: 'TransitionRequestLock',
              requestId: request.id,
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          ConditionCheck: {
            TableName: tableName,
            Key: keys.modelVersion(request.modelId, request.version),
            ConditionExpression: 'currentStage = :from',
            ExpressionAttributeValues: { ':from': request.fromStage },
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: toRequestItem(request),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        activityPut(tableName, activity),
        ...outboxPuts(tableName, events),
      ],
      {
        0: () =>
          new ResourceAlreadyExistsError(
            `${request.creator} already has an open request to move version ${request.version} to ${request.toStage}.`
          ),
      }
    );
  }

  async getRequest(
    modelId: string,
    version: number,
    requestId: string
  ): Promise<TransitionRequest | undefined> {
    const item = await getItem(
      this.#table,
      requestKeys.request(modelId, version, requestId)
    );
    return item ? fromRequestItem(item) : undefined;
  }

  async findRequestById(
    requestId: string
  ): Promise<TransitionRequest | undefined> {
    const hit = await this.#firstInIndex(requestKeys.byId(requestId));
    if (!hit) return undefined;
    // The index is eventually consistent; the item itself is read strongly.
    return this.getRequest(String(hit.modelId), Number(hit.version), requestId);
  }

  async listOpenRequests(
    modelId: string,
    version: number
  ): Promise<readonly TransitionRequest[]> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      FilterExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pk': keys.registeredModel(modelId).PK,
        ':prefix': requestPrefix(version),
        ':open': 'OPEN',
      },
      ConsistentRead: true,
    });
    return items
      .map(fromRequestItem)
      .sort((a, b) => a.creationTimestamp - b.creationTimestamp);
  }

  async listPendingRequests(): Promise<readonly TransitionRequest[]> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      IndexName: 'GSI2',
      KeyConditionExpression: 'GSI2PK = :pk',
      ExpressionAttributeValues: { ':pk': requestKeys.pending },
    });
    return items.map(fromRequestItem);
  }

  async commit(
    request: TransitionRequest,
    event: LifecycleEvent,
    change: LifecycleChange
  ): Promise<void> {
    const { client, tableName } = this.#table;
    const step = requireStep(request, event);
    const key = requestKeys.request(
      request.modelId,
      request.version,
      request.id
    );
    // The request stays in the pending index while its workflow has work
    // left, so a restarted runtime can hand it to a new execution.
    const indexUpdate = isPending(step.to) ? '' : ' REMOVE GSI2PK, GSI2SK';
    const items: TransactItems = [
      {
        // The commit point: only a request still in the status the step
        // leaves moves, so of concurrent approve, reject, cancel, expire
        // or close calls exactly one commits and the others change nothing.
        Update: {
          TableName: tableName,
          Key: key,
          UpdateExpression: `SET #status = :to, lastUpdatedTimestamp = :now${change.decision ? ', decision = :decision' : ''}${indexUpdate}`,
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':to': step.to,
            ':from': request.status,
            ':now': change.at,
            ...(change.decision ? { ':decision': change.decision } : {}),
          },
        },
      },
    ];
    if (step.requiresFromStage) {
      // An approval commits only while the version is still where the
      // request was made from: a concurrent direct transition that moved
      // it makes the approval lose, instead of being undone.
      items.push({
        ConditionCheck: {
          TableName: tableName,
          Key: keys.modelVersion(request.modelId, request.version),
          ConditionExpression: 'currentStage = :from',
          ExpressionAttributeValues: { ':from': request.fromStage },
        },
      });
    }
    if (step.to !== 'OPEN') {
      items.push({
        Delete: {
          TableName: tableName,
          Key: requestKeys.openLock(
            request.modelId,
            request.version,
            request.toStage,
            request.creator
          ),
        },
      });
    }
    if (change.activity) items.push(activityPut(tableName, change.activity));
    items.push(...outboxPuts(tableName, change.events));
    const lost = () =>
      new InvalidStateError(
        `Transition request ${request.id} is no longer ${request.status.toLowerCase()}: another call changed it first.`
      );
    try {
      await transactWrite(client, items, {
        0: lost,
        ...(step.requiresFromStage
          ? {
              1: () =>
                new StaleRequestError(
                  `Version ${request.version} is no longer in ${request.fromStage}, where transition request ${request.id} was made from.`
                ),
            }
          : {}),
      });
    } catch (error) {
      // Any other failed condition or a collided transaction is a lost
      // race as well: the decision is made once, by the other call.
      throw error instanceof ConcurrentModificationError ? lost() : error;
    }
  }

  async recordExecution(
    request: TransitionRequest,
    executionArn: string
  ): Promise<boolean> {
    return this.#updateIn(request, 'start', {
      UpdateExpression: 'SET executionArn = :arn',
      ExpressionAttributeValues: { ':arn': executionArn },
    });
  }

  async setTaskToken(
    request: TransitionRequest,
    taskToken: string
  ): Promise<boolean> {
    return this.#updateIn(request, 'wait', {
      UpdateExpression: 'SET taskToken = :token',
      ExpressionAttributeValues: { ':token': taskToken },
    });
  }

  /**
   * A bookkeeping update of an event that keeps the status (`start`,
   * `wait`), applied only in the statuses where the event can happen.
   * @returns false when the request is in none of them.
   */
  async #updateIn(
    request: TransitionRequest,
    event: LifecycleEvent,
    update: {
      UpdateExpression: string;
      ExpressionAttributeValues: Record<string, unknown>;
    }
  ): Promise<boolean> {
    const statuses = statusesLeavingBy(event);
    const placeholders = statuses.map((_, index) => `:s${index}`);
    return writeIf(() =>
      this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: requestKeys.request(
            request.modelId,
            request.version,
            request.id
          ),
          UpdateExpression: update.UpdateExpression,
          ConditionExpression: `#status IN (${placeholders.join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...update.ExpressionAttributeValues,
            ...Object.fromEntries(
              statuses.map((status, index) => [`:s${index}`, status])
            ),
          },
        })
      )
    );
  }

  async putComment(
    activity: Activity,
    events?: readonly RegistryEvent[]
  ): Promise<void> {
    const { client, tableName } = this.#table;
    await transactWrite(client, [
      {
        Put: {
          TableName: tableName,
          Item: {
            ...activityItem(activity),
            GSI1PK: requestKeys.commentById(activity.id),
            GSI1SK: '#COMMENT',
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      ...outboxPuts(tableName, events),
    ]);
  }

  async findCommentById(commentId: string): Promise<Activity | undefined> {
    const hit = await this.#firstInIndex(requestKeys.commentById(commentId));
    if (!hit) return undefined;
    const item = await getItem(this.#table, { PK: hit.PK, SK: hit.SK });
    return item ? activityFromItem(item) : undefined;
  }

  /** The first entry of a GSI1 partition (ids are unique there). */
  async #firstInIndex(partition: string): Promise<Item | undefined> {
    const found = await this.#table.client.send(
      new QueryCommand({
        TableName: this.#table.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': partition },
        Limit: 1,
      })
    );
    return found.Items?.[0];
  }

  async updateComment(
    activity: Activity,
    comment: string,
    now: number
  ): Promise<void> {
    try {
      await updateExisting(this.#table, {
        Key: activityKey(activity),
        UpdateExpression:
          'SET #comment = :comment, lastUpdatedTimestamp = :now',
        ExpressionAttributeNames: { '#comment': 'comment' },
        ExpressionAttributeValues: { ':comment': comment, ':now': now },
      });
    } catch (error) {
      if (error instanceof ResourceDoesNotExistError) {
        throw new ResourceDoesNotExistError(
          `Comment ${activity.id} not found.`
        );
      }
      throw error;
    }
  }

  async deleteComment(activity: Activity): Promise<void> {
    await writeItem(() =>
      this.#table.client.send(
        new DeleteCommand({
          TableName: this.#table.tableName,
          Key: activityKey(activity),
        })
      )
    );
  }

  async getSettings(
    modelId: string
  ): Promise<Partial<TransitionRequestSettings>> {
    const item = await getItem(this.#table, requestKeys.settings(modelId));
    return (item?.settings ?? {}) as Partial<TransitionRequestSettings>;
  }

  async setSettings(
    modelId: string,
    settings: Partial<TransitionRequestSettings>
  ): Promise<void> {
    const current = await this.getSettings(modelId);
    await writeItem(() =>
      this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: {
            ...requestKeys.settings(modelId),
            entity: 'TransitionRequestSettings',
            settings: { ...current, ...settings },
          },
        })
      )
    );
  }

  async recordReminder(
    request: TransitionRequest,
    at: number,
    events: readonly RegistryEvent[]
  ): Promise<boolean> {
    const { client, tableName } = this.#table;
    try {
      await transactWrite(client, [
        {
          Update: {
            TableName: tableName,
            Key: requestKeys.request(
              request.modelId,
              request.version,
              request.id
            ),
            UpdateExpression: 'SET reminderSentAt = :at',
            // The marker is what makes the reminder one: a second run (or
            // a concurrent one) finds it and writes nothing.
            ConditionExpression:
              '#status = :open AND attribute_not_exists(reminderSentAt)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':open': 'OPEN', ':at': at },
          },
        },
        ...outboxPuts(tableName, events),
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConcurrentModificationError) return false;
      throw error;
    }
  }
}

function toRequestItem(request: TransitionRequest): Item {
  return {
    ...requestKeys.request(request.modelId, request.version, request.id),
    GSI1PK: requestKeys.byId(request.id),
    GSI1SK: '#TR',
    ...(isPending(request.status)
      ? {
          GSI2PK: requestKeys.pending,
          GSI2SK: `${sortableTimestamp(request.expiresAt)}#${request.id}`,
        }
      : {}),
    entity: 'TransitionRequest',
    ...request,
  };
}

function fromRequestItem(item: Item): TransitionRequest {
  return {
    id: String(item.id),
    modelId: String(item.modelId),
    version: Number(item.version),
    toStage: item.toStage as TransitionRequest['toStage'],
    fromStage: item.fromStage as TransitionRequest['fromStage'],
    creator: String(item.creator),
    comment: String(item.comment ?? ''),
    status: item.status as TransitionRequestStatus,
    creationTimestamp: Number(item.creationTimestamp),
    lastUpdatedTimestamp: Number(item.lastUpdatedTimestamp),
    expiresAt: Number(item.expiresAt),
    taskToken: item.taskToken as string | undefined,
    executionArn: item.executionArn as string | undefined,
    decision: item.decision as TransitionRequest['decision'],
    ...(typeof item.reminderSentAt === 'number'
      ? { reminderSentAt: item.reminderSentAt }
      : {}),
  };
}

function activityKey(activity: Activity) {
  return keys.activity(
    activity.modelId,
    activity.version,
    activity.creationTimestamp,
    activity.id
  );
}

export { activityPrefix };
