import {
  ConcurrentModificationError,
  ResourceAlreadyExistsError,
} from '#domain/errors.ts';
import { ADMINS_GROUP } from '#domain/permissions.ts';
import type {
  DirectoryGroup,
  DirectoryPrincipal,
  GroupRef,
  Principal,
  PrincipalKind,
} from '#domain/principal.ts';
import type {
  IdentityStore,
  NameNarrowing,
  NewDirectoryPrincipal,
  PrincipalChange,
  StoredPrincipal,
  StoredToken,
} from '#ports/identity-store.ts';
import { compareUtf8 } from './memory-model-registry-store.ts';

/**
 * A principal as the adapter's item holds it: a directory principal has
 * `memberOf` (group id → group name); one seeded with {@link
 * MemoryIdentityStore.putPrincipal} has `isAdmin` and `groups` instead, as
 * principals stored before the directory existed.
 */
interface PrincipalRecord {
  readonly id: string;
  readonly kind: PrincipalKind;
  readonly userName: string;
  displayName?: string;
  active?: boolean;
  memberOf?: Map<string, string>;
  readonly isAdmin?: boolean;
  readonly groups?: readonly string[];
}

interface GroupRecord {
  readonly id: string;
  displayName: string;
  readonly members: Set<string>;
  pendingName?: string;
}

/** One condition of a transaction, with what its failure means. */
interface Condition {
  readonly holds: boolean;
  readonly error?: () => Error;
}

/** The adapter's chunk size: one group plus 99 principals per transaction. */
const MEMBERS_PER_TRANSACTION = 99;

const KIND_NAME: Record<PrincipalKind, { noun: string; name: string }> = {
  user: { noun: 'A user', name: 'userName' },
  service_principal: { noun: 'A service principal', name: 'applicationId' },
};

/**
 * {@link IdentityStore} in memory, with the DynamoDB adapter's semantics
 * (checked by the shared store contract suite): case-insensitive name
 * guards, memberships on both sides changed together, each "transaction"
 * checking all its conditions before it writes anything, and the same
 * errors for the same failed conditions.
 *
 * Two helpers stand in for data the API cannot make: `putPrincipal` seeds
 * a principal as stored before the directory existed (any groups, any
 * admin flag), `deactivate` marks one inactive.
 */
export class MemoryIdentityStore implements IdentityStore {
  readonly #principals = new Map<string, PrincipalRecord>();
  /** `<kind>#<lower name>` → principal id. */
  readonly #principalNames = new Map<string, string>();
  readonly #groups = new Map<string, GroupRecord>();
  /** Lower-cased display name → group id. */
  readonly #groupNames = new Map<string, string>();
  readonly #tokensByHash = new Map<string, StoredToken>();

