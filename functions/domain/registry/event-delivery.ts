import type { DeliveryMessage, DeliveryQueue } from '#ports/delivery-queue.ts';
import type { DeliveryStore } from '#ports/delivery-store.ts';
import type { EventBus } from '#ports/event-bus.ts';
import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import type { OutboxStore } from '#ports/outbox-store.ts';
import type { WebhookSender } from '#ports/webhook-sender.ts';
import type { WebhookStore } from '#ports/webhook-store.ts';
import { InvalidParameterValueError } from '../errors.ts';
import {
  busEntries,
  type RegistryEvent,
  type RegistryEventType,
  typedEventId,
  webhookPayload,
} from '../events.ts';
import {
  validateWebhookUrl,
  type Webhook,
  WebhookDeliveryError,
} from '../webhook.ts';
import {
  backoffDelayMs,
  classifyResponse,
  type DeliveryAttempt,
  deliveryHeaders,
  isFinal,
  type RetryPolicy,
  retryAfterMs,
  type WebhookDelivery,
} from '../webhook-delivery.ts';

/**
 * From the outbox to the receivers (docs/architecture.md, decision 11): the
 * dispatcher turns each committed event into one delivery per subscribed
 * webhook and type (recorded, then queued) and publishes it on the event
 * bus; the delivery worker sends one queued delivery, signed, and retries
 * it with backoff until it is delivered or gives up (dead-lettered). Every
 * step may run twice (a crash, a redelivered message): deliveries are
 * keyed by their message, and a claim lets one attempt run at a time.
 */

export interface DispatchDependencies {
  readonly outbox: OutboxStore;
  readonly webhooks: Pick<WebhookStore, 'listSubscribers'>;
  readonly deliveries: Pick<DeliveryStore, 'create'>;
  readonly queue: Pick<DeliveryQueue, 'enqueue'>;
  readonly bus: EventBus;
  /** Names the model of events written without its name. */
  readonly store: Pick<ModelRegistryStore, 'getModelRecordById'>;
  readonly now: () => number;
  /**
   * Channels that show events to people (Slack, e-mail), after the webhooks and
   * the bus; each handles its own failures (a channel's outage never holds
   * back the others' events).
   */
  readonly notifiers?: readonly EventNotifier[] | undefined;
}

/** Shows one dispatched event in a channel; never throws. */
export type EventNotifier = (
  event: RegistryEvent,
  modelName: string
) => Promise<void>;

/** Whether a webhook receives one type of an event. */
export function subscribes(
  webhook: Webhook,
  event: RegistryEvent,
  type: RegistryEventType
): boolean {
  return (
    webhook.status === 'ACTIVE' &&
    webhook.httpUrlSpec !== undefined &&
    webhook.events.includes(type) &&
    (webhook.modelId === undefined || webhook.modelId === event.modelId)
  );
}

/**
 * Dispatches one committed event: a delivery per subscribed (ACTIVE, http)
 * webhook and type, stored then queued; its entries on the event bus;
 * then the event leaves the pending ones. Repeating it repeats nothing
 * the receivers see twice except bus entries (which carry stable ids).
 * @returns the deliveries it queued.
 */
export async function dispatchEvent(
  deps: DispatchDependencies,
  event: RegistryEvent
): Promise<readonly WebhookDelivery[]> {
  const modelName =
    event.modelName ??
    (await deps.store.getModelRecordById(event.modelId, { stages: false }))
      ?.model.name ??
    event.modelId;
  const webhooks = await deps.webhooks.listSubscribers(event.modelId);
  const now = deps.now();
  const deliveries: WebhookDelivery[] = [];
  for (const type of event.types) {
    for (const webhook of webhooks) {
      if (!subscribes(webhook, event, type)) continue;
      const messageId = typedEventId(event.id, type, webhook.id);
      deliveries.push({
        id: messageId,
        webhookId: webhook.id,
        messageId,
        eventId: event.id,
        eventType: type,
        modelId: event.modelId,
        body: webhookPayload(event, type, modelName, webhook.id),
        status: 'PENDING',
        attempts: [],
        creationTimestamp: now,
        lastUpdatedTimestamp: now,
      });
    }
  }
  if (deliveries.length > 0) {
    await deps.deliveries.create(deliveries);
    await deps.queue.enqueue(deliveries.map(messageOf));
  }
  await deps.bus.publish(busEntries(event, modelName));
  for (const notify of deps.notifiers ?? []) await notify(event, modelName);
  await deps.outbox.markDispatched(event, now);
  return deliveries;
}

/**
 * Dispatches the pending events, oldest first, in rounds of `limit`;
 * with `olderThanMs`, only those committed at least that long ago (the
 * scheduled sweep leaves the newest to the stream that carries them).
 * @returns how many it dispatched.
 */
export async function dispatchPending(
  deps: DispatchDependencies,
  options: { limit: number; olderThanMs?: number; maxRounds?: number }
): Promise<number> {
  let dispatched = 0;
  for (let round = 0; round < (options.maxRounds ?? 10); round += 1) {
    const pending = await deps.outbox.listPending({
      limit: options.limit,
      before:
        options.olderThanMs === undefined
          ? undefined
          : deps.now() - options.olderThanMs,
    });
    for (const event of pending) {
      await dispatchEvent(deps, event);
      dispatched += 1;
    }
    if (pending.length < options.limit) break;
  }
  return dispatched;
}

export function messageOf(delivery: WebhookDelivery): DeliveryMessage {
  return { webhookId: delivery.webhookId, deliveryId: delivery.id };
}

