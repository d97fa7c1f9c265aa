import { fileURLToPath } from 'node:url';
import { EventBridgeBus } from '#adapters/aws/eventbridge-bus.ts';
import { SqsDeliveryQueue } from '#adapters/aws/sqs-delivery-queue.ts';
import { FileEventBus } from '#adapters/events/file-event-bus.ts';
import { FileDeliveryQueue } from '#adapters/queue/file-delivery-queue.ts';
import type { DeliveryQueue } from '#ports/delivery-queue.ts';
import type { EventBus } from '#ports/event-bus.ts';
import { getStringFromEnv } from '../config.ts';
import { needEnvironment } from '../needs.ts';

/**
 * The webhook delivery queue: SQS by its URL on AWS; a `file:` URL (the
 * local runtime's `<data dir>/webhook-queue`) is the durable queue in that
 * directory.
 * @throws Error when `WEBHOOK_QUEUE_URL` is not set.
 */
export function webhookQueueFromEnv(): DeliveryQueue {
  const url = getStringFromEnv(needEnvironment.webhookQueue);
  return url.startsWith('file:')
    ? new FileDeliveryQueue(fileURLToPath(url))
    : new SqsDeliveryQueue({ queueUrl: url });
}

/**
 * The event bus: an EventBridge bus by its name on AWS; a `file:` URL
 * (the local runtime's `<data dir>/events.jsonl`) is a JSON-lines file.
 * @throws Error when `EVENT_BUS_NAME` is not set.
 */
export function eventBusFromEnv(): EventBus {
  const name = getStringFromEnv(needEnvironment.eventBus);
  return name.startsWith('file:')
    ? new FileEventBus(fileURLToPath(name))
    : new EventBridgeBus({ busName: name });
}
