import { remindersRoot } from '#roots/jobs/reminders.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(remindersRoot, {
  table: registryTableFromEnv,
});
