import { z } from 'zod';
import { DynamoDBDeliveryStore } from '#adapters/dynamodb/delivery-store.ts';
import { DynamoDBWebhookStore } from '#adapters/dynamodb/webhook-store.ts';
import { NodeWebhookSender } from '#adapters/http/webhook-sender.ts';
import {
  type DeliveryDependencies,
  type DeliveryOutcome,
  deliverMessage,
} from '#domain/registry/event-delivery.ts';
import { observedHandler, recordMetric } from '#shared/invocation.ts';
import { logger } from '#shared/powertools.ts';
import { defineRoot } from '#shared/root.ts';
import { now } from '#shared/system.ts';
import {
  allowPrivateWebhooksFromEnv,
  retryPolicyFromEnv,
} from '#shared/webhook-delivery.ts';
import { registryTableNeed } from '../api-root.ts';

/** An SQS batch, as Lambda hands it over (and the local queue does). */
export interface QueueBatch {
  readonly Records: readonly { messageId: string; body: string }[];
}

export interface QueueBatchResult {
  /** Messages to receive again (Lambda's partial batch response). */
  readonly batchItemFailures: { itemIdentifier: string }[];
  readonly outcomes: Partial<Record<DeliveryOutcome, number>>;
}

const message = z.object({
  webhookId: z.string().regex(/^[0-9a-f]{32}$/),
  deliveryId: z.string().regex(/^[0-9a-f]{32}$/),
});

/**
 * Sends queued webhook deliveries (`deliverMessage`), one attempt each,
 * signed; retries are queued again with backoff and the last failure is
 * dead-lettered by the worker itself. A message whose outcome could not
 * be recorded is handed back to the queue (received again), and a
 * message that keeps failing that way lands in the dead-letter queue by
 * the queue's own redrive policy.
 */
export const webhookDeliveriesRoot = defineRoot({
  // Reads webhooks and records deliveries (table); receives, queues again
  // and dead-letters messages (queue). Posts to receivers over the
  // internet, which needs no grant.
  needs: { table: registryTableNeed, webhookQueue: 'consume' },
  wire: ({ table, queue }): DeliveryDependencies => {
    const allowPrivateUrls = allowPrivateWebhooksFromEnv();
    return {
      deliveries: new DynamoDBDeliveryStore(table),
      webhooks: new DynamoDBWebhookStore(table),
      sender: new NodeWebhookSender({ allowPrivate: allowPrivateUrls }),
      queue,
      policy: retryPolicyFromEnv(),
      allowPrivateUrls,
      now,
    };
  },
  build: (deps: DeliveryDependencies) =>
    observedHandler(async (batch: QueueBatch): Promise<QueueBatchResult> => {
      const batchItemFailures: { itemIdentifier: string }[] = [];
      const outcomes: Partial<Record<DeliveryOutcome, number>> = {};
      await Promise.all(
        batch.Records.map(async (record) => {
          let parsed: z.infer<typeof message>;
          try {
            parsed = message.parse(JSON.parse(record.body));
          } catch {
            // Nothing to deliver: dropped, not retried.
            logger.error('Queued message is not a delivery', {
              messageId: record.messageId,
            });
            return;
          }
          try {
            const outcome = await deliverMessage(deps, parsed);
            outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
            if (outcome === 'delivered' || outcome === 'failed') {
              recordMetric({
                name: 'WebhookDeliveries',
                dimensions: { Outcome: outcome },
              });
            }
          } catch (error) {
            logger.error('Webhook delivery could not be recorded', {
              error,
              ...parsed,
            });
            batchItemFailures.push({ itemIdentifier: record.messageId });
          }
        })
      );
      return { batchItemFailures, outcomes };
    }),
});
