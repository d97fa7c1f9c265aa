import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { RegisteredModelAlreadyExistsError } from '#domain/errors.ts';
import type { RegisteredModel, Tag } from '#domain/registered-model.ts';
import type {
  ModelRegistryStore,
  RegisteredModelPageQuery,
} from '#ports/model-registry-store.ts';
import { keys, sortableTimestamp } from './keys.ts';

interface RegisteredModelItem {
  PK: string;
  SK: string;
  GSI1PK: string;
  GSI1SK: string;
  GSI2PK: string;
  GSI2SK: string;
  entity: 'RegisteredModel';
  id: string;
  name: string;
  description: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  userId: string;
  tags: Tag[];
}

/**
 * {@link ModelRegistryStore} on the registry's DynamoDB table.
 *
 * A model is two items: the model itself under its stable id, and a name
 * item whose conditional put is what makes names unique.
 */
export class DynamoDBModelRegistryStore implements ModelRegistryStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async createRegisteredModel(model: RegisteredModel): Promise<void> {
    try {
      await this.#client.send(
        new TransactWriteCommand({
          TransactItems: [
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
                Item: toItem(model),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ],
        })
      );
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      ) {
        throw new RegisteredModelAlreadyExistsError(model.name);
      }
      throw error;
    }
  }

  async getRegisteredModelByName(
    name: string
  ): Promise<RegisteredModel | undefined> {
    const nameItem = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.registeredModelName(name),
        ConsistentRead: true,
      })
    );
    const modelId = nameItem.Item?.modelId;
    if (typeof modelId !== 'string') return undefined;
    const modelItem = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.registeredModel(modelId),
        ConsistentRead: true,
      })
    );
    return modelItem.Item
      ? fromItem(modelItem.Item as RegisteredModelItem)
      : undefined;
  }

  async listRegisteredModelsByName(
    query: RegisteredModelPageQuery
  ): Promise<readonly RegisteredModel[]> {
    const models: RegisteredModel[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined;
    // A Query page is capped at 1 MB, so a large limit can need several.
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: 'GSI1',
          KeyConditionExpression:
            query.afterName === undefined
              ? 'GSI1PK = :pk'
              : 'GSI1PK = :pk AND GSI1SK > :after',
          ExpressionAttributeValues: {
            ':pk': keys.registeredModelsByName,
            ...(query.afterName === undefined
              ? {}
              : { ':after': query.afterName }),
          },
          Limit: query.limit - models.length,
          ExclusiveStartKey: exclusiveStartKey,
        })
      );
      for (const item of page.Items ?? []) {
        models.push(fromItem(item as RegisteredModelItem));
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey && models.length < query.limit);
    return models;
  }
}

function toItem(model: RegisteredModel): RegisteredModelItem {
  return {
    ...keys.registeredModel(model.id),
    GSI1PK: keys.registeredModelsByName,
    GSI1SK: model.name,
    GSI2PK: keys.registeredModelsByUpdate,
    GSI2SK: `${sortableTimestamp(model.lastUpdatedTimestamp)}#${model.name}`,
    entity: 'RegisteredModel',
    id: model.id,
    name: model.name,
    description: model.description,
    creationTimestamp: model.creationTimestamp,
    lastUpdatedTimestamp: model.lastUpdatedTimestamp,
    userId: model.userId,
    tags: [...model.tags],
  };
}

function fromItem(item: RegisteredModelItem): RegisteredModel {
  return {
    id: item.id,
    name: item.name,
    description: item.description,
    creationTimestamp: item.creationTimestamp,
    lastUpdatedTimestamp: item.lastUpdatedTimestamp,
    userId: item.userId,
    tags: item.tags.map((tag) => ({ key: tag.key, value: tag.value })),
  };
}