  /** Stores a principal as is: no name guard, no membership, no index. */
  async putPrincipal(principal: Principal): Promise<void> {
    this.#principals.set(principal.id, {
      id: principal.id,
      userName: principal.userName,
      kind: principal.kind,
      isAdmin: principal.isAdmin,
      groups: [...principal.groups],
    });
  }

  /** Marks a principal inactive, as a SCIM `active: false` would. */
  deactivate(id: string): void {
    const principal = this.#principals.get(id);
    if (principal) principal.active = false;
  }

  // --- Authentication

  async getPrincipal(id: string): Promise<StoredPrincipal | undefined> {
    const record = this.#principals.get(id);
    if (!record) return undefined;
    if (record.memberOf === undefined) {
      return {
        id: record.id,
        userName: record.userName,
        kind: record.kind,
        isAdmin: record.isAdmin ?? false,
        groups: [...(record.groups ?? [])],
        ...(record.active === false ? { active: false } : {}),
      };
    }
    const principal = directoryPrincipal(record);
    const groups = principal.groups.map((group) => group.displayName);
    return {
      id: principal.id,
      userName: principal.userName,
      kind: principal.kind,
      isAdmin: groups.includes(ADMINS_GROUP),
      groups,
      ...(principal.active ? {} : { active: false }),
    };
  }

  async getTokenByHash(tokenHash: string): Promise<StoredToken | undefined> {
    const token = this.#tokensByHash.get(tokenHash);
    return token ? { ...token } : undefined;
  }

  async ensureDirectoryMember(
    principal: Principal,
    groupName: string,
    newGroupId: string
  ): Promise<void> {
    const existing = this.#principals.get(principal.id);
    if (existing?.memberOf !== undefined) {
      existing.active = true;
    } else {
      const nameKey = principalNameKey(principal.kind, principal.userName);
      const owner = this.#principalNames.get(nameKey);
      this.#commit([{ holds: owner === undefined || owner === principal.id }]);
      this.#principals.set(principal.id, {
        id: principal.id,
        kind: principal.kind,
        userName: principal.userName,
        displayName: existing?.displayName ?? principal.userName,
        active: true,
        memberOf: new Map(),
      });
      this.#principalNames.set(nameKey, principal.id);
    }
    let group = await this.findGroupByName(groupName);
    if (!group) {
      await this.createGroup({ id: newGroupId, displayName: groupName });
      group = { id: newGroupId, displayName: groupName, memberIds: [] };
    }
    if (!group.memberIds.includes(principal.id)) {
      await this.addMembers(group, [principal.id]);
    }
  }

  // --- Tokens

  async createToken(token: StoredToken): Promise<void> {
    this.#commit([
      {
        holds: !this.#tokensByHash.has(token.tokenHash),
        error: tokenTaken,
      },
    ]);
    this.#tokensByHash.set(token.tokenHash, { ...token });
  }

  async createTokenForPrincipal(token: StoredToken): Promise<void> {
    const owner = this.#principals.get(token.principalId);
    this.#commit([
      {
        holds: !this.#tokensByHash.has(token.tokenHash),
        error: tokenTaken,
      },
      { holds: owner?.memberOf !== undefined && owner.active === true },
    ]);
    this.#tokensByHash.set(token.tokenHash, { ...token });
  }

  async putToken(token: StoredToken): Promise<void> {
    this.#tokensByHash.set(token.tokenHash, { ...token });
  }

  async listTokens(principalId: string): Promise<readonly StoredToken[]> {
    return (await this.listAllTokens()).filter(
      (token) => token.principalId === principalId
    );
  }

  async listAllTokens(): Promise<readonly StoredToken[]> {
    return [...this.#tokensByHash.values()]
      .sort((a, b) => compareUtf8(a.tokenId, b.tokenId))
      .map((token) => ({ ...token }));
  }

  async getTokenById(tokenId: string): Promise<StoredToken | undefined> {
    const token = this.#tokenWhere((t) => t.tokenId === tokenId);
    return token ? { ...token } : undefined;
  }

  async deleteToken(principalId: string, tokenId: string): Promise<boolean> {
    const token = this.#tokenWhere(
      (t) => t.principalId === principalId && t.tokenId === tokenId
    );
    return token ? this.#tokensByHash.delete(token.tokenHash) : false;
  }

  async deleteTokenById(tokenId: string): Promise<boolean> {
    const token = this.#tokenWhere((t) => t.tokenId === tokenId);
    return token ? this.#tokensByHash.delete(token.tokenHash) : false;
  }

  // --- Principals

  async getDirectoryPrincipal(
    id: string
  ): Promise<DirectoryPrincipal | undefined> {
    const record = this.#principals.get(id);
    return record ? directoryPrincipal(record) : undefined;
  }

  async getDirectoryPrincipals(
    ids: readonly string[]
  ): Promise<readonly DirectoryPrincipal[]> {
    return [...new Set(ids)].flatMap((id) => {
      const record = this.#principals.get(id);
      return record ? [directoryPrincipal(record)] : [];
    });
  }

  async findPrincipalByName(
    kind: PrincipalKind,
    userName: string
  ): Promise<DirectoryPrincipal | undefined> {
    const id = this.#principalNames.get(principalNameKey(kind, userName));
    const principal =
      id === undefined ? undefined : await this.getDirectoryPrincipal(id);
    return principal?.kind === kind ? principal : undefined;
  }

  async listDirectoryPrincipals(
    kind: PrincipalKind,
    narrowing?: NameNarrowing
  ): Promise<readonly DirectoryPrincipal[]> {
    // Only directory principals are in the adapter's index.
    return [...this.#principals.values()]
      .filter(
        (record) =>
          record.kind === kind &&
          record.memberOf !== undefined &&
          narrows(narrowing, record.userName)
      )
      .sort((a, b) =>
        compareUtf8(a.userName.toLowerCase(), b.userName.toLowerCase())
      )
      .map(directoryPrincipal);
  }

  async createPrincipal(principal: NewDirectoryPrincipal): Promise<void> {
    const nameKey = principalNameKey(principal.kind, principal.userName);
    const { noun, name } = KIND_NAME[principal.kind];
    this.#commit([
      { holds: !this.#principals.has(principal.id) },
      {
        holds: !this.#principalNames.has(nameKey),
        error: () =>
          new ResourceAlreadyExistsError(
            `${noun} with ${name} ${principal.userName} already exists.`
          ),
      },
      ...principal.groups.map((group) => this.#canJoin(group)),
    ]);
    this.#principals.set(principal.id, {
      id: principal.id,
      kind: principal.kind,
      userName: principal.userName,
      displayName: principal.displayName,
      active: principal.active,
      memberOf: new Map(
        principal.groups.map((group) => [group.id, group.displayName])
      ),
    });
    this.#principalNames.set(nameKey, principal.id);
    for (const group of principal.groups) {
      this.#groups.get(group.id)?.members.add(principal.id);
    }
  }

  async changePrincipal(id: string, change: PrincipalChange): Promise<void> {
    if (
      change.displayName === undefined &&
      change.active === undefined &&
      change.addGroups.length === 0 &&
      change.removeGroupIds.length === 0
    ) {
      return;
    }
    const record = this.#principals.get(id);
    this.#commit([
      { holds: record?.memberOf !== undefined },
      ...change.addGroups.map((group) => this.#canJoin(group)),
      ...change.removeGroupIds.map((groupId) =>
        this.#canLeave(
          groupId,
          1,
          change.keepNonEmptyGroupIds.includes(groupId)
        )
      ),
    ]);
    if (!record?.memberOf) return;
    if (change.displayName !== undefined) {
      record.displayName = change.displayName;
    }
    if (change.active !== undefined) record.active = change.active;
    for (const group of change.addGroups) {
      record.memberOf.set(group.id, group.displayName);
      this.#groups.get(group.id)?.members.add(id);
    }
    for (const groupId of change.removeGroupIds) {
      record.memberOf.delete(groupId);
      this.#groups.get(groupId)?.members.delete(id);
    }
  }

  async deletePrincipal(id: string): Promise<boolean> {
    const record = this.#principals.get(id);
    if (!record) return false;
    const nameKey = principalNameKey(record.kind, record.userName);
    const owner = this.#principalNames.get(nameKey);
    this.#commit([
      { holds: (record.memberOf?.size ?? 0) === 0 },
      { holds: owner === undefined || owner === id },
    ]);
    this.#principals.delete(id);
    if (owner === id) this.#principalNames.delete(nameKey);
    for (const token of await this.listTokens(id)) {
      this.#tokensByHash.delete(token.tokenHash);
    }
    return true;
  }

  // --- Groups

  async getGroup(id: string): Promise<DirectoryGroup | undefined> {
    const record = this.#groups.get(id);
    return record ? directoryGroup(record) : undefined;
  }

  async findGroupByName(
    displayName: string
  ): Promise<DirectoryGroup | undefined> {
    const id = this.#groupNames.get(displayName.toLowerCase());
    return id === undefined ? undefined : this.getGroup(id);
  }

  async listGroups(
    narrowing?: NameNarrowing
  ): Promise<readonly DirectoryGroup[]> {
    return [...this.#groups.values()]
      .filter((record) => narrows(narrowing, record.displayName))
      .sort(
        (a, b) =>
          compareUtf8(
            a.displayName.toLowerCase(),
            b.displayName.toLowerCase()
          ) || compareUtf8(a.id, b.id)
      )
      .map(directoryGroup);
  }

  async createGroup(group: GroupRef): Promise<void> {
    const nameKey = group.displayName.toLowerCase();
    this.#commit([
      { holds: !this.#groups.has(group.id) },
      {
        holds: !this.#groupNames.has(nameKey),
        error: () => groupNameTaken(group.displayName),
      },
    ]);
    this.#groups.set(group.id, {
      id: group.id,
      displayName: group.displayName,
      members: new Set(),
    });
    this.#groupNames.set(nameKey, group.id);
  }

  async addMembers(
    group: GroupRef,
    principalIds: readonly string[]
  ): Promise<void> {
    for (const chunk of chunks(principalIds, MEMBERS_PER_TRANSACTION)) {
      this.#commit([
        this.#canJoin(group),
        ...chunk.map((id) => ({
          holds: this.#principals.get(id)?.memberOf !== undefined,
        })),
      ]);
      for (const id of chunk) {
        this.#principals.get(id)?.memberOf?.set(group.id, group.displayName);
        this.#groups.get(group.id)?.members.add(id);
      }
    }
  }

  async removeMembers(
    groupId: string,
    principalIds: readonly string[],
    options: { readonly keepNonEmpty: boolean }
  ): Promise<void> {
    for (const chunk of chunks(principalIds, MEMBERS_PER_TRANSACTION)) {
      this.#commit([
        this.#canLeave(groupId, chunk.length, options.keepNonEmpty),
        ...chunk.map((id) => ({
          holds: this.#principals.get(id)?.memberOf !== undefined,
        })),
      ]);
      for (const id of chunk) {
        this.#principals.get(id)?.memberOf?.delete(groupId);
        this.#groups.get(groupId)?.members.delete(id);
      }
    }
  }

  async beginGroupRename(id: string, from: string, to: string): Promise<void> {
    const group = this.#groups.get(id);
    const sameGuard = from.toLowerCase() === to.toLowerCase();
    this.#commit([
      {
        holds: group?.displayName === from && group.pendingName === undefined,
      },
      ...(sameGuard
        ? []
        : [
            {
              holds: !this.#groupNames.has(to.toLowerCase()),
              error: () => groupNameTaken(to),
            },
          ]),
    ]);
    if (!group) return;
    group.pendingName = to;
    this.#groupNames.set(to.toLowerCase(), id);
  }

  async setMembersGroupName(
    id: string,
    displayName: string,
    memberIds: readonly string[]
  ): Promise<void> {
    for (const principalId of memberIds) {
      const memberOf = this.#principals.get(principalId)?.memberOf;
      if (memberOf?.has(id)) memberOf.set(id, displayName);
    }
  }

  async completeGroupRename(
    id: string,
    from: string,
    to: string
  ): Promise<void> {
    const group = this.#groups.get(id);
    const sameGuard = from.toLowerCase() === to.toLowerCase();
    this.#commit([
      { holds: group?.displayName === from && group.pendingName === to },
      ...(sameGuard
        ? []
        : [{ holds: this.#groupNames.get(from.toLowerCase()) === id }]),
    ]);
    if (!group) return;
    group.displayName = to;
    delete group.pendingName;
    if (!sameGuard) this.#groupNames.delete(from.toLowerCase());
  }

  async deleteGroup(id: string): Promise<boolean> {
    const group = this.#groups.get(id);
    if (!group) return false;
    const nameKey = group.displayName.toLowerCase();
    this.#commit([
      { holds: group.members.size === 0 && group.pendingName === undefined },
      { holds: this.#groupNames.get(nameKey) === id },
    ]);
    this.#groups.delete(id);
    this.#groupNames.delete(nameKey);
    return true;
  }

  /** The group's side of a join: it still has that name, mid-rename not. */
  #canJoin(group: GroupRef): Condition {
    const record = this.#groups.get(group.id);
    return {
      holds:
        record?.displayName === group.displayName &&
        record.pendingName === undefined,
    };
  }

  /** The group's side of a removal, keeping a member when asked to. */
  #canLeave(groupId: string, removed: number, keepNonEmpty: boolean) {
    const record = this.#groups.get(groupId);
    return {
      holds:
        record !== undefined &&
        (!keepNonEmpty || record.members.size > removed),
    };
  }

  #tokenWhere(
    predicate: (token: StoredToken) => boolean
  ): StoredToken | undefined {
    return [...this.#tokensByHash.values()]
      .sort((a, b) => compareUtf8(a.tokenId, b.tokenId))
      .find(predicate);
  }

  /**
   * Checks a transaction's conditions before anything is written, and
   * fails as the adapter's one translation does: the lowest failed
   * condition that names an error, else a stale picture.
   */
  #commit(conditions: readonly Condition[]): void {
    const failed = conditions.filter((condition) => !condition.holds);
    const named = failed.find((condition) => condition.error);
    if (named?.error) throw named.error();
    if (failed.length > 0) {
      throw new ConcurrentModificationError('A condition failed.');
    }
  }
}

