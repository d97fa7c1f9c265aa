import { appendFileSync } from 'node:fs';
import type { BusEntry } from '#domain/events.ts';
import type { EventBus } from '#ports/event-bus.ts';

/**
 * {@link EventBus} as a JSON-lines file (the local runtime's
 * `<data dir>/events.jsonl`): one line per entry, in the envelope
 * EventBridge delivers to its targets (`id`, `detail-type`, `source`,
 * `time`, `detail`), so a consumer reads both the same way.
 */
export class FileEventBus implements EventBus {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  async publish(entries: readonly BusEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const lines = entries.map((entry) =>
      JSON.stringify({
        version: '0',
        id: entry.detail.event_id,
        'detail-type': entry.detailType,
        source: entry.source,
        time: new Date(entry.time).toISOString(),
        resources: [],
        detail: entry.detail,
      })
    );
    appendFileSync(this.#path, `${lines.join('\n')}\n`, { mode: 0o600 });
  }
}
