import type {
  DeliveryAttempt,
  DeliveryStatus,
  WebhookDelivery,
} from '#domain/webhook-delivery.ts';
import type { DeliveryPage, DeliveryStore } from '#ports/delivery-store.ts';

interface Stored {
  delivery: WebhookDelivery;
  claimedUntil?: number | undefined;
}

function position(delivery: WebhookDelivery): string {
  return `${String(delivery.creationTimestamp).padStart(15, '0')}#${delivery.id}`;
}

/**
 * {@link DeliveryStore} in memory, with the DynamoDB adapter's semantics
 * (checked by the shared contract suite).
 */
export class MemoryDeliveryStore implements DeliveryStore {
  readonly #deliveries = new Map<string, Stored>();

  async create(deliveries: readonly WebhookDelivery[]): Promise<void> {
    for (const delivery of deliveries) {
      const key = `${delivery.webhookId}#${delivery.id}`;
      if (!this.#deliveries.has(key)) {
        this.#deliveries.set(key, { delivery: structuredClone(delivery) });
      }
    }
  }

  async get(
    webhookId: string,
    deliveryId: string
  ): Promise<WebhookDelivery | undefined> {
    const stored = this.#deliveries.get(`${webhookId}#${deliveryId}`);
    return stored ? structuredClone(stored.delivery) : undefined;
  }

  async claim(
    delivery: WebhookDelivery,
    now: number,
    until: number
  ): Promise<boolean> {
    const stored = this.#deliveries.get(`${delivery.webhookId}#${delivery.id}`);
    if (
      stored?.delivery.status !== 'PENDING' ||
      (stored.claimedUntil !== undefined && stored.claimedUntil >= now)
    ) {
      return false;
    }
    stored.claimedUntil = until;
    return true;
  }

  async recordAttempt(
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
    const stored = this.#deliveries.get(`${delivery.webhookId}#${delivery.id}`);
    if (!stored || stored.claimedUntil !== claimedUntil) return false;
    const { nextAttemptAt: _, ...rest } = stored.delivery;
    stored.delivery = {
      ...rest,
      status: outcome.status,
      lastUpdatedTimestamp: outcome.at,
      attempts: outcome.attempt
        ? [...stored.delivery.attempts, structuredClone(outcome.attempt)]
        : stored.delivery.attempts,
      ...(outcome.nextAttemptAt === undefined
        ? {}
        : { nextAttemptAt: outcome.nextAttemptAt }),
      ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
    };
    stored.claimedUntil = undefined;
    return true;
  }

  async list(
    webhookId: string,
    options: { limit: number; from?: string | undefined }
  ): Promise<DeliveryPage> {
    const matching = [...this.#deliveries.values()]
      .map((stored) => stored.delivery)
      .filter(
        (delivery) =>
          delivery.webhookId === webhookId &&
          (options.from === undefined || position(delivery) < options.from)
      )
      .sort((a, b) => (position(a) < position(b) ? 1 : -1));
    const page = matching.slice(0, options.limit);
    const last = page.at(-1);
    return {
      deliveries: page.map((delivery) => structuredClone(delivery)),
      ...(matching.length > options.limit && last
        ? { next: position(last) }
        : {}),
    };
  }
}
