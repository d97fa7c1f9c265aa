import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBTransitionRequestStore } from '#adapters/dynamodb/transition-request-store.ts';
import {
  type ReminderDependencies,
  sendReminders,
} from '#domain/registry/reminders.ts';
import { observedHandler } from '#shared/invocation.ts';
import { logger } from '#shared/powertools.ts';
import { defineRoot } from '#shared/root.ts';
import { newId, now } from '#shared/system.ts';
import { registryTableNeed } from '../api-root.ts';

/**
 * Scheduled job (every 5 minutes on AWS, every minute locally): one
 * reminder per open request past its model's reminder age
 * (`sendReminders`), written to the outbox like every event.
 */
export const remindersRoot = defineRoot({
  // Reads the pending requests (GSI2), their models and settings; marks
  // the reminded ones and writes the reminders' events.
  needs: { table: registryTableNeed },
  wire: ({ table }): ReminderDependencies => ({
    requests: new DynamoDBTransitionRequestStore(table),
    store: new DynamoDBModelRegistryStore(table),
    now,
    newId,
  }),
  build: (deps: ReminderDependencies) =>
    observedHandler(async (_event: unknown): Promise<{ sent: number }> => {
      const sent = await sendReminders(deps);
      if (sent > 0) logger.info('Reminders sent', { sent });
      return { sent };
    }),
});
