import { eventDispatcherRoot } from '#roots/jobs/event-dispatcher.ts';
import { eventBusFromEnv, webhookQueueFromEnv } from '#shared/aws/events.ts';
import { slackSecretFromEnv } from '#shared/aws/slack.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(eventDispatcherRoot, {
  table: registryTableFromEnv,
  queue: webhookQueueFromEnv,
  bus: eventBusFromEnv,
  slackSecret: slackSecretFromEnv,
});
