import { registryWebhooksRoot } from '#roots/api/registry-webhooks.ts';
import { webhookQueueFromEnv } from '#shared/aws/events.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(registryWebhooksRoot, {
  table: registryTableFromEnv,
  queue: webhookQueueFromEnv,
});
