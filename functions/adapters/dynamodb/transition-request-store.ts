import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
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
  Notification,
  TransitionRequestStore,
} from '#ports/transition-request-store.ts';
import {
  activityFromItem,
  activityItem,
  activityPut,
  type Item,
  queryAll,
} from './items.ts';
import {
  activityPrefix,
  keys,
  requestKeys,
  requestPrefix,
  sortableTimestamp,
} from './keys.ts';

/**
 * {@link TransitionRequestStore} on the registry table. Requests live in
 * their model's partition (so deleting the model purges them); GSI1 finds a
 * request or comment by id alone, and GSI2 lists the pending requests of
 * the whole registry by expiry, an entry removed once the request's
 * lifecycle reaches a final status.
 */
export class DynamoDBTransitionRequestStore implements TransitionRequestStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async createRequest(
    request: TransitionRequest,
    activity: Activity
  ): Promise<void> {
    try {
      await this.#client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tableName,
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
                TableName: this.#tableName,
                Key: keys.modelVersion(request.modelId, request.version),
                ConditionExpression: 'currentStage = :from',
                ExpressionAttributeValues: { ':from': request.fromStage },
              },
            },
            {
              Put: {
                TableName: this.#tableName,
                Item: toRequestItem(request),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            activityPut(this.#tableName, activity),
          ],
        })
      );
    } catch (error) {
      const reasons =
        error instanceof TransactionCanceledException
          ? (error.CancellationReasons ?? [])
          : [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') {
        throw new ResourceAlreadyExistsError(
          `${request.creator} already has an open request to move version ${request.version} to ${request.toStage}.`
        );
      }
      if (reasons.some((r) => r.Code && r.Code !== 'None')) {
        throw new ConcurrentModificationError(String(error));
      }
      throw error;
    }
  }

  async getRequest(
    modelId: string,
    version: number,
    requestId: string
  ): Promise<TransitionRequest | undefined> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: requestKeys.request(modelId, version, requestId),
        ConsistentRead: true,
      })
    );
    return result.Item ? fromRequestItem(result.Item) : undefined;
  }

  async findRequestById(
    requestId: string
  ): Promise<TransitionRequest | undefined> {
    const found = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': requestKeys.byId(requestId) },
      })
    );
    const hit = found.Items?.[0];
    if (!hit) return undefined;
    // The index is eventually consistent; the item itself is read strongly.
    return this.getRequest(String(hit.modelId), Number(hit.version), requestId);
  }

  async listOpenRequests(
    modelId: string,
    version: number
  ): Promise<readonly TransitionRequest[]> {
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
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
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
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
    const step = requireStep(request, event);
    const key = requestKeys.request(
      request.modelId,
      request.version,
      request.id
    );
    // The request stays in the pending index while its workflow has work
    // left, so a restarted runtime can hand it to a new execution.
    const indexUpdate = isPending(step.to) ? '' : ' REMOVE GSI2PK, GSI2SK';
    const fromStageCheck = step.requiresFromStage
      ? [
          {
            ConditionCheck: {
              TableName: this.#tableName,
              Key: keys.modelVersion(request.modelId, request.version),
              ConditionExpression: 'currentStage = :from',
              ExpressionAttributeValues: { ':from': request.fromStage },
            },
          },
        ]
      : [];
    try {
      await this.#client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              // The commit point: only a request still in the status the
              // step leaves moves, so of concurrent approve, reject,
              // cancel, expire or close calls exactly one commits and the
              // others change nothing.
              Update: {
                TableName: this.#tableName,
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
            // An approval commits only while the version is still where
            // the request was made from: a concurrent direct transition
            // that moved it makes the approval lose, instead of being undone.
            ...fromStageCheck,
            ...(step.to !== 'OPEN'
              ? [
                  {
                    Delete: {
                      TableName: this.#tableName,
                      Key: requestKeys.openLock(
                        request.modelId,
                        request.version,
                        request.toStage,
                        request.creator
                      ),
                    },
                  },
                ]
              : []),
            ...(change.activity
              ? [activityPut(this.#tableName, change.activity)]
              : []),
          ],
        })
      );
    } catch (error) {
      const reasons =
        error instanceof TransactionCanceledException
          ? (error.CancellationReasons ?? [])
          : [];
      if (
        fromStageCheck.length > 0 &&
        reasons[0]?.Code === 'None' &&
        reasons[1]?.Code === 'ConditionalCheckFailed'
      ) {
        throw new StaleRequestError(
          `Version ${request.version} is no longer in ${request.fromStage}, where transition request ${request.id} was made from.`
        );
      }
      if (
        reasons.some(
          (r) =>
            r.Code === 'ConditionalCheckFailed' ||
            r.Code === 'TransactionConflict'
        )
      ) {
        throw new InvalidStateError(
          `Transition request ${request.id} is no longer ${request.status.toLowerCase()}: another call changed it first.`
        );
      }
      throw error;
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
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
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
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async putComment(activity: Activity): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...activityItem(activity),
          GSI1PK: requestKeys.commentById(activity.id),
          GSI1SK: '#COMMENT',
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      })
    );
  }

  async findCommentById(commentId: string): Promise<Activity | undefined> {
    const found = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: {
          ':pk': requestKeys.commentById(commentId),
        },
      })
    );
    const hit = found.Items?.[0];
    if (!hit) return undefined;
    const item = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { PK: hit.PK, SK: hit.SK },
        ConsistentRead: true,
      })
    );
    return item.Item ? activityFromItem(item.Item) : undefined;
  }

  async updateComment(
    activity: Activity,
    comment: string,
    now: number
  ): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: activityKey(activity),
          UpdateExpression:
            'SET #comment = :comment, lastUpdatedTimestamp = :now',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#comment': 'comment' },
          ExpressionAttributeValues: { ':comment': comment, ':now': now },
        })
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ResourceDoesNotExistError(
          `Comment ${activity.id} not found.`
        );
      }
      throw error;
    }
  }

  async deleteComment(activity: Activity): Promise<void> {
    await this.#client.send(
      new DeleteCommand({
        TableName: this.#tableName,
        Key: activityKey(activity),
      })
    );
  }

  async getSettings(
    modelId: string
  ): Promise<Partial<TransitionRequestSettings>> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: requestKeys.settings(modelId),
        ConsistentRead: true,
      })
    );
    return (result.Item?.settings ?? {}) as Partial<TransitionRequestSettings>;
  }

  async setSettings(
    modelId: string,
    settings: Partial<TransitionRequestSettings>
  ): Promise<void> {
    const current = await this.getSettings(modelId);
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...requestKeys.settings(modelId),
          entity: 'TransitionRequestSettings',
          settings: { ...current, ...settings },
        },
      })
    );
  }

  async recordNotification(notification: Notification): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...requestKeys.notification(
              notification.modelId,
              notification.version,
              notification.requestId
            ),
            entity: 'Notification',
            ...notification,
          },
          // One notification per request, however often its notify step
          // runs (a retry, or an execution re-armed after a restart).
          ConditionExpression: 'attribute_not_exists(PK)',
        })
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }

  async listNotifications(
    modelId: string,
    version: number
  ): Promise<readonly Notification[]> {
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.registeredModel(modelId).PK,
        ':prefix': requestKeys.notificationPrefix(version),
      },
      ConsistentRead: true,
    });
    return items
      .sort((a, b) => Number(a.creationTimestamp) - Number(b.creationTimestamp))
      .map((item) => ({
        id: String(item.id),
        modelId: String(item.modelId),
        version: Number(item.version),
        requestId: String(item.requestId),
        event: 'TRANSITION_REQUEST_CREATED',
        text: String(item.text),
        creationTimestamp: Number(item.creationTimestamp),
      }));
  }
}

/**
 * The item of a request. Its expiry (epoch milliseconds) is stored as
 * `decisionDeadline`, never under the table's TTL attribute (`expiresAt`,
 * epoch seconds): a request is history and stays, and milliseconds there
 * would read as a date some 50,000 years away.
 */
function toRequestItem(request: TransitionRequest): Item {
  const { expiresAt, ...rest } = request;
  return {
    ...requestKeys.request(request.modelId, request.version, request.id),
    GSI1PK: requestKeys.byId(request.id),
    GSI1SK: '#TR',
    ...(isPending(request.status)
      ? {
          GSI2PK: requestKeys.pending,
          GSI2SK: `${sortableTimestamp(expiresAt)}#${request.id}`,
        }
      : {}),
    entity: 'TransitionRequest',
    ...rest,
    decisionDeadline: expiresAt,
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
    // Items written before `decisionDeadline` kept it in `expiresAt`.
    expiresAt: Number(item.decisionDeadline ?? item.expiresAt),
    taskToken: item.taskToken as string | undefined,
    executionArn: item.executionArn as string | undefined,
    decision: item.decision as TransitionRequest['decision'],
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
