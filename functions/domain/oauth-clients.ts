import type { IdentityStore } from '#ports/identity-store.ts';
import type { OAuthSecretStore } from '#ports/oauth-secret-store.ts';
import type { SigningKeys } from '#ports/signing-keys.ts';
import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
} from './errors.ts';
import {
  generateSecretValue,
  hashSecret,
  MAX_SECRET_LIFETIME_SECONDS,
  MAX_SECRETS_PER_PRINCIPAL,
  OAUTH_SCOPE,
  type ServicePrincipalSecret,
  signAccessToken,
} from './oauth.ts';

/** What managing a service principal's OAuth secrets needs. */
export interface OAuthSecretDependencies {
  readonly identities: Pick<IdentityStore, 'getDirectoryPrincipal'>;
  readonly secrets: OAuthSecretStore;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly newId: () => string;
}

/**
 * `lifetime` as Databricks takes it: a protobuf Duration in JSON
 * (`"3600s"`), or a number of seconds.
 * @throws InvalidParameterValueError
 */
export function parseSecretLifetime(value: unknown): number {
  if (value === undefined) return MAX_SECRET_LIFETIME_SECONDS;
  const text = String(value);
  const match = /^(\d+)(?:\.\d+)?s?$/.exec(text);
  const seconds = match ? Number(match[1]) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_SECRET_LIFETIME_SECONDS)) {
    throw new InvalidParameterValueError(
      `Invalid lifetime '${text.slice(0, 32)}': a duration such as "3600s", from 1s to ${MAX_SECRET_LIFETIME_SECONDS}s (730 days).`
    );
  }
  return seconds;
}

async function servicePrincipal(
  deps: Pick<OAuthSecretDependencies, 'identities'>,
  servicePrincipalId: string
) {
  const principal =
    await deps.identities.getDirectoryPrincipal(servicePrincipalId);
  if (principal?.kind !== 'service_principal') {
    throw new ResourceDoesNotExistError(
      `Service principal with id ${servicePrincipalId} not found.`
    );
  }
  return principal;
}

/**
 * A new OAuth secret for a service principal (by its SCIM id); its value
 * is in this answer only. At most {@link MAX_SECRETS_PER_PRINCIPAL} at once.
 */
export async function createServicePrincipalSecret(
  deps: OAuthSecretDependencies,
  servicePrincipalId: string,
  lifetime: unknown
): Promise<{ secret: string; info: ServicePrincipalSecret }> {
  const seconds = parseSecretLifetime(lifetime);
  const principal = await servicePrincipal(deps, servicePrincipalId);
  if (!principal.active) {
    throw new InvalidParameterValueError(
      `Service principal ${servicePrincipalId} is deactivated; it cannot be given a secret.`
    );
  }
  const held = await deps.secrets.listSecrets(principal.id);
  if (held.length >= MAX_SECRETS_PER_PRINCIPAL) {
    throw new InvalidParameterValueError(
      `Service principal ${servicePrincipalId} already has ${held.length} secrets, the most it may hold; delete one first.`
    );
  }
  const secret = generateSecretValue();
  const now = deps.now();
  const info: ServicePrincipalSecret = {
    id: deps.newId(),
    principalId: principal.id,
    secretHash: hashSecret(secret),
    status: 'ACTIVE',
    createTime: now,
    updateTime: now,
    expireTime: now + seconds * 1000,
  };
  await deps.secrets.createSecret(info);
  return { secret, info };
}

/** A service principal's secrets that have not expired, without values. */
export async function listServicePrincipalSecrets(
  deps: OAuthSecretDependencies,
  servicePrincipalId: string
): Promise<readonly ServicePrincipalSecret[]> {
  const principal = await servicePrincipal(deps, servicePrincipalId);
  const now = deps.now();
  return (await deps.secrets.listSecrets(principal.id)).filter(
    (secret) => secret.expireTime > now
  );
}

/**
 * Deletes a secret: no new access token is issued with it; those already
 * issued stay valid until they expire (an hour at most by default).
 */
export async function deleteServicePrincipalSecret(
  deps: OAuthSecretDependencies,
  servicePrincipalId: string,
  secretId: string
): Promise<void> {
  const principal = await servicePrincipal(deps, servicePrincipalId);
  if (!(await deps.secrets.deleteSecret(principal.id, secretId))) {
    throw new ResourceDoesNotExistError(
      `Secret ${secretId} of service principal ${servicePrincipalId} not found.`
    );
  }
}

/** An OAuth 2.0 error of the token endpoint (RFC 6749, section 5.2). */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly error:
    | 'invalid_request'
    | 'invalid_client'
    | 'unsupported_grant_type'
    | 'invalid_scope';

  constructor(error: OAuthError['error'], description: string) {
    super(description);
    this.error = error;
  }

  /** 401 for a client that failed to authenticate, 400 otherwise. */
  get status(): number {
    return this.error === 'invalid_client' ? 401 : 400;
  }
}

export interface AccessTokenDependencies {
  readonly identities: Pick<IdentityStore, 'findPrincipalByName'>;
  readonly secrets: Pick<OAuthSecretStore, 'getSecretByHash'>;
  readonly keys: Pick<SigningKeys, 'current'>;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** `OAUTH_TOKEN_LIFETIME_SECONDS`. */
  readonly tokenLifetimeSeconds: number;
}

export interface TokenRequest {
  readonly grantType: string | undefined;
  readonly scope: string | undefined;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  /** The registry's OIDC issuer (`<origin>/oidc`), named in the token. */
  readonly issuer: string;
}

/**
 * The client-credentials grant: a service principal's application id and
 * one of its OAuth secrets (not expired; the principal active) buy an
 * access token for the registry scope. Every failure of the client's own
 * credentials reads the same (`invalid_client`), so they cannot be probed.
 * @throws OAuthError
 */
export async function issueAccessToken(
  deps: AccessTokenDependencies,
  request: TokenRequest
): Promise<{ accessToken: string; expiresIn: number; scope: string }> {
  if (request.grantType !== 'client_credentials') {
    throw new OAuthError(
      request.grantType === undefined
        ? 'invalid_request'
        : 'unsupported_grant_type',
      'Only grant_type=client_credentials is supported.'
    );
  }
  const scopes = (request.scope ?? OAUTH_SCOPE).split(' ').filter(Boolean);
  if (scopes.some((scope) => scope !== OAUTH_SCOPE)) {
    throw new OAuthError(
      'invalid_scope',
      `The only scope is ${OAUTH_SCOPE}, the registry's API.`
    );
  }
  const refused = new OAuthError(
    'invalid_client',
    'Client authentication failed.'
  );
  if (!request.clientId || !request.clientSecret) throw refused;
  const now = deps.now();
  const [secret, principal] = await Promise.all([
    deps.secrets.getSecretByHash(hashSecret(request.clientSecret)),
    deps.identities.findPrincipalByName('service_principal', request.clientId),
  ]);
  if (
    !secret ||
    !principal ||
    secret.principalId !== principal.id ||
    secret.expireTime <= now ||
    !principal.active
  ) {
    throw refused;
  }
  const accessToken = signAccessToken(await deps.keys.current(), principal, {
    now,
    lifetimeSeconds: deps.tokenLifetimeSeconds,
    issuer: request.issuer,
  });
  return {
    accessToken,
    expiresIn: deps.tokenLifetimeSeconds,
    scope: OAUTH_SCOPE,
  };
}
