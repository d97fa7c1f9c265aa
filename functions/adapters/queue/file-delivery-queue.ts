import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { DeliveryMessage, DeliveryQueue } from '#ports/delivery-queue.ts';

/** A message taken from the queue, to acknowledge or release. */
export interface ReceivedMessage {
  /** Identifies the taken message (its file in `inflight/`). */
  readonly receipt: string;
  readonly message: DeliveryMessage;
}

const listeners = new Map<string, Set<() => void>>();

/**
 * {@link DeliveryQueue} in a directory, the local runtime's SQS: each
 * message a file in `ready/` named by when it is due, moved to
 * `inflight/` while a consumer holds it and deleted once done; `dead/` is
 * the dead-letter queue. A message file is written whole under a
 * temporary name and renamed into place, so a process killed at any
 * instant leaves every message either queued or not; `recover()` puts
 * the ones a killed consumer held back in `ready/` (at least once, like
 * SQS after a visibility timeout).
 */
export class FileDeliveryQueue implements DeliveryQueue {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    for (const sub of ['ready', 'inflight', 'dead', 'tmp']) {
      mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
    }
  }

  async enqueue(
    messages: readonly DeliveryMessage[],
    delayMs = 0
  ): Promise<void> {
    const due = Date.now() + Math.max(0, delayMs);
    for (const message of messages) {
      this.#write('ready', `${String(due).padStart(15, '0')}-${id()}`, message);
    }
    for (const wake of listeners.get(this.#dir) ?? []) wake();
  }

  async deadLetter(message: DeliveryMessage): Promise<void> {
    this.#write(
      'dead',
      `${String(Date.now()).padStart(15, '0')}-${id()}`,
      message
    );
  }

  /**
   * Takes up to `max` messages due by `now`, earliest first, into
   * `inflight/`.
   */
  take(now: number, max: number): ReceivedMessage[] {
    const taken: ReceivedMessage[] = [];
    for (const name of this.#names('ready')) {
      if (taken.length >= max || dueOf(name) > now) break;
      try {
        renameSync(
          join(this.#dir, 'ready', name),
          join(this.#dir, 'inflight', name)
        );
      } catch {
        continue; // taken by another consumer
      }
      taken.push({ receipt: name, message: this.#read('inflight', name) });
    }
    return taken;
  }

  /** Done with a taken message: it is gone. */
  ack(receipt: string): void {
    rmSync(join(this.#dir, 'inflight', receipt), { force: true });
  }

  /** A taken message goes back, due again in `delayMs`. */
  release(receipt: string, delayMs: number): void {
    const due = Date.now() + delayMs;
    renameSync(
      join(this.#dir, 'inflight', receipt),
      join(this.#dir, 'ready', `${String(due).padStart(15, '0')}-${id()}`)
    );
  }

  /** Messages a killed consumer held are queued again, due now. */
  recover(): number {
    const held = this.#names('inflight');
    for (const name of held) {
      renameSync(
        join(this.#dir, 'inflight', name),
        join(this.#dir, 'ready', name)
      );
    }
    return held.length;
  }

  /** When the earliest queued message is due (epoch ms), if any. */
  nextDue(): number | undefined {
    const [first] = this.#names('ready');
    return first === undefined ? undefined : dueOf(first);
  }

  /** The dead-lettered messages, oldest first. */
  deadLetters(): DeliveryMessage[] {
    return this.#names('dead').map((name) => this.#read('dead', name));
  }

  /** Calls `wake` whenever this process queues a message here. */
  onEnqueue(wake: () => void): () => void {
    const set = listeners.get(this.#dir) ?? new Set();
    set.add(wake);
    listeners.set(this.#dir, set);
    return () => set.delete(wake);
  }

  #names(sub: string): string[] {
    return readdirSync(join(this.#dir, sub))
      .filter((name) => /^\d{15}-[0-9a-f]+$/.test(name))
      .sort();
  }

  #read(sub: string, name: string): DeliveryMessage {
    const parsed = JSON.parse(readFileSync(join(this.#dir, sub, name), 'utf8'));
    return {
      webhookId: String(parsed.webhookId),
      deliveryId: String(parsed.deliveryId),
    };
  }

  #write(sub: string, name: string, message: DeliveryMessage): void {
    const temporary = join(this.#dir, 'tmp', name);
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(
        fd,
        JSON.stringify({
          webhookId: message.webhookId,
          deliveryId: message.deliveryId,
        })
      );
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, join(this.#dir, sub, name));
  }
}

function dueOf(name: string): number {
  return Number(name.slice(0, 15));
}

function id(): string {
  return randomBytes(8).toString('hex');
}
