import type { Principal } from '#domain/principal.ts';

/** A personal access or service-principal token, as stored: only its hash. */
export interface StoredToken {
  readonly tokenId: string;
  /** SHA-256 of the token value, hex. The value itself is never stored. */
  readonly tokenHash: string;
  readonly principalId: string;
  readonly comment: string;
  readonly creationTime: number;
  /** Epoch milliseconds; -1 means the token never expires (Databricks). */
  readonly expiryTime: number;
  /**
   * Who created it, when that is not its owner (an admin's on-behalf-of
   * token). Absent: the owner created it.
   */
  readonly createdById?: string;
  readonly createdByUsername?: string;
}

/**
 * A principal as stored. `active` is absent for an active principal, so
 * stores that predate deactivation need not know about it.
 */
export type StoredPrincipal = Principal & { readonly active?: boolean };

/** Principals and their tokens. */
export interface IdentityStore {
  /** `groups` are group names; `isAdmin` means a member of `admins`. */
  getPrincipal(id: string): Promise<StoredPrincipal | undefined>;
  /**
   * Creates or replaces a principal, as is: no name guard, no group
   * membership on the group side. For stores without a directory; the
   * directory's principals are written through `DirectoryStore`.
   */
  putPrincipal(principal: Principal): Promise<void>;
  /**
   * Makes sure `principal` exists as an active directory principal (created
   * when missing; an existing one keeps its profile and its other
   * memberships) and is a member of the group named `groupName`, which is
   * created with id `newGroupId` when missing. Idempotent; the bootstrap
   * admin's start-up step.
   *
   * Optional: a store without a directory (the in-memory fake) leaves it
   * out, and the bootstrap then falls back to `putPrincipal`.
   */
  ensureDirectoryMember?(
    principal: Principal,
    groupName: string,
    newGroupId: string
  ): Promise<void>;

  getTokenByHash(tokenHash: string): Promise<StoredToken | undefined>;
  /** @throws ResourceAlreadyExistsError when the hash is already stored. */
  createToken(token: StoredToken): Promise<void>;
  /** Creates or replaces a token (bootstrap token rotation). */
  putToken(token: StoredToken): Promise<void>;
  listTokens(principalId: string): Promise<readonly StoredToken[]>;
  /** @returns false when the principal has no token with that id. */
  deleteToken(principalId: string, tokenId: string): Promise<boolean>;
}
