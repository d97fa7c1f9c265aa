import {
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { UnauthenticatedError } from './errors.ts';
import type { Principal } from './principal.ts';

/**
 * OAuth machine-to-machine tokens for service principals, as Databricks
 * issues them (seed 002 recommends OAuth for automation): a service
 * principal holds OAuth secrets; the client-credentials grant at
 * `/oidc/v1/token` trades one for a short-lived access token, which the
 * authorizer verifies by its signature alone — no table read per request.
 *
 * Access tokens are JWTs signed with HMAC-SHA256 (`HS256`) under a key the
 * registry alone holds (Secrets Manager on AWS, the data directory
 * locally), named by `kid`: a rotation adds a key and keeps the previous
 * one for verification until the tokens it signed have expired. HS256
 * rather than a key pair because signer and verifier are the same party;
 * the token endpoint and the authorizer are the only readers of the key.
 */

/** The one scope: the registry's whole API (Databricks' `all-apis`). */
export const OAUTH_SCOPE = 'all-apis';
/** `aud` of every access token this registry issues, and accepts. */
export const ACCESS_TOKEN_AUDIENCE = 'stagegate-registry';
/** Databricks' default and largest secret lifetime: 730 days. */
export const MAX_SECRET_LIFETIME_SECONDS = 730 * 24 * 3600;
/** Secrets a service principal may hold at once (Databricks' limit). */
export const MAX_SECRETS_PER_PRINCIPAL = 5;
/** Clock skew tolerated on `iat`/`nbf`. */
const SKEW_SECONDS = 60;

/** A key that signs and verifies access tokens. */
export interface SigningKey {
  readonly kid: string;
  readonly secret: Uint8Array;
}

/** An OAuth secret of a service principal, as stored: only its hash. */
export interface ServicePrincipalSecret {
  readonly id: string;
  readonly principalId: string;
  /** SHA-256 (hex) of the secret; the value is shown once, at creation. */
  readonly secretHash: string;
  readonly status: 'ACTIVE';
  /** Epoch milliseconds. */
  readonly createTime: number;
  readonly updateTime: number;
  readonly expireTime: number;
}

/** What an access token says (its verified claims). */
export interface AccessTokenClaims {
  /** The service principal's id. */
  readonly sub: string;
  /** Its application id (what access control lists name it by). */
  readonly clientId: string;
  readonly scope: string;
  /** Epoch seconds. */
  readonly exp: number;
}

export function hashSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A new OAuth secret: `dose` + 64 hex digits (256 random bits). */
export function generateSecretValue(): string {
  return `dose${randomBytes(32).toString('hex')}`;
}

function base64url(value: string | Uint8Array): string {
  return Buffer.from(value).toString('base64url');
}

function sign(key: SigningKey, input: string): string {
  return createHmac('sha256', key.secret).update(input).digest('base64url');
}

/**
 * A signed access token for `principal`, valid `lifetimeSeconds` from `now`.
 */
export function signAccessToken(
  key: SigningKey,
  principal: Pick<Principal, 'id' | 'userName'>,
  options: { now: number; lifetimeSeconds: number; issuer: string }
): string {
  const iat = Math.floor(options.now / 1000);
  const header = base64url(
    JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: key.kid })
  );
  const payload = base64url(
    JSON.stringify({
      iss: options.issuer,
      aud: ACCESS_TOKEN_AUDIENCE,
      sub: principal.id,
      client_id: principal.userName,
      scope: OAUTH_SCOPE,
      iat,
      nbf: iat,
      exp: iat + options.lifetimeSeconds,
      jti: randomBytes(12).toString('hex'),
    })
  );
  return `${header}.${payload}.${sign(key, `${header}.${payload}`)}`;
}

/** Three base64url segments: a JWT, not a personal access token. */
export function looksLikeAccessToken(value: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value);
}

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(
      Buffer.from(segment, 'base64url').toString('utf8')
    );
    return typeof parsed === 'object' &&
      parsed !== null &&
      !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies an access token by its signature and claims alone: HS256 under
 * a known key, this registry's audience, the registry scope, and not
 * expired (nor issued in the future).
 * @throws UnauthenticatedError saying what is wrong (never the token).
 */
export async function verifyAccessToken(
  token: string,
  keys: { find(kid: string): Promise<SigningKey | undefined> },
  now: number
): Promise<AccessTokenClaims> {
  const invalid = (why: string) =>
    new UnauthenticatedError(`Invalid access token: ${why}.`);
  const [headerPart = '', payloadPart = '', signature = ''] = token.split('.');
  const header = decodeJson(headerPart);
  if (header?.alg !== 'HS256' || typeof header.kid !== 'string') {
    throw invalid('unsupported signing algorithm or key');
  }
  const key = await keys.find(header.kid);
  if (!key) throw invalid('signed with an unknown key');
  const expected = Buffer.from(sign(key, `${headerPart}.${payloadPart}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw invalid('bad signature');
  }
  const claims = decodeJson(payloadPart);
  if (!claims) throw invalid('unreadable claims');
  const seconds = Math.floor(now / 1000);
  const { sub, client_id: clientId, scope, exp, iat, aud } = claims;
  if (aud !== ACCESS_TOKEN_AUDIENCE)
    throw invalid('issued for another audience');
  if (typeof exp !== 'number' || exp <= seconds) {
    throw new UnauthenticatedError('Access token has expired.');
  }
  if (typeof iat === 'number' && iat > seconds + SKEW_SECONDS) {
    throw invalid('issued in the future');
  }
  if (
    typeof scope !== 'string' ||
    !scope.split(' ').includes(OAUTH_SCOPE) ||
    typeof sub !== 'string' ||
    sub === '' ||
    typeof clientId !== 'string'
  ) {
    throw invalid('missing claims');
  }
  return { sub, clientId, scope, exp };
}

/**
 * The principal an access token authenticates, as far as the token says:
 * a service principal by id and application id. Groups and admin rights
 * are read by the handler on every request, as for any token.
 */
export function principalOfClaims(claims: AccessTokenClaims): Principal {
  return {
    id: claims.sub,
    userName: claims.clientId,
    kind: 'service_principal',
    isAdmin: false,
    groups: [],
  };
}
