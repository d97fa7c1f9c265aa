import type { RegistryEvent } from '#domain/events.ts';

/**
 * The outbox: every registry event, written by the transaction of the
 * change it announces (the store methods that take `events`), read here
 * by the dispatcher. An event stays pending until dispatched, however
 * often dispatching is retried; dispatched events are kept a while for the
 * notification listing, then expire.
 */
export interface OutboxStore {
  /**
   * Events not dispatched yet, oldest first, at most `limit`; with
   * `before`, only those committed before that time (epoch ms).
   */
  listPending(options: {
    limit: number;
    before?: number | undefined;
  }): Promise<readonly RegistryEvent[]>;
  /** Takes a dispatched event out of the pending ones (idempotent). */
  markDispatched(event: RegistryEvent, at: number): Promise<void>;
  /**
   * The events of one version of a model, oldest first (eventually
   * consistent: an event may show a moment after its commit).
   */
  listVersionEvents(
    modelId: string,
    version: number
  ): Promise<readonly RegistryEvent[]>;
}
