import {
  EventBridgeClient,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import type { BusEntry } from '#domain/events.ts';
import type { EventBus } from '#ports/event-bus.ts';

/** PutEvents takes at most 10 entries per call. */
const BATCH = 10;

/** {@link EventBus} on an EventBridge bus (`PutEvents`). */
export class EventBridgeBus implements EventBus {
  readonly #client: EventBridgeClient;
  readonly #busName: string;

  constructor(options: { busName: string; client?: EventBridgeClient }) {
    this.#busName = options.busName;
    this.#client = options.client ?? new EventBridgeClient({});
  }

  async publish(entries: readonly BusEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += BATCH) {
      const batch = entries.slice(start, start + BATCH);
      const result = await this.#client.send(
        new PutEventsCommand({
          Entries: batch.map((entry) => ({
            EventBusName: this.#busName,
            Source: entry.source,
            DetailType: entry.detailType,
            Time: new Date(entry.time),
            Detail: JSON.stringify(entry.detail),
          })),
        })
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        const failed = result.Entries?.find((e) => e.ErrorCode !== undefined);
        throw new Error(
          `EventBridge refused ${result.FailedEntryCount} entr(ies): ${failed?.ErrorCode ?? ''} ${failed?.ErrorMessage ?? ''}`
        );
      }
    }
  }
}
