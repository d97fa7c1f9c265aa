import {
  DeleteCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  HttpUrlSpec,
  JobSpec,
  Webhook,
  WebhookEvent,
  WebhookStatus,
} from '#domain/webhook.ts';
import type { WebhookPage, WebhookStore } from '#ports/webhook-store.ts';
import { keys } from './keys.ts';
import { DynamoDBModelRegistryStore } from './model-registry-store.ts';
import {
  getItem,
  type Item,
  queryAll,
  queryPage,
  type RegistryTable,
  writeIf,
  writeItem,
} from './toolkit.ts';

/**
 * {@link WebhookStore} on the registry table: one item per webhook
 * (`WEBHOOK#<id>`/`#WEBHOOK`), in GSI1 under its model's id
 * (`WEBHOOKS#RM#<model id>`, or `WEBHOOKS#REGISTRY`) and in GSI2 under
 * `WEBHOOKS`, both sorted by id, so every listing is a Query. The indexes
 * are eventually consistent: a webhook may appear in listings a moment
 * after it was created.
 *
 * Items written before webhooks were bound to model ids carry a
 * `modelName` and no `modelId`; they are not read as webhooks until
 * {@link bindLegacyWebhooks} has bound them.
 */
export class DynamoDBWebhookStore implements WebhookStore {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = { client: table.client, tableName: table.tableName };
  }

  async create(webhook: Webhook): Promise<void> {
    await writeItem(() =>
      this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: toItem(webhook),
          ConditionExpression: 'attribute_not_exists(PK)',
        })
      )
    );
  }

  async get(id: string): Promise<Webhook | undefined> {
    const item = await getItem(this.#table, keys.webhook(id));
    return item ? fromItem(item) : undefined;
  }

  put(webhook: Webhook): Promise<boolean> {
    // Never resurrects a webhook deleted meanwhile.
    return writeIf(() =>
      this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: toItem(webhook),
          ConditionExpression: 'attribute_exists(PK)',
        })
      )
    );
  }

  delete(id: string): Promise<boolean> {
    return writeIf(() =>
      this.#table.client.send(
        new DeleteCommand({
          TableName: this.#table.tableName,
          Key: keys.webhook(id),
          ConditionExpression: 'attribute_exists(PK)',
        })
      )
    );
  }

  async deleteOfModel(modelId: string): Promise<void> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.webhooksOfModel(modelId) },
      ProjectionExpression: 'id',
    });
    for (const item of items) await this.delete(String(item.id));
  }

  async listSubscribers(modelId: string): Promise<readonly Webhook[]> {
    const partitions = [keys.webhooksOfModel(modelId), keys.registryWebhooks];
    const pages = await Promise.all(
      partitions.map((partition) =>
        queryAll(this.#table.client, {
          TableName: this.#table.tableName,
          IndexName: 'GSI1',
          KeyConditionExpression: 'GSI1PK = :pk',
          ExpressionAttributeValues: { ':pk': partition },
        })
      )
    );
    return pages.flat().flatMap((item) => {
      const webhook = fromItem(item);
      return webhook ? [webhook] : [];
    });
  }

  async list(options: {
    modelId?: string | undefined;
    afterId?: string | undefined;
    limit: number;
  }): Promise<WebhookPage> {
    const byModel = options.modelId !== undefined;
    const index = byModel ? 'GSI1' : 'GSI2';
    const partition =
      options.modelId === undefined
        ? keys.allWebhooks
        : keys.webhooksOfModel(options.modelId);
    const page = await queryPage(
      this.#table.client,
      {
        TableName: this.#table.tableName,
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
      },
      options.limit
    );
    const last = page.items.at(-1);
    return {
      webhooks: page.items.flatMap((item) => {
        const webhook = fromItem(item);
        return webhook ? [webhook] : [];
      }),
      more: !page.exhausted,
      lastId: last === undefined ? undefined : String(last.id),
    };
  }
}

/**
 * Binds the webhooks stored before webhooks were bound to model ids (they
 * name their model only) to the model now holding that name, when that
 * model is not younger than the webhook. A younger one cannot be the
 * webhook's model: that one was renamed or deleted since and its name
 * reused, so the webhook is deleted rather than handed to a stranger.
 * Idempotent; the local runtime runs it at every start (nothing older was
 * deployed on AWS). A Query of every webhook, never on a request path.
 */
export async function bindLegacyWebhooks(
  options: RegistryTable
): Promise<{ bound: number; deleted: number }> {
  const { client, tableName } = options;
  const models = new DynamoDBModelRegistryStore(options);
  const legacy = await queryAll(client, {
    TableName: tableName,
    IndexName: 'GSI2',
    KeyConditionExpression: 'GSI2PK = :pk',
    FilterExpression:
      'attribute_exists(modelName) AND attribute_not_exists(modelId)',
    ExpressionAttributeValues: { ':pk': keys.allWebhooks },
  });
  const still = 'modelName = :name AND attribute_not_exists(modelId)';
  let bound = 0;
  let deleted = 0;
  for (const item of legacy) {
    const id = String(item.id);
    const name = String(item.modelName);
    const record = await models.getModelRecordByName(name);
    // A false write was bound or deleted meanwhile by another run.
    if (
      record &&
      record.model.creationTimestamp <= Number(item.creationTimestamp)
    ) {
      const wrote = await writeIf(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.webhook(id),
            UpdateExpression:
              'SET modelId = :id, GSI1PK = :pk REMOVE modelName',
            ConditionExpression: still,
            ExpressionAttributeValues: {
              ':id': record.model.id,
              ':pk': keys.webhooksOfModel(record.model.id),
              ':name': name,
            },
          })
        )
      );
      if (wrote) bound += 1;
    } else {
      const wrote = await writeIf(() =>
        client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.webhook(id),
            ConditionExpression: still,
            ExpressionAttributeValues: { ':name': name },
          })
        )
      );
      if (wrote) deleted += 1;
    }
  }
  return { bound, deleted };
}

function toItem(webhook: Webhook): Item {
  return {
    ...keys.webhook(webhook.id),
    GSI1PK:
      webhook.modelId === undefined
        ? keys.registryWebhooks
        : keys.webhooksOfModel(webhook.modelId),
    GSI1SK: webhook.id,
    GSI2PK: keys.allWebhooks,
    GSI2SK: webhook.id,
    entity: 'Webhook',
    id: webhook.id,
    modelId: webhook.modelId,
    events: [...webhook.events],
    description: webhook.description,
    status: webhook.status,
    httpUrlSpec: webhook.httpUrlSpec,
    jobSpec: webhook.jobSpec,
    creationTimestamp: webhook.creationTimestamp,
    lastUpdatedTimestamp: webhook.lastUpdatedTimestamp,
  };
}

/** `undefined` for an item not bound to a model id yet (see above). */
function fromItem(item: Item): Webhook | undefined {
  if (typeof item.modelName === 'string' && typeof item.modelId !== 'string') {
    return undefined;
  }
  const http = item.httpUrlSpec as HttpUrlSpec | undefined;
  const job = item.jobSpec as JobSpec | undefined;
  return {
    id: String(item.id),
    ...(typeof item.modelId === 'string' ? { modelId: item.modelId } : {}),
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
