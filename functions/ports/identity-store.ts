import type {
  DirectoryGroup,
  DirectoryPrincipal,
  GroupRef,
  Principal,
  PrincipalKind,
} from '#domain/principal.ts';

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
 * A principal as authentication sees it. `active` is absent for an active
 * principal.
 */
export type StoredPrincipal = Principal & { readonly active?: boolean };

/** A principal as it is first stored. */
export interface NewDirectoryPrincipal {
  readonly id: string;
  readonly kind: PrincipalKind;
  /** A user's user name; a service principal's application id. */
  readonly userName: string;
  readonly displayName: string;
  readonly active: boolean;
  /** Groups it joins on creation, with their current display names. */
  readonly groups: readonly GroupRef[];
}

/** Everything one request changes on one principal, applied atomically. */
export interface PrincipalChange {
  readonly displayName?: string | undefined;
  readonly active?: boolean | undefined;
  /** Groups to join, with their current display names. */
  readonly addGroups: readonly GroupRef[];
  readonly removeGroupIds: readonly string[];
  /**
   * Groups (among `removeGroupIds`) that must keep at least one member:
   * the removal is conditioned on it, so two concurrent removals can never
   * empty the `admins` group.
   */
  readonly keepNonEmptyGroupIds: readonly string[];
}

/** What a store can narrow a listing by: its sort key, the lower-cased name. */
export interface NameNarrowing {
  readonly operator: 'eq' | 'sw';
  readonly value: string;
}

/**
 * The identity directory: users, service principals, groups and their
 * memberships, and the tokens that authenticate the principals.
 *
 * Invariants every implementation keeps:
 * - names are unique, case-insensitively: a user name among users, an
 *   application id among service principals, a display name among groups;
 * - membership is stored on both sides (the group lists member ids, the
 *   principal lists its groups' ids and names) and every change of it
 *   writes both sides in one transaction, so the two never disagree;
 * - a principal or group with memberships cannot be deleted: callers remove
 *   the memberships first;
 * - a token is stored under its hash, which is unique, and never outlives
 *   its principal as a usable credential.
 *
 * Conditions that fail because the data changed between the caller's read
 * and its write surface as `ConcurrentModificationError`: the directory use
 * cases re-read and retry. Name clashes surface as
 * `ResourceAlreadyExistsError`.
 */
export interface IdentityStore {
  // --- Authentication

  /**
   * The principal a token authenticates: `groups` are group names and
   * `isAdmin` means a member of `admins`. Strongly consistent.
   */
  getPrincipal(id: string): Promise<StoredPrincipal | undefined>;
  getTokenByHash(tokenHash: string): Promise<StoredToken | undefined>;

  /**
   * Makes sure `principal` exists as an active directory principal (created
   * when missing; an existing one keeps its profile and its other
   * memberships) and is a member of the group named `groupName`, which is
   * created with id `newGroupId` when missing. Idempotent; the bootstrap
   * admin's start-up step.
   */
  ensureDirectoryMember(
    principal: Principal,
    groupName: string,
    newGroupId: string
  ): Promise<void>;

  // --- Tokens

  /** @throws ResourceAlreadyExistsError when the hash is already stored. */
  createToken(token: StoredToken): Promise<void>;
  /**
   * Stores a token on condition that its principal exists and is active,
   * so a token cannot be issued to a principal being deleted.
   * @throws ResourceAlreadyExistsError when the hash is already stored.
   * @throws ConcurrentModificationError when the principal is gone or
   *   inactive.
   */
  createTokenForPrincipal(token: StoredToken): Promise<void>;
  /** Creates or replaces a token (bootstrap token rotation). */
  putToken(token: StoredToken): Promise<void>;
  /** One principal's tokens, in token-id order. */
  listTokens(principalId: string): Promise<readonly StoredToken[]>;
  /** Every token of every principal (token management), in token-id order. */
  listAllTokens(): Promise<readonly StoredToken[]>;
  /** A token by its id, whoever owns it. */
  getTokenById(tokenId: string): Promise<StoredToken | undefined>;
  /** @returns false when the principal has no token with that id. */
  deleteToken(principalId: string, tokenId: string): Promise<boolean>;
  /** @returns false when there is no token with that id. */
  deleteTokenById(tokenId: string): Promise<boolean>;

  // --- Principals

