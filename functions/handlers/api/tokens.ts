import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import type { TokenDependencies } from '#domain/tokens.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler } from '#http/api-handler.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import { createTokenOperation } from './tokens/create.ts';
import { deleteTokenOperation } from './tokens/delete.ts';
import { listTokensOperation } from './tokens/list.ts';

const identities = new DynamoDBIdentityStore(registryTableFromEnv());

const deps: TokenDependencies = {
  identities,
  now: () => Date.now(),
};

export const handler = createApiHandler({
  group: 'tokens',
  deps,
  guard: createRouteGuard({ identities }),
  operations: [createTokenOperation, listTokensOperation, deleteTokenOperation],
});
