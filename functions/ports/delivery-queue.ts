/** Which delivery a queued message stands for. */
export interface DeliveryMessage {
  readonly webhookId: string;
  readonly deliveryId: string;
}

/**
 * The queue of webhook deliveries (SQS on AWS, a durable queue in the
 * data directory locally). At least once: a message may come twice, and
 * the delivery record decides what is still to do.
 */
export interface DeliveryQueue {
  /**
   * Queues messages, each to be received no sooner than `delayMs` from now
   * (adapters may cap the delay; a message received early is deferred
   * again by its consumer).
   */
  enqueue(
    messages: readonly DeliveryMessage[],
    delayMs?: number
  ): Promise<void>;
  /** Puts a message whose delivery gave up on the dead-letter queue. */
  deadLetter(message: DeliveryMessage): Promise<void>;
}
