import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEventV2,
} from 'aws-lambda';
import { UnauthenticatedError } from '#domain/errors.ts';
import {
  blockedMessage,
  type IpAccessSettings,
  isAddressAllowed,
} from '#domain/ip-access.ts';
import {
  looksLikeAccessToken,
  principalOfClaims,
  verifyAccessToken,
} from '#domain/oauth.ts';
import type { Principal } from '#domain/principal.ts';
import {
  authenticate,
  isExpired,
  type TokenDependencies,
} from '#domain/tokens.ts';
import type { IpAccessStore } from '#ports/ip-access-store.ts';
import type { SigningKeys } from '#ports/signing-keys.ts';
import { observedHandler } from '#shared/invocation.ts';
import { logger } from '#shared/powertools.ts';
import {
  authorizerContextFor,
  blockedContext,
  unauthenticatedContext,
} from './auth-context.ts';
import { principalPolicy, unauthenticatedPolicy } from './authorizer-policy.ts';
import { routeKey, routes } from './routes.ts';

export interface AuthorizerDependencies extends TokenDependencies {
  /**
   * How long a resolved token is trusted without a table read. This bounds
   * how late a revoked token stops working (docs/users-and-tokens.md);
   * expiry itself is checked on every request against the cached expiry
   * time. The IP access lists are read as often (one item per instance).
   */
  readonly cacheTtlMs: number;
  /** The IP access lists, enforced before anything else. */
  readonly ipAccess: Pick<IpAccessStore, 'getIpAccess'>;
  /** Verify OAuth access tokens (no table read). */
  readonly signingKeys: Pick<SigningKeys, 'find'>;
}

/** Routes whose client authenticates to the operation (OAuth's). */
const CLIENT_ROUTES = new Set(
  routes.filter((route) => route.action === 'client').map(routeKey)
);

/** Entries are looked up by the token value itself, kept only in memory. */
const CACHE_MAX_ENTRIES = 10_000;

/**
 * Lambda REQUEST authorizer (HTTP API, payload 2.0, IAM policy responses).
 * Resolves `Authorization: Bearer <token>` (or Basic with the token as the
 * password, as MLflow's basic-auth clients send) to a principal. Its log
 * lines carry the API request's id as `correlation_id`, like the
 * function that serves the request.
 */
export function createAuthorizerHandler(deps: AuthorizerDependencies) {
  const cache = new Map<
    string,
    { principal: Principal; expiryTime: number; cachedAt: number }
  >();

  let ipSettings: { settings: IpAccessSettings; readAt: number } | undefined;

  /** The IP settings, read at most once per cache lifetime. */
  async function currentIpSettings(): Promise<IpAccessSettings> {
    const now = deps.now();
    if (ipSettings && now - ipSettings.readAt < deps.cacheTtlMs) {
      return ipSettings.settings;
    }
    const settings = await deps.ipAccess.getIpAccess();
    ipSettings = { settings, readAt: now };
    return settings;
  }

  async function resolve(tokenValue: string): Promise<Principal> {
    if (looksLikeAccessToken(tokenValue)) {
      const claims = await verifyAccessToken(
        tokenValue,
        deps.signingKeys,
        deps.now()
      );
      return { ...principalOfClaims(claims), viaOAuth: true };
    }
    const now = deps.now();
    const cached = cache.get(tokenValue);
    if (cached && now - cached.cachedAt < deps.cacheTtlMs) {
      if (isExpired(cached, now)) {
        cache.delete(tokenValue);
        throw new UnauthenticatedError('Access token has expired.');
      }
      return cached.principal;
    }
    const { principal, expiryTime } = await authenticate(deps, tokenValue);
    if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
    cache.set(tokenValue, { principal, expiryTime, cachedAt: now });
    return principal;
  }

  return observedHandler(
    async (
      event: APIGatewayRequestAuthorizerEventV2
    ): Promise<APIGatewayAuthorizerResult> => {
      // First, whatever the route and the credential: the IP access lists.
      const sourceIp = event.requestContext?.http?.sourceIp ?? '';
      if (!isAddressAllowed(await currentIpSettings(), sourceIp)) {
        return unauthenticatedPolicy(
          event.routeArn,
          blockedContext(blockedMessage(sourceIp))
        );
      }
      if (CLIENT_ROUTES.has(event.routeKey)) {
        // OAuth's endpoints: the client authenticates to the operation.
        return unauthenticatedPolicy(event.routeArn, {});
      }
      const tokenValue = tokenFromHeader(event.headers?.authorization);
      if (!tokenValue) {
        return unauthenticatedPolicy(
          event.routeArn,
          unauthenticatedContext(
            'Credential was not sent or was of an unsupported type for this API.'
          )
        );
      }
      try {
        const principal = await resolve(tokenValue);
        return principalPolicy(
          event.routeArn,
          principal,
          authorizerContextFor(principal)
        );
      } catch (error) {
        if (error instanceof UnauthenticatedError) {
          return unauthenticatedPolicy(
            event.routeArn,
            unauthenticatedContext(error.message)
          );
        }
        logger.error('Authorizer failed', error as Error);
        // API Gateway turns a thrown authorizer into 500; nothing is allowed.
        throw error;
      }
    },
    (event) => ({ correlation_id: event.requestContext?.requestId })
  );
}

/**
 * `Bearer <token>` or `Basic <base64 of user:token>`, and nothing else: one
 * scheme (any case), spaces, one credential in token68 form (RFC 7235).
 * Anything after the credential makes the header unusable, so a proxy or
 * client that appends to it is refused rather than half-read.
 */
const AUTHORIZATION = /^([A-Za-z]+) +([A-Za-z0-9\-._~+/]+=*)$/;

export function tokenFromHeader(
  header: string | undefined
): string | undefined {
  const [, scheme, credentials] =
    AUTHORIZATION.exec(header?.trim() ?? '') ?? [];
  if (!scheme || !credentials) return undefined;
  if (scheme.toLowerCase() === 'bearer') return credentials;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    return separator >= 0 ? decoded.slice(separator + 1) : undefined;
  }
  return undefined;
}
