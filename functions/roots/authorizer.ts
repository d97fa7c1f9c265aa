import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import {
  type AuthorizerDependencies,
  createAuthorizerHandler,
} from '#http/authorizer.ts';
import { defineRoot } from '#shared/root.ts';
import { authorizerCacheTtlFromEnv } from '#shared/settings.ts';
import { now } from '#shared/system.ts';

/**
 * The REQUEST authorizer: reads tokens by hash and principals by id, by
 * key; it writes nothing and queries no index.
 */
export const authorizerRoot = defineRoot({
  needs: { table: { access: 'read', indexes: [] } },
  wire: ({ table }): AuthorizerDependencies => ({
    identities: new DynamoDBIdentityStore(table),
    now,
    cacheTtlMs: authorizerCacheTtlFromEnv(),
  }),
  build: createAuthorizerHandler,
});
