import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  HttpUrlSpec,
  JobSpec,
  Webhook,
  WebhookEvent,
  WebhookStatus,
} from '#domain/webhook.ts';
import type { WebhookStore } from '#ports/webhook-store.ts';
import type { Item } from './items.ts';
import { keys } from './keys.ts';

/**
 * {@link WebhookStore} on the registry table: one item per webhook
 * (`WEBHOOK#<id>`/`#WEBHOOK`), in GSI1 under its model
 * (`WEBHOOKS#MODEL#<name>`, or `WEBHOOKS#REGISTRY`) and in GSI2 under
 * `WEBHOOKS`, both sorted by id, so every listing is a Query. The indexes
 * are eventually consistent: a webhook may appear in listings a moment
 * after it was created.
 */
export class DynamoDBWebhookStore implements WebhookStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async create(webhook: Webhook): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: toItem(webhook),
        ConditionExpression: 'attribute_not_exists(PK)',
      })
    );
  }

  async get(id: string): Promise<Webhook | undefined> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.webhook(id),
        ConsistentRead: true,
      })
    );
    return result.Item ? fromItem(result.Item) : undefined;
  }

  async put(webhook: Webhook): Promise<boolean> {
    try {
      // Never resurrects a webhook deleted meanwhile.
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: toItem(webhook),
          ConditionExpression: 'attribute_exists(PK)',
        })
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async delete(id: string): Promise<boolean> {
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: keys.webhook(id),
          ConditionExpression: 'attribute_exists(PK)',
        })
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async list(options: {
    modelName?: string | undefined;
    afterId?: string | undefined;
    limit: number;
  }): Promise<{ webhooks: readonly Webhook[]; more: boolean }> {
    const byModel = options.modelName !== undefined;
    const index = byModel ? 'GSI1' : 'GSI2';
    const partition = byModel
      ? keys.webhooksOf(options.modelName ?? null)
      : keys.allWebhooks;
    const result = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: index,
        KeyConditionExpression:
          options.afterId === undefined
            ? `${index}PK = :pk`
            : `${index}PK = :pk AND ${index}SK > :after`,
        ExpressionAttributeValues: {
          ':pk': partition,
          ...(options.afterId === undefined
            ? {}
            : { ':after': options.afterId }),
        },
        Limit: options.limit,
      })
    );
    return {
      webhooks: (result.Items ?? []).map(fromItem),
      more: result.LastEvaluatedKey !== undefined,
    };
  }
}

function toItem(webhook: Webhook): Item {
  return {
    ...keys.webhook(webhook.id),
    GSI1PK: keys.webhooksOf(webhook.modelName ?? null),
    GSI1SK: webhook.id,
    GSI2PK: keys.allWebhooks,
    GSI2SK: webhook.id,
    entity: 'Webhook',
    id: webhook.id,
    modelName: webhook.modelName,
    events: [...webhook.events],
    description: webhook.description,
    status: webhook.status,
    httpUrlSpec: webhook.httpUrlSpec,
    jobSpec: webhook.jobSpec,
    creationTimestamp: webhook.creationTimestamp,
    lastUpdatedTimestamp: webhook.lastUpdatedTimestamp,
  };
}

function fromItem(item: Item): Webhook {
  const http = item.httpUrlSpec as HttpUrlSpec | undefined;
  const job = item.jobSpec as JobSpec | undefined;
  return {
    id: String(item.id),
    ...(typeof item.modelName === 'string'
      ? { modelName: item.modelName }
      : {}),
    events: (item.events as WebhookEvent[] | undefined) ?? [],
    ...(typeof item.description === 'string'
      ? { description: item.description }
      : {}),
    status: item.status as WebhookStatus,
    ...(http
      ? {
          httpUrlSpec: {
            url: http.url,
            ...(http.secret === undefined ? {} : { secret: http.secret }),
            ...(http.authorization === undefined
              ? {}
              : { authorization: http.authorization }),
            enableSslVerification: http.enableSslVerification !== false,
          },
        }
      : {}),
    ...(job
      ? {
          jobSpec: {
            jobId: job.jobId,
            accessToken: job.accessToken,
            ...(job.workspaceUrl === undefined
              ? {}
              : { workspaceUrl: job.workspaceUrl }),
          },
        }
      : {}),
    creationTimestamp: Number(item.creationTimestamp),
    lastUpdatedTimestamp: Number(item.lastUpdatedTimestamp),
  };
}
