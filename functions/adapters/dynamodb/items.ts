import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Activity, ActivityType } from '#domain/activity.ts';
import type { Stage } from '#domain/stages.ts';
import { keys } from './keys.ts';

export type Item = Record<string, unknown>;

/** Every item a Query selects, across its 1 MB pages. */
export async function queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput
): Promise<Item[]> {
  const items: Item[] = [];
  let exclusiveStartKey: Item | undefined;
  do {
    const page = await client.send(
      new QueryCommand({ ...input, ExclusiveStartKey: exclusiveStartKey })
    );
    items.push(...(page.Items ?? []));
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return items;
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
  };
}
