import { describeArtifactPurgeStoreContract } from '#test/store-contract/artifact-purge-store.contract.ts';
import { describeDeliveryStoreContract } from '#test/store-contract/delivery-store.contract.ts';
import { describeEmailLedgerContract } from '#test/store-contract/email-ledger.contract.ts';
import { describeIdentityStoreContract } from '#test/store-contract/identity-store.contract.ts';
import { describeIpAccessStoreContract } from '#test/store-contract/ip-access-store.contract.ts';
import { describeModelRegistryStoreContract } from '#test/store-contract/model-registry-store.contract.ts';
import { describeOAuthSecretStoreContract } from '#test/store-contract/oauth-secret-store.contract.ts';
import { describeTransitionRequestStoreContract } from '#test/store-contract/transition-request-store.contract.ts';
import { describeWebhookStoreContract } from '#test/store-contract/webhook-store.contract.ts';
import { MemoryDeliveryStore } from '#test/support/memory-delivery-store.ts';
import { MemoryEmailLedger } from '#test/support/memory-email-ledger.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';
import { MemoryIpAccessStore } from '#test/support/memory-ip-access-store.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';
import { MemoryOAuthSecretStore } from '#test/support/memory-oauth-secret-store.ts';
import { MemoryTransitionRequestStore } from '#test/support/memory-transition-request-store.ts';
import { MemoryWebhookStore } from '#test/support/memory-webhook-store.ts';

describeModelRegistryStoreContract(
  'in memory',
  async () => new MemoryModelRegistryStore()
);

describeIdentityStoreContract(
  'in memory',
  async () => new MemoryIdentityStore()
);

describeWebhookStoreContract('in memory', async () => new MemoryWebhookStore());

describeTransitionRequestStoreContract('in memory', async () => {
  const models = new MemoryModelRegistryStore();
  return {
    models,
    requests: new MemoryTransitionRequestStore(models),
    outbox: models.outbox,
  };
});

describeArtifactPurgeStoreContract('in memory', async () => {
  const registry = new MemoryModelRegistryStore();
  return { registry, purges: registry.purges };
});

describeIpAccessStoreContract(
  'in memory',
  async () => new MemoryIpAccessStore()
);

describeOAuthSecretStoreContract(
  'in memory',
  async () => new MemoryOAuthSecretStore()
);

describeDeliveryStoreContract(
  'in memory',
  async () => new MemoryDeliveryStore()
);

describeEmailLedgerContract('in memory', async () => new MemoryEmailLedger());
