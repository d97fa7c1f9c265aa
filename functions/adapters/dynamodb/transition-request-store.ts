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
import type { StagePolicy } from '#domain/stage-policy.ts';
import type {
  Approval,
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
  OpenRequestsPage,
  StoredSettings,
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
  modelPartition,
  REQUEST_PREFIX,
  requestKeys,
  requestPrefix,
  sortableTimestamp,
} from './keys.ts';
import { batchGetAll, queryPage, type RegistryTable } from './toolkit.ts';

/**
 * {@link TransitionRequestStore} on the registry table. Requests live in
 * their model's partition (so deleting the model purges them); GSI1 finds a
 * request or comment by id alone, and GSI2 lists the pending requests of
 * the whole registry by creation (the inbox walks it newest first), an
 * entry removed once the request's lifecycle reaches a final status.
 */
export class DynamoDBTransitionRequestStore implements TransitionRequestStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #table: RegistryTable;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#table = { client: options.client, tableName: options.tableName };
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
    version?: number
  ): Promise<readonly TransitionRequest[]> {
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      FilterExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pk': keys.registeredModel(modelId).PK,
        ':prefix':
          version === undefined ? REQUEST_PREFIX : requestPrefix(version),
        ':open': 'OPEN',
      },
      ConsistentRead: true,
    });
    return items
      .map(fromRequestItem)
      .sort(
        (a, b) =>
          a.creationTimestamp - b.creationTimestamp ||
          a.version - b.version ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
      );
  }

  async listOpenRequestsNewestFirst(query: {
    after?: string | undefined;
    limit: number;
  }): Promise<OpenRequestsPage> {
    const page = await queryPage(
      this.#client,
      {
        TableName: this.#tableName,
        IndexName: 'GSI2',
        KeyConditionExpression:
          query.after === undefined
            ? 'GSI2PK = :pk'
            : 'GSI2PK = :pk AND GSI2SK < :after',
        // Approved requests wait only for their workflow, not for anyone.
        FilterExpression: '#status = :open',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pk': requestKeys.pending,
          ':open': 'OPEN',
          ...(query.after === undefined ? {} : { ':after': query.after }),
        },
        ScanIndexForward: false,
      },
      query.limit
    );
    return {
      requests: page.items.map((item) => ({
        request: fromRequestItem(item),
        position: String(item.GSI2SK),
      })),
      exhausted: page.exhausted,
    };
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
    const approval = approvalUpdate(request, change.approval);
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
                UpdateExpression: `SET #status = :to, lastUpdatedTimestamp = :now${change.decision ? ', decision = :decision' : ''}${approval.set}${indexUpdate}`,
                ConditionExpression: `#status = :from${approval.condition}`,
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':to': step.to,
                  ':from': request.status,
                  ':now': change.at,
                  ...(change.decision ? { ':decision': change.decision } : {}),
                  ...approval.values,
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

  async getSettings(modelId: string): Promise<StoredSettings> {
    const { models, registry } = await this.getSettingsOfModels([modelId]);
    return { model: models.get(modelId) ?? {}, registry };
  }

  async getSettingsOfModels(modelIds: readonly string[]): Promise<{
    models: ReadonlyMap<string, Partial<TransitionRequestSettings>>;
    registry: Partial<StagePolicy>;
  }> {
    const items = await batchGetAll(this.#table, [
      requestKeys.registryPolicy,
      ...modelIds.map((id) => requestKeys.settings(id)),
    ]);
    const models = new Map<string, Partial<TransitionRequestSettings>>(
      modelIds.map((id) => [id, {}])
    );
    let registry: Partial<StagePolicy> = {};
    for (const item of items) {
      if (item.PK === requestKeys.registryPolicy.PK) {
        registry = (item.policy ?? {}) as Partial<StagePolicy>;
      } else {
        models.set(
          String(item.PK).slice(modelPartition('').length),
          (item.settings ?? {}) as Partial<TransitionRequestSettings>
        );
      }
    }
    return { models, registry };
  }

  async getRegistryPolicy(): Promise<Partial<StagePolicy>> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: requestKeys.registryPolicy,
        ConsistentRead: true,
      })
    );
    return (result.Item?.policy ?? {}) as Partial<StagePolicy>;
  }

  async setRegistryPolicy(policy: StagePolicy): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...requestKeys.registryPolicy,
          entity: 'RegistryPolicy',
          policy: {
            protectedStages: [...policy.protectedStages],
            requiredApprovals: policy.requiredApprovals,
          },
        },
      })
    );
  }

  async setSettings(
    modelId: string,
    settings: Partial<TransitionRequestSettings>
  ): Promise<void> {
    const current = (await this.getSettings(modelId)).model;
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
 * Tables written before the pending index was ordered by creation hold
 * pending requests at their expiry: moves each to its creation position
 * (the local runtime runs this at start). A request a commit took out of
 * the index meanwhile stays out.
 * @returns how many requests moved.
 */
export async function repositionLegacyPendingRequests(
  table: RegistryTable
): Promise<number> {
  const { client, tableName } = table;
  const items = await queryAll(client, {
    TableName: tableName,
    IndexName: 'GSI2',
    KeyConditionExpression: 'GSI2PK = :pk',
    ExpressionAttributeValues: { ':pk': requestKeys.pending },
  });
  let moved = 0;
  for (const item of items) {
    const request = fromRequestItem(item);
    const position = pendingPosition(request);
    if (item.GSI2SK === position) continue;
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: requestKeys.request(
            request.modelId,
            request.version,
            request.id
          ),
          UpdateExpression: 'SET GSI2SK = :position',
          ConditionExpression: 'GSI2SK = :old',
          ExpressionAttributeValues: {
            ':position': position,
            ':old': item.GSI2SK,
          },
        })
      );
      moved += 1;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  return moved;
}

/**
 * The request's position in the pending index: creation time, then id, so
 * the inbox walks it newest first and resumes after a position.
 */
function pendingPosition(request: {
  readonly creationTimestamp: number;
  readonly id: string;
}): string {
  return `${sortableTimestamp(request.creationTimestamp)}#${request.id}`;
}

/**
 * Appends an approval under the condition that the request still has the
 * approvals it was read with (none: the attribute is absent), so two
 * approvals planned on one read cannot both count.
 */
function approvalUpdate(
  request: TransitionRequest,
  approval: Approval | undefined
): { set: string; condition: string; values: Record<string, unknown> } {
  if (!approval) return { set: '', condition: '', values: {} };
  const before = request.approvals?.length ?? 0;
  return {
    set: ', approvals = list_append(if_not_exists(approvals, :none), :approval)',
    condition:
      before === 0
        ? ' AND attribute_not_exists(approvals)'
        : ' AND size(approvals) = :before',
    values: {
      ':none': [],
      ':approval': [{ by: approval.by, at: approval.at }],
      ...(before === 0 ? {} : { ':before': before }),
    },
  };
}

function toRequestItem(request: TransitionRequest): Item {
  return {
    ...requestKeys.request(request.modelId, request.version, request.id),
    GSI1PK: requestKeys.byId(request.id),
    GSI1SK: '#TR',
    ...(isPending(request.status)
      ? { GSI2PK: requestKeys.pending, GSI2SK: pendingPosition(request) }
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
    ...(Array.isArray(item.approvals) && item.approvals.length > 0
      ? { approvals: item.approvals as Approval[] }
      : {}),
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
