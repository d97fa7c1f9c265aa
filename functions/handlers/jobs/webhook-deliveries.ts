import { webhookDeliveriesRoot } from '#roots/jobs/webhook-deliveries.ts';
import { webhookQueueFromEnv } from '#shared/aws/events.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(webhookDeliveriesRoot, {
  table: registryTableFromEnv,
  queue: webhookQueueFromEnv,
});
