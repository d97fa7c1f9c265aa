import type { BusEntry } from '#domain/events.ts';

/**
 * Where every registry event is published for platform teams (an
 * EventBridge bus on AWS, `events.jsonl` in the data directory locally).
 * At least once: an entry may be published twice (consumers dedupe on
 * `detail.event_id`).
 */
export interface EventBus {
  publish(entries: readonly BusEntry[]): Promise<void>;
}