  /**
   * Strongly consistent. Principals stored before the directory existed
   * read as active, with their display name equal to their user name and
   * no groups.
   */
  getDirectoryPrincipal(id: string): Promise<DirectoryPrincipal | undefined>;
  /** Strongly consistent; unknown ids are left out, order is unspecified. */
  getDirectoryPrincipals(
    ids: readonly string[]
  ): Promise<readonly DirectoryPrincipal[]>;
  /** By user name (users) or application id (service principals), any case. */
  findPrincipalByName(
    kind: PrincipalKind,
    userName: string
  ): Promise<DirectoryPrincipal | undefined>;
  /**
   * Every principal of a kind in lower-cased name order, optionally only
   * those whose name (user name or application id) matches `narrowing`.
   * Reads an index, so a principal created a moment ago may be missing.
   */
  listDirectoryPrincipals(
    kind: PrincipalKind,
    narrowing?: NameNarrowing
  ): Promise<readonly DirectoryPrincipal[]>;
  /**
   * Creates the principal, its name guard and its initial memberships in
   * one transaction.
   * @throws ResourceAlreadyExistsError when the name is taken.
   * @throws ConcurrentModificationError when the id is taken or a group was
   *   renamed or deleted meanwhile.
   */
  createPrincipal(principal: NewDirectoryPrincipal): Promise<void>;
  /**
   * Applies one {@link PrincipalChange} in one transaction (at most 99
   * group changes).
   * @throws ConcurrentModificationError when the principal is gone, a group
   *   to join was renamed or deleted, or a guarded group would be emptied.
   */
  changePrincipal(id: string, change: PrincipalChange): Promise<void>;
  /**
   * Deletes a principal that belongs to no group, its name guard, then its
   * tokens (after the principal, so a token never outlives it as a usable
   * credential: authentication needs the principal).
   * @returns false when there was no such principal.
   * @throws ConcurrentModificationError when it still has memberships.
   */
  deletePrincipal(id: string): Promise<boolean>;

  // --- Groups

  getGroup(id: string): Promise<DirectoryGroup | undefined>;
  findGroupByName(displayName: string): Promise<DirectoryGroup | undefined>;
  /** Every group in lower-cased display-name order (an index read). */
  listGroups(narrowing?: NameNarrowing): Promise<readonly DirectoryGroup[]>;
  /**
   * Creates an empty group and its name guard.
   * @throws ResourceAlreadyExistsError when the display name is taken.
   * @throws ConcurrentModificationError when the id is taken.
   */
  createGroup(group: GroupRef): Promise<void>;
  /**
   * Adds principals to a group, both sides, in transactions of at most 99
   * principals each (each chunk atomic).
   * @throws ConcurrentModificationError when the group was renamed, is being
   *   renamed or is gone, or a principal is gone.
   */
  addMembers(group: GroupRef, principalIds: readonly string[]): Promise<void>;
  /**
   * Removes principals from a group, both sides, in chunks as
   * {@link addMembers}. With `keepNonEmpty`, each chunk is conditioned on
   * leaving at least one member.
   * @throws ConcurrentModificationError when that condition fails or a
   *   principal is gone.
   */
  removeMembers(
    groupId: string,
    principalIds: readonly string[],
    options: { readonly keepNonEmpty: boolean }
  ): Promise<void>;
  /**
   * Step 1 of a rename: reserves the new name and marks the group as being
   * renamed (which blocks new members until step 3). The old name stays
   * reserved until step 3, so no other group can take it while members
   * still carry it.
   * @throws ResourceAlreadyExistsError when `to` is taken.
   * @throws ConcurrentModificationError when the group changed meanwhile.
   */
  beginGroupRename(id: string, from: string, to: string): Promise<void>;
  /**
   * Step 2: writes the group's new name on each member. Members that left
   * meanwhile are skipped. Idempotent.
   */
  setMembersGroupName(
    id: string,
    displayName: string,
    memberIds: readonly string[]
  ): Promise<void>;
  /**
   * Step 3: the group takes its new name and releases the old one.
   * @throws ConcurrentModificationError when another caller completed it.
   */
  completeGroupRename(id: string, from: string, to: string): Promise<void>;
  /**
   * Deletes a group that has no members, and its name guard.
   * @returns false when there was no such group.
   * @throws ConcurrentModificationError when it has members or is being
   *   renamed.
   */
  deleteGroup(id: string): Promise<boolean>;
}
