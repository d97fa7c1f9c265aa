import type { Activity, ActivityType } from '#domain/activity.ts';
import type { Stage } from '#domain/stages.ts';
import type { ModelActivityStore } from '#ports/model-registry-store.ts';
import { activityPrefix, keys, modelPartition } from './keys.ts';
import {
  type Item,
  queryAll,
  type RegistryTable,
  type TransactItem,
} from './toolkit.ts';

/**
 * {@link ModelActivityStore}: a version's activities sit in its model's
 * partition (`ACT#<version>#<time>#<id>`), in time order, written by the
 * transactions that cause them ({@link activityPut}).
 */
export class DynamoDBModelActivities implements ModelActivityStore {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = table;
  }

  async listActivities(
    modelId: string,
    version: number
  ): Promise<readonly Activity[]> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: {
        ':pk': modelPartition(modelId),
        ':prefix': activityPrefix(version),
      },
      ConsistentRead: true,
    });
    return items.map(activityFromItem);
  }
}

/** An activity's item, in its version's feed (`ACT#<version>#<time>#<id>`). */
export function activityItem(activity: Activity): Item {
  return {
    ...keys.activity(
      activity.modelId,
      activity.version,
      activity.creationTimestamp,
      activity.id
    ),
    entity: 'Activity',
    ...activity,
  };
}

export function activityFromItem(item: Item): Activity {
  return {
    id: String(item.id),
    modelId: String(item.modelId),
    version: Number(item.version),
    activityType: item.activityType as ActivityType,
    fromStage: item.fromStage as Stage | undefined,
    toStage: item.toStage as Stage | undefined,
    userId: String(item.userId ?? ''),
    creationTimestamp: Number(item.creationTimestamp),
    lastUpdatedTimestamp: Number(item.lastUpdatedTimestamp),
    comment: item.comment as string | undefined,
    systemComment: item.systemComment as string | undefined,
  };
}

/**
 * The transaction action that writes an activity; `attribute_not_exists`
 * keeps a retried transaction from writing it twice under the same key.
 */
export function activityPut(tableName: string, activity: Activity) {
  return {
    Put: {
      TableName: tableName,
      Item: activityItem(activity),
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  } satisfies TransactItem;
}
