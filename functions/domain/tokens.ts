import { createHash, randomBytes } from 'node:crypto';
import type { IdentityStore, StoredToken } from '#ports/identity-store.ts';
import { withDirectoryRetry } from './directory.ts';
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
  const { tokenValue, token } = newToken(deps.now(), owner.id, input);
  await deps.identities.createToken(token);
  return { tokenValue, tokenInfo: toTokenInfo(token) };
}

/**
 * Validates the input and mints a token for `ownerId`: the value (shown
 * once) and what is stored (its hash).
 * @throws InvalidParameterValueError for a too long comment, or a negative
 *   or too long lifetime.
 */
function newToken(
  now: number,
  ownerId: string,
  input: CreateTokenInput,
  createdBy?: Principal
): { tokenValue: string; token: StoredToken } {
  const comment = input.comment ?? '';
  if (comment.length > limits.tokenCommentLength) {
    throw new InvalidParameterValueError(
      `Token comment is longer than ${limits.tokenCommentLength} characters.`
    );
  }
  // Databricks documents only "no lifetime: the token never expires". Its
  // API is defined in proto3, where an int64 of 0 cannot be told from an
  // absent one (its Go SDK and Terraform omit a zero), so 0 means no expiry
  // as well. A negative lifetime has no meaning and is refused: it used to
  // make a token that never expires.
  const lifetime = input.lifetimeSeconds || undefined;
  if (lifetime !== undefined && lifetime < 0) {
    throw new InvalidParameterValueError(
      `lifetime_seconds must be a positive number of seconds, got ${lifetime}; omit it (or send 0) for a token that does not expire.`
    );
  }
  if (lifetime !== undefined && lifetime > limits.tokenLifetimeSeconds) {
    throw new InvalidParameterValueError(
      `lifetime_seconds must be at most ${limits.tokenLifetimeSeconds}.`
    );
  }
  const tokenValue = generateTokenValue();
  const token: StoredToken = {
    tokenId: randomBytes(16).toString('hex'),
    tokenHash: hashToken(tokenValue),
    principalId: ownerId,
    comment,
    creationTime: now,
    expiryTime: lifetime === undefined ? -1 : now + lifetime * 1000,
    ...(createdBy && createdBy.id !== ownerId
      ? { createdById: createdBy.id, createdByUsername: createdBy.userName }
      : {}),
  };
  return { tokenValue, token };
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
  const stored = await deps.identities.getPrincipal(token.principalId);
  if (!stored) throw new UnauthenticatedError('Invalid access token.');
  if (stored.active === false) {
    throw new UnauthenticatedError(
      'The principal of this access token is deactivated.'
    );
  }
  const { active: _active, ...principal } = stored;
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

// ---------------------------------------------------------------------------
// Token management (workspace admins, Databricks' token-management API)

/** What token management reads and writes of the directory. */
export type TokenDirectory = Pick<
  IdentityStore,
  | 'findPrincipalByName'
  | 'getDirectoryPrincipal'
  | 'getDirectoryPrincipals'
  | 'createTokenForPrincipal'
  | 'listAllTokens'
  | 'getTokenById'
  | 'deleteTokenById'
>;

export interface TokenManagementDependencies {
  readonly identities: TokenDirectory;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** Waits between optimistic retries. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Databricks' admin view of a token: who owns it and who created it. */
export interface ManagedTokenInfo extends TokenInfo {
  readonly ownerId: string;
  readonly createdById: string;
  /** Empty when the creator no longer exists. */
  readonly createdByUsername: string;
}

export interface OnBehalfOfTokenInput extends CreateTokenInput {
  /** Databricks: the service principal's application id. */
  readonly applicationId?: string | undefined;
  /**
   * stagegate extension: a user's user name. There is no interactive login
   * to mint a user's first token, so admins issue it here.
   */
  readonly userName?: string | undefined;
}

/**
 * Creates a token on behalf of a service principal (by application id,
 * as Databricks) or, as a stagegate extension, of a user (by user name).
 * @throws InvalidParameterValueError when both or neither target is
 *   given, when `application_id` names a user, or the target is inactive.
 * @throws ResourceDoesNotExistError when the target does not exist.
 */
export async function createOnBehalfOfToken(
  deps: TokenManagementDependencies,
  creator: Principal,
  input: OnBehalfOfTokenInput
): Promise<{ tokenValue: string; tokenInfo: ManagedTokenInfo }> {
  if ((input.applicationId === undefined) === (input.userName === undefined)) {
    throw new InvalidParameterValueError(
      "Give exactly one of 'application_id' (a service principal) or 'user_name' (a user; stagegate extension)."
    );
  }
  return withDirectoryRetry(deps, async () => {
    const owner =
      input.applicationId !== undefined
        ? await servicePrincipalForToken(deps.identities, input.applicationId)
        : await userForToken(deps.identities, input.userName ?? '');
    if (!owner.active) {
      throw new InvalidParameterValueError(
        `Principal ${owner.id} is deactivated; it cannot be given a token.`
      );
    }
    const { tokenValue, token } = newToken(
      deps.now(),
      owner.id,
      input,
      creator
    );
    // Conditioned on the owner being there and active; a lost race re-reads.
    await deps.identities.createTokenForPrincipal(token);
    return {
      tokenValue,
      tokenInfo: toManagedTokenInfo(token, creatorName(token, owner.userName)),
    };
  });
}

async function servicePrincipalForToken(
  identities: TokenDirectory,
  applicationId: string
) {
  const found = await identities.findPrincipalByName(
    'service_principal',
    applicationId
  );
  if (found) return found;
  const user =
    (await identities.findPrincipalByName('user', applicationId)) ??
    (await identities.getDirectoryPrincipal(applicationId));
  if (user?.kind === 'user') {
    throw new InvalidParameterValueError(
      `${applicationId} is a user, not a service principal: on-behalf-of tokens are for service principals (pass 'user_name' for a user's token, a stagegate extension).`
    );
  }
  if (user?.kind === 'service_principal') {
    throw new InvalidParameterValueError(
      `${applicationId} is a service principal's id: pass its applicationId (${user.userName}).`
    );
  }
  throw new ResourceDoesNotExistError(
    `Service principal with application id ${applicationId} not found.`
  );
}

async function userForToken(identities: TokenDirectory, userName: string) {
  const found = await identities.findPrincipalByName('user', userName);
  if (!found) {
    throw new ResourceDoesNotExistError(
      `User with user name ${userName} not found.`
    );
  }
  return found;
}

/**
 * Every live token of every principal, optionally only those created by
 * one principal (by id or user name; both must match when both are given).
 */
export async function listManagedTokens(
  deps: TokenManagementDependencies,
  filter: {
    readonly createdById?: string | undefined;
    readonly createdByUsername?: string | undefined;
  }
): Promise<readonly ManagedTokenInfo[]> {
  const now = deps.now();
  const tokens = (await deps.identities.listAllTokens()).filter(
    (token) => !isExpired(token, now)
  );
  const infos = await managedInfos(deps.identities, tokens);
  return infos.filter(
    (info) =>
      (filter.createdById === undefined ||
        info.createdById === filter.createdById) &&
      (filter.createdByUsername === undefined ||
        info.createdByUsername.toLowerCase() ===
          filter.createdByUsername.toLowerCase())
  );
}

/** @throws ResourceDoesNotExistError for an unknown or expired token. */
export async function getManagedToken(
  deps: TokenManagementDependencies,
  tokenId: string
): Promise<ManagedTokenInfo> {
  const token = await deps.identities.getTokenById(tokenId);
  if (!token || isExpired(token, deps.now())) {
    throw new ResourceDoesNotExistError(`Token with id ${tokenId} not found.`);
  }
  const [info] = await managedInfos(deps.identities, [token]);
  if (!info) {
    throw new ResourceDoesNotExistError(`Token with id ${tokenId} not found.`);
  }
  return info;
}

/**
 * Revokes any principal's token. It stops working within the
 * authorizer's cache lifetime.
 * @throws ResourceDoesNotExistError for an unknown token.
 */
export async function revokeManagedToken(
  deps: TokenManagementDependencies,
  tokenId: string
): Promise<void> {
  if (!(await deps.identities.deleteTokenById(tokenId))) {
    throw new ResourceDoesNotExistError(`Token with id ${tokenId} not found.`);
  }
}

/** Token infos with the creator's name (stored, or the owner's for PATs). */
async function managedInfos(
  identities: TokenDirectory,
  tokens: readonly StoredToken[]
): Promise<ManagedTokenInfo[]> {
  const ownerIds = [
    ...new Set(
      tokens
        .filter((t) => t.createdById === undefined)
        .map((t) => t.principalId)
    ),
  ];
  const owners = new Map(
    (await identities.getDirectoryPrincipals(ownerIds)).map((p) => [
      p.id,
      p.userName,
    ])
  );
  return tokens.map((token) =>
    toManagedTokenInfo(
      token,
      creatorName(token, owners.get(token.principalId) ?? '')
    )
  );
}

function creatorName(token: StoredToken, ownerName: string): string {
  return token.createdByUsername ?? ownerName;
}

function toManagedTokenInfo(
  token: StoredToken,
  createdByUsername: string
): ManagedTokenInfo {
  return {
    ...toTokenInfo(token),
    ownerId: token.principalId,
    createdById: token.createdById ?? token.principalId,
    createdByUsername,
  };
}
