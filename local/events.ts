import { AsyncResource } from 'node:async_hooks';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileDeliveryQueue } from '#adapters/queue/file-delivery-queue.ts';
import { invokeLocally } from './lambda/invocation.ts';
import { lambdaContext } from './lambda/server.ts';

/**
 * The local runtime's part of the event pipeline, in place of what AWS
 * runs (docs/architecture.md, decision 11): the dispatcher polled (and
 * woken after each change) where DynamoDB Streams trigger it, the durable
 * queue in the data directory consumed where SQS triggers the delivery
 * function, and a timer for the reminders where EventBridge schedules
 * them. The functions are the deployed ones, invoked in-process.
 */

/** Where the data directory keeps the queue and the event file. */
export function eventPaths(dataDir: string) {
  const queueDir = join(dataDir, 'webhook-queue');
  const eventsFile = join(dataDir, 'events.jsonl');
  return {
    queueDir,
    eventsFile,
    /** The variables the functions read (`needEnvironment`). */
    environment: {
      WEBHOOK_QUEUE_URL: pathToFileURL(queueDir).href,
      EVENT_BUS_NAME: pathToFileURL(eventsFile).href,
    },
  };
}

export interface EventLoops {
  /** Look at the outbox now (a change was just committed). */
  kick(): void;
  stop(): Promise<void>;
}

/**
 * Starts the dispatcher and delivery loops. `pause` (tests only) leaves
 * one stage idle, so a test can kill the process while an event waits
 * there: `dispatch` keeps events in the outbox, `delivery` keeps
 * deliveries in the queue.
 */
export function startEventLoops(options: {
  dataDir: string;
  pollMs: number;
  pause?: 'dispatch' | 'delivery' | undefined;
}): EventLoops {
  const queue = new FileDeliveryQueue(eventPaths(options.dataDir).queueDir);
  // Messages a killed process held are queued again (at least once).
  queue.recover();
  let stopped = false;
  const dispatcher = loop({
    name: 'event dispatcher',
    intervalMs: options.pollMs,
    paused: options.pause === 'dispatch',
    run: async () => {
      const module = await import('#handlers/jobs/event-dispatcher.ts');
      await invokeLocally(
        module.handler,
        { olderThanSeconds: 0 },
        lambdaContext('stagegate-event-dispatcher')
      );
    },
  });
  const deliveries = loop({
    name: 'webhook deliveries',
    intervalMs: options.pollMs,
    paused: options.pause === 'delivery',
    run: async () => {
      const module = await import('#handlers/jobs/webhook-deliveries.ts');
      for (;;) {
        const taken = queue.take(Date.now(), 10);
        if (taken.length === 0 || stopped) return;
        const result = await invokeLocally(
          module.handler,
          {
            Records: taken.map((message) => ({
              messageId: message.receipt,
              body: JSON.stringify(message.message),
            })),
          },
          lambdaContext('stagegate-webhook-deliveries')
        );
        const failed = new Set(
          result.batchItemFailures.map((failure) => failure.itemIdentifier)
        );
        for (const message of taken) {
          if (failed.has(message.receipt))
            queue.release(message.receipt, 1_000);
          else queue.ack(message.receipt);
        }
      }
    },
    nextDue: () => queue.nextDue(),
  });
  const unsubscribe = queue.onEnqueue(deliveries.kick);
  return {
    kick: dispatcher.kick,
    stop: async () => {
      stopped = true;
      unsubscribe();
      await Promise.all([dispatcher.stop(), deliveries.stop()]);
    },
  };
}

interface Loop {
  kick(): void;
  stop(): Promise<void>;
}

/**
 * Runs `run` at most once at a time: every `intervalMs`, when kicked, and
 * (with `nextDue`) when the earliest queued message falls due. A kick
 * during a run makes one more run right after it.
 */
function loop(options: {
  name: string;
  intervalMs: number;
  paused: boolean;
  run: () => Promise<void>;
  nextDue?: () => number | undefined;
}): Loop {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = options.paused;
  let timer: NodeJS.Timeout | undefined;
  // Kicks come from inside API calls; the runs they start are not part of
  // those calls (their async context, e.g. the round-trip counters).
  const outside = new AsyncResource(options.name);
  const schedule = () => {
    if (stopped) return;
    clearTimeout(timer);
    const due = options.nextDue?.();
    const wait =
      due === undefined
        ? options.intervalMs
        : Math.max(0, Math.min(options.intervalMs, due - Date.now()));
    timer = setTimeout(kick, wait);
    timer.unref();
  };
  const kick = () => outside.runInAsyncScope(start);
  const start = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = options
      .run()
      .catch((error: unknown) => console.error(`${options.name} failed`, error))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          kick();
        } else {
          schedule();
        }
      });
  };
  schedule();
  return {
    kick,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
