import type { RegistryEvent } from '#domain/events.ts';
import type { OutboxStore } from '#ports/outbox-store.ts';

/**
 * {@link OutboxStore} in memory, with the DynamoDB adapter's semantics
 * (checked by the shared contract suite). The in-memory registry stores
 * write into it (`append`) in the same synchronous step as their change,
 * as the DynamoDB ones do in one transaction.
 */
export class MemoryOutboxStore implements OutboxStore {
  readonly #events = new Map<string, RegistryEvent>();
  readonly #dispatched = new Set<string>();

  /** Written by a store's change; an id already there is refused. */
  append(events: readonly RegistryEvent[] | undefined): void {
    for (const event of events ?? []) {
      if (this.#events.has(event.id)) {
        throw new Error(`ConditionalCheckFailed: event ${event.id} exists.`);
      }
    }
    for (const event of events ?? []) {
      this.#events.set(event.id, structuredClone(event));
    }
  }

  /** Every event written, in commit order (for assertions). */
  all(): RegistryEvent[] {
    return [...this.#events.values()].map((event) => structuredClone(event));
  }

  async listPending(options: {
    limit: number;
    before?: number | undefined;
  }): Promise<readonly RegistryEvent[]> {
    return [...this.#events.values()]
      .filter(
        (event) =>
          !this.#dispatched.has(event.id) &&
          (options.before === undefined || event.timestamp < options.before)
      )
      .sort(byPosition)
      .slice(0, options.limit)
      .map((event) => structuredClone(event));
  }

  async markDispatched(event: RegistryEvent): Promise<void> {
    if (this.#events.has(event.id)) this.#dispatched.add(event.id);
  }

  async listVersionEvents(
    modelId: string,
    version: number
  ): Promise<readonly RegistryEvent[]> {
    return [...this.#events.values()]
      .filter((event) => event.modelId === modelId && event.version === version)
      .sort(byPosition)
      .map((event) => structuredClone(event));
  }
}

function byPosition(a: RegistryEvent, b: RegistryEvent): number {
  return a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
