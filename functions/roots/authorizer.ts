import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBIpAccessStore } from '#adapters/dynamodb/ip-access-store.ts';
import {
  type AuthorizerDependencies,
  createAuthorizerHandler,
} from '#http/authorizer.ts';
import { getOptionalStringFromEnv } from '#shared/config.ts';
import { defineRoot } from '#shared/root.ts';
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

/**
 * `AUTHORIZER_CACHE_TTL_SECONDS`, how long a resolved token is trusted.
 * @default 10 seconds
 * @throws Error at cold start for a value that is not a number ≥ 0.
 */
function authorizerCacheTtlFromEnv(): number {
  const raw = getOptionalStringFromEnv('AUTHORIZER_CACHE_TTL_SECONDS') ?? '10';
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(
      `AUTHORIZER_CACHE_TTL_SECONDS must be a number of seconds, got '${raw}'.`
    );
  }
  return seconds * 1000;
}