function directoryPrincipal(record: PrincipalRecord): DirectoryPrincipal {
  return {
    id: record.id,
    kind: record.kind,
    userName: record.userName,
    displayName: record.displayName ?? record.userName,
    active: record.active !== false,
    groups: [...(record.memberOf ?? [])]
      .map(([id, displayName]) => ({ id, displayName }))
      .sort(
        (a, b) =>
          a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id)
      ),
  };
}

function directoryGroup(record: GroupRecord): DirectoryGroup {
  return {
    id: record.id,
    displayName: record.displayName,
    memberIds: [...record.members].sort(),
    ...(record.pendingName === undefined
      ? {}
      : { pendingDisplayName: record.pendingName }),
  };
}

function principalNameKey(kind: PrincipalKind, userName: string): string {
  return `${kind}#${userName.toLowerCase()}`;
}

/** The adapter narrows on the lower-cased name it sorts by. */
function narrows(narrowing: NameNarrowing | undefined, name: string) {
  if (!narrowing) return true;
  const value = narrowing.value.toLowerCase();
  const candidate = name.toLowerCase();
  return narrowing.operator === 'eq'
    ? candidate === value
    : candidate.startsWith(value);
}

function tokenTaken() {
  return new ResourceAlreadyExistsError('Token already exists.');
}

function groupNameTaken(displayName: string) {
  return new ResourceAlreadyExistsError(
    `Group with name ${displayName} already exists.`
  );
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    result.push(items.slice(start, start + size));
  }
  return result;
}
