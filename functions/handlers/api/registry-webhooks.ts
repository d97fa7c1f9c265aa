import { randomBytes } from 'node:crypto';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBWebhookStore } from '#adapters/dynamodb/webhook-store.ts';
import { NodeWebhookSender } from '#adapters/http/webhook-sender.ts';
import type { WebhookDependencies } from '#domain/registry/webhooks.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler } from '#http/api-handler.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import {
  createWebhookOperation,
  deleteWebhookOperation,
  listWebhooksOperation,
  testWebhookOperation,
  updateWebhookOperation,
} from './registry-webhooks/webhooks.ts';

const table = registryTableFromEnv();
// Set by the local runtime only (its tests post to 127.0.0.1); on Lambda
// webhooks are https to public addresses.
const allowPrivateUrls = process.env.STAGEGATE_ALLOW_HTTP_WEBHOOKS === 'true';
const store = new DynamoDBModelRegistryStore(table);

const deps: WebhookDependencies = {
  store,
  webhooks: new DynamoDBWebhookStore(table),
  sender: new NodeWebhookSender({ allowPrivate: allowPrivateUrls }),
  now: () => Date.now(),
  newId: () => randomBytes(16).toString('hex'),
  allowPrivateUrls,
};

export const handler = createApiHandler({
  group: 'registry-webhooks',
  deps,
  guard: createRouteGuard({
    identities: new DynamoDBIdentityStore(table),
    store,
  }),
  operations: [
    createWebhookOperation,
    listWebhooksOperation,
    updateWebhookOperation,
    deleteWebhookOperation,
    testWebhookOperation,
  ],
});
