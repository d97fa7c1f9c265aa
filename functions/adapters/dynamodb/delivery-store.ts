import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  DeliveryAttempt,
  DeliveryStatus,
  WebhookDelivery,
} from '#domain/webhook-delivery.ts';
import type { DeliveryPage, DeliveryStore } from '#ports/delivery-store.ts';
import { keys, sortableTimestamp } from './keys.ts';
import {
  getItem,
  type Item,
  queryPage,
  type RegistryTable,
  writeIf,
} from './toolkit.ts';

/** How long a delivery stays in its webhook's log before its TTL removes it. */
export const DELIVERY_RETENTION_DAYS = 30;

/**
 * {@link DeliveryStore} on the registry table: a delivery is an item in its
 * webhook's partition (`WEBHOOK#<id>`/`DELIVERY#<id>`), listed newest
 * first through GSI1 (`DELIVERIES#<webhook id>` / creation time#id), and
 * removed by TTL a while after it was made. A claim is `claimedUntil` on
 * the item; every outcome is written conditioned on it.
 */
export class DynamoDBDeliveryStore implements DeliveryStore {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = { client: table.client, tableName: table.tableName };
  }

  async create(deliveries: readonly WebhookDelivery[]): Promise<void> {
    // One by one and idempotent: a dispatch that is repeated (after a
    // crash) finds the ones it stored and leaves them as they are.
    await Promise.all(
      deliveries.map((delivery) =>
        writeIf(() =>
          this.#table.client.send(
            new PutCommand({
              TableName: this.#table.tableName,
              Item: toItem(delivery),
              ConditionExpression: 'attribute_not_exists(PK)',
            })
          )
        )
      )
    );
  }

  async get(
    webhookId: string,
    deliveryId: string
  ): Promise<WebhookDelivery | undefined> {
    const item = await getItem(
      this.#table,
      keys.delivery(webhookId, deliveryId)
    );
    return item ? fromItem(item) : undefined;
  }

  claim(
    delivery: WebhookDelivery,
    now: number,
    until: number
  ): Promise<boolean> {
    return writeIf(() =>
      this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: keys.delivery(delivery.webhookId, delivery.id),
          UpdateExpression: 'SET claimedUntil = :until',
          ConditionExpression:
            '#status = :pending AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': 'PENDING',
            ':now': now,
            ':until': until,
          },
        })
      )
    );
  }

  recordAttempt(
    delivery: WebhookDelivery,
    claimedUntil: number,
    outcome: {
      readonly attempt?: DeliveryAttempt | undefined;
      readonly status: DeliveryStatus;
      readonly nextAttemptAt?: number | undefined;
      readonly reason?: string | undefined;
      readonly at: number;
    }
  ): Promise<boolean> {
    const sets = ['#status = :status', 'lastUpdatedTimestamp = :at'];
    const removes = ['claimedUntil'];
    const values: Item = {
      ':status': outcome.status,
      ':at': outcome.at,
      ':claim': claimedUntil,
    };
    if (outcome.attempt) {
      sets.push('attempts = list_append(attempts, :attempt)');
      values[':attempt'] = [JSON.parse(JSON.stringify(outcome.attempt))];
    }
    if (outcome.nextAttemptAt === undefined) removes.push('nextAttemptAt');
    else {
      sets.push('nextAttemptAt = :next');
      values[':next'] = outcome.nextAttemptAt;
    }
    if (outcome.reason !== undefined) {
      sets.push('reason = :reason');
      values[':reason'] = outcome.reason;
    }
    return writeIf(() =>
      this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: keys.delivery(delivery.webhookId, delivery.id),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ConditionExpression: 'claimedUntil = :claim',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        })
      )
    );
  }

  async list(
    webhookId: string,
    options: { limit: number; from?: string | undefined }
  ): Promise<DeliveryPage> {
    const page = await queryPage(
      this.#table.client,
      {
        TableName: this.#table.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression:
          options.from === undefined
            ? 'GSI1PK = :pk'
            : 'GSI1PK = :pk AND GSI1SK < :from',
        ExpressionAttributeValues: {
          ':pk': keys.deliveriesOf(webhookId),
          ...(options.from === undefined ? {} : { ':from': options.from }),
        },
        ScanIndexForward: false,
      },
      options.limit
    );
    const last = page.items.at(-1);
    return {
      deliveries: page.items.map(fromItem),
      ...(page.exhausted || last === undefined
        ? {}
        : { next: String(last.GSI1SK) }),
    };
  }
}

function toItem(delivery: WebhookDelivery): Item {
  return {
    ...keys.delivery(delivery.webhookId, delivery.id),
    GSI1PK: keys.deliveriesOf(delivery.webhookId),
    GSI1SK: `${sortableTimestamp(delivery.creationTimestamp)}#${delivery.id}`,
    entity: 'WebhookDelivery',
    ...JSON.parse(JSON.stringify(delivery)),
    expiresAt:
      Math.floor(delivery.creationTimestamp / 1000) +
      DELIVERY_RETENTION_DAYS * 24 * 3600,
  };
}

function fromItem(item: Item): WebhookDelivery {
  return {
    id: String(item.id),
    webhookId: String(item.webhookId),
    messageId: String(item.messageId),
    eventId: String(item.eventId),
    eventType: item.eventType as WebhookDelivery['eventType'],
    modelId: String(item.modelId),
    body: String(item.body),
    status: item.status as DeliveryStatus,
    attempts: (item.attempts as DeliveryAttempt[] | undefined) ?? [],
    ...(typeof item.nextAttemptAt === 'number'
      ? { nextAttemptAt: item.nextAttemptAt }
      : {}),
    creationTimestamp: Number(item.creationTimestamp),
    lastUpdatedTimestamp: Number(item.lastUpdatedTimestamp),
    ...(typeof item.redeliveryOf === 'string'
      ? { redeliveryOf: item.redeliveryOf }
      : {}),
    ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
  };
}
