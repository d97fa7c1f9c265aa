import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBOAuthSecretStore } from '#adapters/dynamodb/oauth-secret-store.ts';
import {
  createServicePrincipalSecretOperation,
  deleteServicePrincipalSecretOperation,
  getOAuthAuthorizationServerOperation,
  issueOAuthTokenOperation,
  listServicePrincipalSecretsOperation,
  type OAuthDependencies,
} from '#handlers/api/oauth/operations.ts';
import { getOptionalStringFromEnv } from '#shared/config.ts';
import { newId, now } from '#shared/system.ts';
import {
  defineApiRoot,
  type GuardDependencies,
  registryTableNeed,
} from '../api-root.ts';

export type OAuthRootDependencies = OAuthDependencies & GuardDependencies;

/**
 * OAuth machine-to-machine: the service-principal secrets API (admins) and
 * the OIDC discovery and token endpoints the Databricks SDK's `oauth-m2m`
 * uses. The only function that signs access tokens.
 */
export const oauthRoot = defineApiRoot<OAuthRootDependencies>()({
  group: 'oauth',
  // Secrets by hash and by principal (GSI1), principals by name; the key
  // that signs access tokens.
  needs: { table: registryTableNeed, oauthSigningKey: true },
  operations: [
    getOAuthAuthorizationServerOperation,
    issueOAuthTokenOperation,
    createServicePrincipalSecretOperation,
    listServicePrincipalSecretsOperation,
    deleteServicePrincipalSecretOperation,
  ],
  wire: ({ table, signingKeys }) => {
    const identities = new DynamoDBIdentityStore(table);
    return {
      identities,
      secrets: new DynamoDBOAuthSecretStore(table),
      keys: signingKeys,
      now,
      newId,
      tokenLifetimeSeconds: oauthTokenLifetimeFromEnv(),
    };
  },
});

/**
 * `OAUTH_TOKEN_LIFETIME_SECONDS`: how long an access token lives, which
 * also bounds how long one outlives its deleted secret.
 * @default 3600 (Databricks' one hour)
 * @throws Error at cold start for a value out of 60…86400.
 */
function oauthTokenLifetimeFromEnv(): number {
  const raw =
    getOptionalStringFromEnv('OAUTH_TOKEN_LIFETIME_SECONDS') ?? '3600';
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > 86_400) {
    throw new Error(
      `OAUTH_TOKEN_LIFETIME_SECONDS must be a whole number of seconds from 60 to 86400, got '${raw}'.`
    );
  }
  return seconds;
}
