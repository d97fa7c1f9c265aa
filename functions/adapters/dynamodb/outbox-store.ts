import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RegistryEvent } from '#domain/events.ts';
import type { OutboxStore } from '#ports/outbox-store.ts';
import { keys, sortableTimestamp } from './keys.ts';
import {
  type Item,
  queryAll,
  queryPage,
  type RegistryTable,
  type TransactItem,
  writeIf,
} from './toolkit.ts';

/** How long a dispatched event stays listed before its TTL removes it. */
export const DISPATCHED_EVENT_RETENTION_DAYS = 30;

/** The `entity` of outbox items (the stream's filter matches it). */
export const OUTBOX_ENTITY = 'RegistryEvent';

/**
 * An event's outbox item: pending (GSI2, by commit time) until dispatched,
 * listed with its version's events (GSI1).
 */
export function outboxItem(event: RegistryEvent): Item {
  const position = `${sortableTimestamp(event.timestamp)}#${event.id}`;
  return {
    ...keys.event(event.id),
    GSI1PK: keys.eventsOf(event.modelId, event.version),
    GSI1SK: position,
    GSI2PK: keys.pendingEvents,
    GSI2SK: position,
    entity: OUTBOX_ENTITY,
    // A JSON round trip drops the fields left undefined.
    event: JSON.parse(JSON.stringify(event)),
  };
}

/**
 * The transaction actions that write a change's events into the outbox,
 * next to the change's own (the outbox's whole point: they commit or fail
 * together). `attribute_not_exists` keeps a retried transaction from
 * writing one twice.
 */
export function outboxPuts(
  tableName: string,
  events: readonly RegistryEvent[] | undefined
): TransactItem[] {
  return (events ?? []).map((event) => ({
    Put: {
      TableName: tableName,
      Item: outboxItem(event),
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  }));
}

/** The event an outbox item (or a stream record's new image) holds. */
export function eventFromItem(item: Item): RegistryEvent {
  return item.event as RegistryEvent;
}

/** {@link OutboxStore} on the registry table (see {@link outboxItem}). */
export class DynamoDBOutboxStore implements OutboxStore {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = { client: table.client, tableName: table.tableName };
  }

  async listPending(options: {
    limit: number;
    before?: number | undefined;
  }): Promise<readonly RegistryEvent[]> {
    const page = await queryPage(
      this.#table.client,
      {
        TableName: this.#table.tableName,
        IndexName: 'GSI2',
        KeyConditionExpression:
          options.before === undefined
            ? 'GSI2PK = :pk'
            : 'GSI2PK = :pk AND GSI2SK < :before',
        ExpressionAttributeValues: {
          ':pk': keys.pendingEvents,
          ...(options.before === undefined
            ? {}
            : { ':before': sortableTimestamp(options.before) }),
        },
      },
      options.limit
    );
    return page.items.map(eventFromItem);
  }

  async markDispatched(event: RegistryEvent, at: number): Promise<void> {
    const expiresAt =
      Math.floor(at / 1000) + DISPATCHED_EVENT_RETENTION_DAYS * 24 * 3600;
    // A false write: the item is gone already, so nothing is pending.
    await writeIf(() =>
      this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: keys.event(event.id),
          UpdateExpression:
            'SET dispatchedAt = :at, expiresAt = :expires REMOVE GSI2PK, GSI2SK',
          // Never re-creates an item (it is there until its TTL, which is
          // set here, removes it).
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':at': at, ':expires': expiresAt },
        })
      )
    );
  }

  async listVersionEvents(
    modelId: string,
    version: number
  ): Promise<readonly RegistryEvent[]> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.eventsOf(modelId, version) },
    });
    return items.map(eventFromItem);
  }
}
