import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import type { TokenManagementDependencies } from '#domain/tokens.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler } from '#http/api-handler.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import { createOboTokenOperation } from './token-management/create-obo.ts';
import { getTokenInfoOperation } from './token-management/get.ts';
import { listAllTokensOperation } from './token-management/list.ts';
import { revokeTokenOperation } from './token-management/revoke.ts';

const identities = new DynamoDBIdentityStore(registryTableFromEnv());
const deps: TokenManagementDependencies = {
  identities,
  now: () => Date.now(),
};

/** Databricks' token-management API, for workspace admins. */
export const handler = createApiHandler({
  group: 'token-management',
  deps,
  guard: createRouteGuard({ identities }),
  operations: [
    createOboTokenOperation,
    listAllTokensOperation,
    getTokenInfoOperation,
    revokeTokenOperation,
  ],
});
