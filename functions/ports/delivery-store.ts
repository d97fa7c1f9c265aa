import type {
  DeliveryAttempt,
  DeliveryStatus,
  WebhookDelivery,
} from '#domain/webhook-delivery.ts';

export interface DeliveryPage {
  readonly deliveries: readonly WebhookDelivery[];
  /** Where the next (older) page starts, when there may be one. */
  readonly next?: string | undefined;
}

/**
 * The delivery log of each webhook: one record per delivery, with its
 * attempts. Only the holder of a delivery's claim (one attempt at a time)
 * records its outcome.
 */
export interface DeliveryStore {
  /**
   * Stores new PENDING deliveries; one already stored (the same message
   * dispatched again) is left as it is.
   */
  create(deliveries: readonly WebhookDelivery[]): Promise<void>;
  get(
    webhookId: string,
    deliveryId: string
  ): Promise<WebhookDelivery | undefined>;
  /**
   * Claims a PENDING delivery for one attempt until `until` (epoch ms),
   * unless another claim on it is still running.
   * @returns false when it is not PENDING or is claimed.
   */
  claim(
    delivery: WebhookDelivery,
    now: number,
    until: number
  ): Promise<boolean>;
  /**
   * Records an attempt under the claim taken until `claimedUntil`: the
   * delivery ends in `status`, or stays PENDING with its next attempt at
   * `nextAttemptAt`.
   * @returns false when the claim was lost (another attempt took over).
   */
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
  ): Promise<boolean>;
  /** A webhook's deliveries, newest first, `limit` at most, after `from`. */
  list(
    webhookId: string,
    options: { limit: number; from?: string | undefined }
  ): Promise<DeliveryPage>;
}
