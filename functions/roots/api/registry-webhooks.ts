import { DynamoDBDeliveryStore } from '#adapters/dynamodb/delivery-store.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBWebhookStore } from '#adapters/dynamodb/webhook-store.ts';
import { NodeWebhookSender } from '#adapters/http/webhook-sender.ts';
import type { WebhookDeliveryLogDependencies } from '#domain/registry/webhooks.ts';
import {
  createWebhookOperation,
  deleteWebhookOperation,
  listWebhookDeliveriesOperation,
  listWebhooksOperation,
  redeliverWebhookDeliveryOperation,
  testWebhookOperation,
  updateWebhookOperation,
} from '#handlers/api/registry-webhooks/webhooks.ts';
import { getOptionalStringFromEnv } from '#shared/config.ts';
import { newId, now } from '#shared/system.ts';
import {
  defineApiRoot,
  type GuardDependencies,
  registryTableNeed,
} from '../api-root.ts';

export type RegistryWebhooksDependencies = WebhookDeliveryLogDependencies &
  GuardDependencies;

/**
 * Registry webhooks (table) and the model grants their checks read, their
 * delivery logs (table) and redeliveries (queue); test deliveries go out
 * over the internet, which needs no grant.
 */
export const registryWebhooksRoot =
  defineApiRoot<RegistryWebhooksDependencies>()({
    group: 'registry-webhooks',
    needs: { table: registryTableNeed, webhookQueue: 'send' },
    operations: [
      createWebhookOperation,
      listWebhooksOperation,
      updateWebhookOperation,
      deleteWebhookOperation,
      testWebhookOperation,
      listWebhookDeliveriesOperation,
      redeliverWebhookDeliveryOperation,
    ],
    wire: ({ table, queue }) => {
      // Set by the local runtime only (its tests post to 127.0.0.1); on
      // Lambda webhooks are https to public addresses.
      const allowPrivateUrls =
        getOptionalStringFromEnv('STAGEGATE_ALLOW_HTTP_WEBHOOKS') === 'true';
      return {
        store: new DynamoDBModelRegistryStore(table),
        webhooks: new DynamoDBWebhookStore(table),
        deliveries: new DynamoDBDeliveryStore(table),
        queue,
        sender: new NodeWebhookSender({ allowPrivate: allowPrivateUrls }),
        now,
        newId,
        allowPrivateUrls,
        identities: new DynamoDBIdentityStore(table),
      };
    },
  });
