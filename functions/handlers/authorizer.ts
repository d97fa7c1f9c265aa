import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEventV2,
  Context,
} from 'aws-lambda';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { UnauthenticatedError } from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import {
  authenticate,
  isExpired,
  type TokenDependencies,
} from '#domain/tokens.ts';
import {
  authorizerContextFor,
  unauthenticatedContext,
} from '#http/auth-context.ts';
import {
  principalPolicy,
  unauthenticatedPolicy,
} from '#http/authorizer-policy.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import { getOptionalStringFromEnv } from '#shared/config.ts';
import { logger, startInvocation } from '#shared/powertools.ts';

const deps: TokenDependencies = {
  identities: new DynamoDBIdentityStore(registryTableFromEnv()),
  now: () => Date.now(),
};

/**
 * How long a resolved token is trusted without a table read. This bounds
 * how late a revoked token stops working (README, "Tokens"); expiry itself
 * is checked on every request against the cached expiry time.
 * @default 10 seconds
 */
const CACHE_TTL_MS =
  Number(getOptionalStringFromEnv('AUTHORIZER_CACHE_TTL_SECONDS') ?? '10') *
  1000;

/** Entries are looked up by the token value itself, kept only in memory. */
const cache = new Map<
  string,
  { principal: Principal; expiryTime: number; cachedAt: number }
>();
const CACHE_MAX_ENTRIES = 10_000;

/**
 * Lambda REQUEST authorizer (HTTP API, payload 2.0, IAM policy responses).
 * Resolves `Authorization: Bearer <token>` (or Basic with the token as the
 * password, as MLflow's basic-auth clients send) to a principal.
 */
export async function handler(
  event: APIGatewayRequestAuthorizerEventV2,
  context?: Context
): Promise<APIGatewayAuthorizerResult> {
  startInvocation(context, {
    correlation_id: event.requestContext?.requestId,
  });
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
}

async function resolve(tokenValue: string): Promise<Principal> {
  const now = Date.now();
  const cached = cache.get(tokenValue);
  if (cached && now - cached.cachedAt < CACHE_TTL_MS) {
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

/**
 * `Bearer <token>` or `Basic <base64 of user:token>`, and nothing else: one
 * scheme (any case), spaces, one credential in token68 form (RFC 7235).
 * Anything after the credential makes the header unusable, so a proxy or
 * client that appends to it is refused rather than half-read.
 */
const AUTHORIZATION = /^([A-Za-z]+) +([A-Za-z0-9\-._~+/]+=*)$/;

function tokenFromHeader(header: string | undefined): string | undefined {
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
