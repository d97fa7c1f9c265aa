import { createHash, randomBytes } from 'node:crypto';
import type { IdentityStore, StoredToken } from '#ports/identity-store.ts';
import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
  UnauthenticatedError,
} from './errors.ts';
import { limits } from './limits.ts';
import type { Principal } from './principal.ts';

/** Databricks-style personal access token: `dapi` + 32 hex characters. */
export function generateTokenValue(): string {
  return `dapi${randomBytes(16).toString('hex')}`;
}

/**
 * Tokens carry 128 random bits, so a fast hash is enough: there is nothing
 * to brute-force that a slow KDF would protect (unlike passwords).
 */
export function hashToken(tokenValue: string): string {
  return createHash('sha256').update(tokenValue, 'utf8').digest('hex');
}

export interface TokenDependencies {
  readonly identities: IdentityStore;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** The Databricks `token_info` shape's fields, without the secret value. */
export interface TokenInfo {
  readonly tokenId: string;
  readonly comment: string;
  readonly creationTime: number;
  readonly expiryTime: number;
}

export interface CreateTokenInput {
  readonly lifetimeSeconds?: number | undefined;
  readonly comment?: string | undefined;
}

export async function createToken(
  deps: TokenDependencies,
  owner: Principal,
  input: CreateTokenInput
): Promise<{ tokenValue: string; tokenInfo: TokenInfo }> {
  const comment = input.comment ?? '';
  if (comment.length > limits.tokenCommentLength) {
    throw new InvalidParameterValueError(
      `Token comment is longer than ${limits.tokenCommentLength} characters.`
    );
  }
  const lifetime = input.lifetimeSeconds;
  if (
    lifetime !== undefined &&
    lifetime > 0 &&
    lifetime > limits.tokenLifetimeSeconds
  ) {
    throw new InvalidParameterValueError(
      `lifetime_seconds must be at most ${limits.tokenLifetimeSeconds}.`
    );
  }
  const now = deps.now();
  const tokenValue = generateTokenValue();
  const token: StoredToken = {
    tokenId: randomBytes(16).toString('hex'),
    tokenHash: hashToken(tokenValue),
    principalId: owner.id,
    comment,
    creationTime: now,
    // Databricks: no lifetime, or a non-positive one, means no expiry.
    expiryTime:
      lifetime !== undefined && lifetime > 0 ? now + lifetime * 1000 : -1,
  };
  await deps.identities.createToken(token);
  return { tokenValue, tokenInfo: toTokenInfo(token) };
}

export async function listTokens(
  deps: TokenDependencies,
  owner: Principal
): Promise<readonly TokenInfo[]> {
  const now = deps.now();
  const tokens = await deps.identities.listTokens(owner.id);
  return tokens.filter((t) => !isExpired(t, now)).map(toTokenInfo);
}

export async function deleteToken(
  deps: TokenDependencies,
  owner: Principal,
  tokenId: string
): Promise<void> {
  const deleted = await deps.identities.deleteToken(owner.id, tokenId);
  if (!deleted) {
    throw new ResourceDoesNotExistError(`Token with id ${tokenId} not found.`);
  }
}

/**
 * Resolves a presented token to its principal.
 * @throws UnauthenticatedError for an unknown, expired or orphaned token.
 */
export async function authenticate(
  deps: TokenDependencies,
  tokenValue: string
): Promise<{ principal: Principal; expiryTime: number }> {
  const token = await deps.identities.getTokenByHash(hashToken(tokenValue));
  if (!token) throw new UnauthenticatedError('Invalid access token.');
  if (isExpired(token, deps.now())) {
    throw new UnauthenticatedError('Access token has expired.');
  }
  const principal = await deps.identities.getPrincipal(token.principalId);
  if (!principal) throw new UnauthenticatedError('Invalid access token.');
  return { principal, expiryTime: token.expiryTime };
}

export function isExpired(
  token: Pick<StoredToken, 'expiryTime'>,
  now: number
): boolean {
  return token.expiryTime !== -1 && token.expiryTime <= now;
}

function toTokenInfo(token: StoredToken): TokenInfo {
  return {
    tokenId: token.tokenId,
    comment: token.comment,
    creationTime: token.creationTime,
    expiryTime: token.expiryTime,
  };
}
