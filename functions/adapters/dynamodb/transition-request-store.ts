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
  OpenRequestsPage,
  StoredSettings,
  TransitionRequestStore,
} from '#ports/transition-request-store.ts';
import { activityFromItem, activityItem, activityPut } from './activities.ts';
import {
  activityPrefix,
  keys,
  modelPartition,
  REQUEST_PREFIX,
  requestKeys,
  requestPrefix,
  sortableTimestamp,
} from './keys.ts';
import { outboxPuts } from './outbox-store.ts';
import {
  batchGetAll,
  getItem,
  type Item,
  queryAll,
  queryPage,
  type RegistryTable,
  type TransactItems,
  transactWrite,
  updateExisting,
  writeIf,
  writeItem,
} from './toolkit.ts';

/** The items {@link settingsOfItems} reads the settings of models from. */
export function settingsKeys(modelIds: readonly string[]): Item[] {
  return [
    requestKeys.registryPolicy,
    ...modelIds.map((id) => requestKeys.settings(id)),
  ];
}

/**
 * The stored settings of each model (empty when it has none) and the
 * registry's policy, among items read with {@link settingsKeys} (others
 * read along are passed over).
 */
export function settingsOfItems(
  items: readonly Item[],
  modelIds: readonly string[]
): {
  models: ReadonlyMap<string, Partial<TransitionRequestSettings>>;
  registry: Partial<StagePolicy>;
} {
  const models = new Map<string, Partial<TransitionRequestSettings>>(
    modelIds.map((id) => [id, {}])
  );
  let registry: Partial<StagePolicy> = {};
  for (const item of items) {
    if (
      item.PK === requestKeys.registryPolicy.PK &&
      item.SK === requestKeys.registryPolicy.SK
    ) {
      registry = (item.policy ?? {}) as Partial<StagePolicy>;
      continue;
    }
    const modelId = String(item.PK).slice(modelPartition('').length);
    const { SK } = requestKeys.settings(modelId);
    if (item.SK === SK && models.has(modelId)) {
      models.set(
        modelId,
        (item.settings ?? {}) as Partial<TransitionRequestSettings>
      );
    }
  }
  return { models, registry };
}

/** {@link settingsOfItems} of one model, as a {@link StoredSettings}. */
export function storedSettingsIn(
  items: readonly Item[],
  modelId: string
): StoredSettings {
  const { models, registry } = settingsOfItems(items, [modelId]);
  return { model: models.get(modelId) ?? {}, registry };
}

/**
 * {@link TransitionRequestStore} on the registry table. Requests live in
 * their model's partition (so deleting the model purges them); GSI1 finds a
 * request or comment by id alone, and GSI2 lists the pending requests of
 * the whole registry by creation (the inbox walks it newest first), an
 * entry removed once the request's lifecycle reaches a final status.
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
    version?: number
  ): Promise<readonly TransitionRequest[]> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
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
      this.#table.client,
      {
        TableName: this.#table.tableName,
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
    const approval = approvalUpdate(request, change.approval);
    const items: TransactItems = [
      {
        // The commit point: only a request still in the status the step
        // leaves moves, so of concurrent approve, reject, cancel, expire
        // or close calls exactly one commits and the others change nothing.
        Update: {
          TableName: tableName,
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

  async getSettings(modelId: string): Promise<StoredSettings> {
    const items = await batchGetAll(this.#table, settingsKeys([modelId]));
    return storedSettingsIn(items, modelId);
  }

  async getSettingsOfModels(modelIds: readonly string[]): Promise<{
    models: ReadonlyMap<string, Partial<TransitionRequestSettings>>;
    registry: Partial<StagePolicy>;
  }> {
    const items = await batchGetAll(this.#table, settingsKeys(modelIds));
    return settingsOfItems(items, modelIds);
  }

  async getRegistryPolicy(): Promise<Partial<StagePolicy>> {
    const item = await getItem(this.#table, requestKeys.registryPolicy);
    return (item?.policy ?? {}) as Partial<StagePolicy>;
  }

  async setRegistryPolicy(policy: StagePolicy): Promise<void> {
    await writeItem(() =>
      this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: {
            ...requestKeys.registryPolicy,
            entity: 'RegistryPolicy',
            policy: {
              protectedStages: [...policy.protectedStages],
              requiredApprovals: policy.requiredApprovals,
            },
          },
        })
      )
    );
  }

  async setSettings(
    modelId: string,
    settings: Partial<TransitionRequestSettings>
  ): Promise<void> {
    const current = (await this.getSettings(modelId)).model;
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
    const wrote = await writeIf(() =>
      client.send(
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
      )
    );
    if (wrote) moved += 1;
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
      ? { GSI2PK: requestKeys.pending, GSI2SK: pendingPosition(request) }
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
    ...(Array.isArray(item.approvals) && item.approvals.length > 0
      ? { approvals: item.approvals as Approval[] }
      : {}),
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