export interface DeliveryDependencies {
  readonly deliveries: DeliveryStore;
  readonly webhooks: Pick<WebhookStore, 'get'>;
  readonly sender: WebhookSender;
  readonly queue: DeliveryQueue;
  readonly policy: RetryPolicy;
  /** `STAGEGATE_ALLOW_HTTP_WEBHOOKS`: http and private hosts allowed. */
  readonly allowPrivateUrls: boolean;
  readonly now: () => number;
  readonly random?: () => number;
}

export type DeliveryOutcome =
  /** A 2xx answer. */
  | 'delivered'
  /** Failed in a way worth retrying; queued again with backoff. */
  | 'retrying'
  /** Gave up (refused, or out of attempts); dead-lettered. */
  | 'failed'
  /** The webhook is gone, disabled or no longer subscribed. */
  | 'cancelled'
  /** Not due yet: queued again for its time. */
  | 'deferred'
  /** Nothing to do: unknown, finished, or another attempt holds it. */
  | 'skipped';

/** A message received before its attempt's time is queued again. */
const EARLY_TOLERANCE_MS = 1_000;

/**
 * Makes one attempt of a queued delivery: claims it, sends it signed
 * (re-checking the URL, whose policy may have changed), and records the
 * attempt; a retryable failure queues it again after the backoff, and
 * the last one (or a permanent refusal) ends it FAILED, dead-lettered.
 * Throws only when the outcome could not be recorded or queued (the
 * message is then received again).
 */
export async function deliverMessage(
  deps: DeliveryDependencies,
  message: DeliveryMessage
): Promise<DeliveryOutcome> {
  const delivery = await deps.deliveries.get(
    message.webhookId,
    message.deliveryId
  );
  if (!delivery || isFinal(delivery.status)) return 'skipped';
  const start = deps.now();
  if (
    delivery.nextAttemptAt !== undefined &&
    delivery.nextAttemptAt > start + EARLY_TOLERANCE_MS
  ) {
    await deps.queue.enqueue([message], delivery.nextAttemptAt - start);
    return 'deferred';
  }
  // Long enough for the attempt and its bookkeeping; a worker that dies
  // holding it delays the message's next receipt by no more than this.
  const claimedUntil = start + deps.policy.timeoutMs + 30_000;
  if (!(await deps.deliveries.claim(delivery, start, claimedUntil))) {
    return 'skipped';
  }
  const webhook = await deps.webhooks.get(delivery.webhookId);
  const spec = webhook?.httpUrlSpec;
  const stillWanted =
    webhook !== undefined &&
    spec !== undefined &&
    (delivery.redeliveryOf === undefined
      ? webhook.status === 'ACTIVE' &&
        webhook.events.includes(delivery.eventType)
      : webhook.status !== 'DISABLED');
  if (!stillWanted || !spec) {
    await deps.deliveries.recordAttempt(delivery, claimedUntil, {
      status: 'CANCELLED',
      reason: webhook
        ? `The webhook is ${webhook.status} or no longer subscribed to ${delivery.eventType}.`
        : 'The webhook was deleted.',
      at: deps.now(),
    });
    return 'cancelled';
  }

  const number = delivery.attempts.length + 1;
  let statusCode: number | undefined;
  let error: string | undefined;
  let retryAfter: string | undefined;
  let permanent = false;
  const sentAt = deps.now();
  try {
    validateWebhookUrl(spec.url, deps.allowPrivateUrls);
    const response = await deps.sender.post({
      url: spec.url,
      body: delivery.body,
      headers: deliveryHeaders({
        messageId: delivery.messageId,
        body: delivery.body,
        at: sentAt,
        secret: spec.secret,
        authorization: spec.authorization,
      }),
      verifyTls: spec.enableSslVerification,
      timeoutMs: deps.policy.timeoutMs,
    });
    statusCode = response.statusCode;
    retryAfter = response.retryAfter;
  } catch (failure) {
    if (failure instanceof WebhookDeliveryError) {
      permanent = !failure.retryable;
    } else if (failure instanceof InvalidParameterValueError) {
      // The URL check: the webhook's address is not allowed (any more).
      permanent = true;
    } else {
      throw failure;
    }
    error = failure.message;
  }
  const finished = deps.now();
  const attempt: DeliveryAttempt = {
    attempt: number,
    at: sentAt,
    latencyMs: finished - sentAt,
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(error === undefined ? {} : { error }),
  };
  const kind = permanent ? 'permanent' : classifyResponse(statusCode);
  if (kind === 'delivered') {
    await deps.deliveries.recordAttempt(delivery, claimedUntil, {
      attempt,
      status: 'DELIVERED',
      at: finished,
    });
    return 'delivered';
  }
  if (kind === 'retryable' && number < deps.policy.maxAttempts) {
    const delay = backoffDelayMs(deps.policy, number, {
      random: deps.random,
      retryAfterMs: retryAfterMs(retryAfter, finished),
    });
    const recorded = await deps.deliveries.recordAttempt(
      delivery,
      claimedUntil,
      {
        attempt,
        status: 'PENDING',
        nextAttemptAt: finished + delay,
        at: finished,
      }
    );
    if (recorded) await deps.queue.enqueue([message], delay);
    return 'retrying';
  }
  const recorded = await deps.deliveries.recordAttempt(delivery, claimedUntil, {
    attempt,
    status: 'FAILED',
    reason:
      kind === 'permanent'
        ? statusCode === undefined
          ? `Not sent: ${error ?? 'refused'}`
          : `The receiver refused it with HTTP ${statusCode}.`
        : `Gave up after ${number} attempts.`,
    at: finished,
  });
  if (recorded) await deps.queue.deadLetter(message);
  return 'failed';
}
