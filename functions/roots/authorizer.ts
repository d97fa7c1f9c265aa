import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBIpAccessStore } from '#adapters/dynamodb/ip-access-store.ts';
import {
  type AuthorizerDependencies,
  createAuthorizerHandler,
} from '#http/authorizer.ts';
import { defineRoot } from '#shared/root.ts';
import { authorizerCacheTtlFromEnv } from '#shared/settings.ts';
import { now } from '#shared/system.ts';

/**
 * The REQUEST authorizer: reads the IP access lists, tokens by hash and
 * principals by id, by key (cached); verifies OAuth access tokens with the
 * signing key alone; writes nothing and queries no index.
 */
export const authorizerRoot = defineRoot({
  needs: { table: { access: 'read', indexes: [] }, oauthSigningKey: true },
  wire: ({ table, signingKeys }): AuthorizerDependencies => ({
    identities: new DynamoDBIdentityStore(table),
    ipAccess: new DynamoDBIpAccessStore(table),
    signingKeys,
    now,
    cacheTtlMs: authorizerCacheTtlFromEnv(),
  }),
  build: createAuthorizerHandler,
});
