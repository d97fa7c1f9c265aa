import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDBDeliveryStore } from '#adapters/dynamodb/delivery-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import {
  DynamoDBOutboxStore,
  eventFromItem,
  OUTBOX_ENTITY,
} from '#adapters/dynamodb/outbox-store.ts';
import { DynamoDBSlackStore } from '#adapters/dynamodb/slack-store.ts';
import { DynamoDBTransitionRequestStore } from '#adapters/dynamodb/transition-request-store.ts';
import { DynamoDBWebhookStore } from '#adapters/dynamodb/webhook-store.ts';
import { SlackWebApi } from '#adapters/slack/slack-web-api.ts';
import {
  type DispatchDependencies,
  dispatchEvent,
  dispatchPending,
  type EventNotifier,
} from '#domain/registry/event-delivery.ts';
import {
  type SlackNoticeDependencies,
  showEventInSlack,
} from '#domain/registry/slack-approvals.ts';
import { getOptionalStringFromEnv } from '#shared/config.ts';
import { observedHandler, recordMetric } from '#shared/invocation.ts';
import { logger } from '#shared/powertools.ts';
import { defineRoot } from '#shared/root.ts';
import { now } from '#shared/system.ts';
import { registryTableNeed } from '../api-root.ts';
import { PUBLIC_URL_VARIABLE } from './slack-actions.ts';

/** A DynamoDB stream record, as Lambda hands it over (new images). */
interface StreamRecord {
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly NewImage?: Record<string, AttributeValue>;
    readonly SequenceNumber?: string;
  };
}

/**
 * What the dispatcher is invoked with: the table's stream (the outbox's
 * inserts, filtered by the event source mapping), or a sweep (the
 * schedule on AWS, the poller locally) of the events still pending that
 * were committed at least `olderThanSeconds` ago (default 60: younger ones
 * are the stream's).
 */
export type DispatcherEvent =
  | { readonly Records: readonly StreamRecord[] }
  | { readonly olderThanSeconds?: number };

export interface DispatcherResult {
  readonly dispatched: number;
  /** Stream records to retry (Lambda's partial batch response). */
  readonly batchItemFailures?: { itemIdentifier: string }[];
}

/** Events per sweep round (a round is one index query). */
const SWEEP_LIMIT = 100;

/**
 * Dispatches registry events from the outbox to the webhook delivery
 * queue and the event bus (`dispatchEvent`): on AWS from the table's
 * stream, within a second of the commit, with a scheduled sweep as the
 * backstop for anything the stream's retries did not get through
 * (the events stay pending in the table until dispatched).
 */
export const eventDispatcherRoot = defineRoot({
  // Reads the outbox (GSI2: pending; GSI1: webhooks by model) and the
  // model of events written without its name; writes deliveries and
  // marks events dispatched. Queues deliveries; publishes on the bus.
  needs: {
    table: registryTableNeed,
    webhookQueue: 'send',
    eventBus: true,
    // Posts and updates requests' Slack messages.
    slackSecret: true,
  },
  wire: ({ table, queue, bus, slackSecret }): DispatchDependencies => ({
    outbox: new DynamoDBOutboxStore(table),
    webhooks: new DynamoDBWebhookStore(table),
    deliveries: new DynamoDBDeliveryStore(table),
    store: new DynamoDBModelRegistryStore(table),
    queue,
    bus,
    now,
    notifiers: [
      slackNotifier({
        secrets: slackSecret,
        connect: (credentials) => new SlackWebApi(credentials),
        slack: new DynamoDBSlackStore(table),
        requests: new DynamoDBTransitionRequestStore(table),
        publicUrl: getOptionalStringFromEnv(PUBLIC_URL_VARIABLE),
      }),
    ],
  }),
  build: (deps: DispatchDependencies) =>
    observedHandler(
      async (event: DispatcherEvent): Promise<DispatcherResult> => {
        if ('Records' in event) return dispatchStream(deps, event.Records);
        const dispatched = await dispatchPending(deps, {
          limit: SWEEP_LIMIT,
          olderThanMs: (event.olderThanSeconds ?? 60) * 1000,
        });
        if (dispatched > 0) {
          logger.info('Dispatched pending events', { dispatched });
        }
        return { dispatched };
      }
    ),
});

async function dispatchStream(
  deps: DispatchDependencies,
  records: readonly StreamRecord[]
): Promise<DispatcherResult> {
  let dispatched = 0;
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image) continue;
    const item = unmarshall(image);
    if (item.entity !== OUTBOX_ENTITY) continue;
    try {
      await dispatchEvent(deps, eventFromItem(item));
      dispatched += 1;
    } catch (error) {
      logger.error('Dispatching an event failed', { error });
      // From here on, Lambda retries the batch from this record.
      batchItemFailures.push({
        itemIdentifier: record.dynamodb?.SequenceNumber ?? '',
      });
      break;
    }
  }
  if (dispatched > 0)
    recordMetric({ name: 'EventsDispatched', value: dispatched });
  return { dispatched, batchItemFailures };
}

/**
 * Slack as an event channel: best effort, as Slack is where people look,
 * not the record (webhooks and the bus carry every event at least once).
 * A failure is logged (never a token) and the event goes on.
 */
function slackNotifier(deps: SlackNoticeDependencies): EventNotifier {
  return async (event, modelName) => {
    try {
      await showEventInSlack(deps, event, modelName);
    } catch (error) {
      logger.warn('Showing an event in Slack failed', {
        eventId: event.id,
        error: error instanceof Error ? error.message : String(error),
      });
      recordMetric({ name: 'SlackNoticeFailures', value: 1 });
    }
  };
}
