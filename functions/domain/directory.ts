import { randomBytes, randomUUID } from 'node:crypto';
import type { IdentityStore, NameNarrowing } from '#ports/identity-store.ts';
import {
  ConcurrentModificationError,
  InvalidParameterValueError,
  ResourceDoesNotExistError,
} from './errors.ts';
import { limits } from './limits.ts';
import { ADMINS_GROUP, ALL_USERS_GROUP } from './permissions.ts';
import {
  BOOTSTRAP_ADMIN,
  type DirectoryGroup,
  type DirectoryPrincipal,
  type GroupRef,
  type Principal,
  type PrincipalKind,
} from './principal.ts';
import { withOptimisticRetry } from './retry.ts';

/**
 * The identity directory (Databricks' workspace SCIM API): users, service
 * principals, groups and memberships. Every principal is implicitly in
 * `users` (never stored); members of `admins` are workspace admins.
 */

/** A group with its members resolved, as the API shows it. */
export interface GroupView {
  readonly group: DirectoryGroup;
  readonly members: readonly DirectoryPrincipal[];
}

export interface DirectoryDependencies {
  readonly identities: IdentityStore;
  /** Waits between optimistic retries. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const directoryLimits = {
  nameLength: limits.principalNameLength,
  /** A transaction holds 100 items: the principal plus 99 groups. */
  membershipChangesPerRequest: 99,
} as const;

/**
 * A new principal or group id: 16 decimal digits, as Databricks' ids look.
 * Kept below 2^53 so that token management's numeric `owner_id` and
 * `created_by_id` survive JSON parsers that read numbers as doubles.
 */
export function newDirectoryId(): string {
  const span = 8_000_000_000_000_000n;
  const offset = randomBytes(8).readBigUInt64BE() % span;
  return String(1_000_000_000_000_000n + offset);
}

export function newApplicationId(): string {
  return randomUUID();
}

// ---------------------------------------------------------------------------
// Listings and changes, as the use cases take them (`http/scim-*.ts` reads
// them from SCIM requests)

export type FilterOperator = 'eq' | 'co' | 'sw';

/**
 * A listing's filter on one name. Comparisons ignore case: names are
 * unique regardless of case, and SCIM marks them `caseExact: false`.
 */
export interface NameFilter<Attribute extends string> {
  readonly attribute: Attribute;
  readonly operator: FilterOperator;
  readonly value: string;
}

/** `name` is a user's user name or a service principal's application id. */
export type PrincipalFilter = NameFilter<'name' | 'displayName'>;
export type GroupFilter = NameFilter<'displayName'>;

/** Which slice of a listing to return. */
export interface ListWindow {
  /** 1-based, at least 1. */
  readonly startIndex: number;
  /** At least 0. */
  readonly count: number;
}

export interface ListPage<T> {
  readonly totalResults: number;
  readonly startIndex: number;
  readonly items: readonly T[];
}

export interface PrincipalQuery {
  readonly filter?: PrincipalFilter | undefined;
  readonly window: ListWindow;
}

export interface GroupQuery {
  readonly filter?: GroupFilter | undefined;
  readonly window: ListWindow;
}

/** What a user or service principal PATCH asks for, net of its operations. */
export interface PrincipalPatch {
  readonly displayName?: string;
  readonly active?: boolean;
  readonly addGroupIds: readonly string[];
  readonly removeGroupIds: readonly string[];
}

/** What a group PATCH asks for, net of its operations. */
export interface GroupPatch {
  readonly displayName?: string;
  readonly addMemberIds: readonly string[];
  readonly removeMemberIds: readonly string[];
}

/** Whether a name passes a filter, ignoring case. */
export function filterMatches(
  filter: NameFilter<string>,
  actual: string
): boolean {
  const value = filter.value.toLowerCase();
  const candidate = actual.toLowerCase();
  switch (filter.operator) {
    case 'eq':
      return candidate === value;
    case 'co':
      return candidate.includes(value);
    case 'sw':
      return candidate.startsWith(value);
  }
}

/** The narrowing a store can apply when the filter is on its sort key. */
export function narrowingFor(
  filter: NameFilter<string> | undefined,
  sortAttribute: string
): NameNarrowing | undefined {
  if (!filter || filter.attribute !== sortAttribute) return undefined;
  if (filter.operator === 'co') return undefined;
  return { operator: filter.operator, value: filter.value };
}

export function pageOf<T>(
  items: readonly T[],
  window: ListWindow
): ListPage<T> {
  return {
    totalResults: items.length,
    startIndex: window.startIndex,
    items: items.slice(
      window.startIndex - 1,
      window.startIndex - 1 + window.count
    ),
  };
}

// ---------------------------------------------------------------------------
// Validation

const CONTROL_CHARACTERS = /\p{Cc}/u;
const UUID_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function validateName(value: string, what: string): string {
  const name = value.trim();
  if (name === '') {
    throw new InvalidParameterValueError(`${what} must not be empty.`);
  }
  if (name.length > directoryLimits.nameLength) {
    throw new InvalidParameterValueError(
      `${what} is longer than ${directoryLimits.nameLength} characters.`
    );
  }
  if (CONTROL_CHARACTERS.test(name)) {
    throw new InvalidParameterValueError(
      `${what} must not contain control characters.`
    );
  }
  return name;
}

/**
 * A group name. Commas are refused because the authorizer hands a
 * principal's groups to the handlers as one comma-joined string (API
 * Gateway's context holds flat values only); `users` is the implicit group
 * of every principal and cannot be created.
 */
export function validateGroupName(value: string): string {
  const name = validateName(value, 'Group displayName');
  if (name.includes(',')) {
    throw new InvalidParameterValueError(
      'Group displayName must not contain commas.'
    );
  }
  if (name.toLowerCase() === ALL_USERS_GROUP) {
    throw new InvalidParameterValueError(
      `'${ALL_USERS_GROUP}' is the implicit group of every principal; it cannot be created.`
    );
  }
  return name;
}

/** A service principal's application id: a UUID, stored lower-cased. */
export function validateApplicationId(value: string): string {
  const id = value.trim();
  if (!UUID_PATTERN.test(id)) {
    throw new InvalidParameterValueError(
      `applicationId must be a UUID, got '${value}'.`
    );
  }
  return id.toLowerCase();
}

// ---------------------------------------------------------------------------
// Use cases

/**
 * Runs a directory use case until it commits (see {@link withOptimisticRetry}).
 */
export function withDirectoryRetry<T>(
  deps: { readonly sleep?: (ms: number) => Promise<void> },
  attempt: () => Promise<T>
): Promise<T> {
  return withOptimisticRetry(deps, attempt, {
    maxAttempts: 20,
    what: 'the directory',
  });
}

const KIND_NOUN: Record<PrincipalKind, string> = {
  user: 'User',
  service_principal: 'Service principal',
};

/**
 * A principal of the given kind.
 * @throws ResourceDoesNotExistError when there is none (or it is of the
 *   other kind: `/Users/<id>` never shows a service principal).
 */
export async function getPrincipalOfKind(
  deps: DirectoryDependencies,
  kind: PrincipalKind,
  id: string
): Promise<DirectoryPrincipal> {
  const principal = await deps.identities.getDirectoryPrincipal(id);
  if (!principal || principal.kind !== kind) {
    throw new ResourceDoesNotExistError(`${KIND_NOUN[kind]} ${id} not found.`);
  }
  return principal;
}

/** The caller's own record (SCIM `Me`). */
export async function getMe(
  deps: DirectoryDependencies,
  caller: Principal
): Promise<DirectoryPrincipal> {
  const me = await deps.identities.getDirectoryPrincipal(caller.id);
  if (!me) {
    throw new ResourceDoesNotExistError(`Principal ${caller.id} not found.`);
  }
  return me;
}

export interface NewPrincipalInput {
  /** A user's user name; ignored for service principals. */
  readonly userName?: string | undefined;
  /** A service principal's application id; generated when absent. */
  readonly applicationId?: string | undefined;
  readonly displayName?: string | undefined;
  readonly active?: boolean | undefined;
  readonly groupIds?: readonly string[] | undefined;
}

/**
 * Creates a user or a service principal, with its initial groups, in one
 * transaction. The display name defaults to the name.
 * @throws ResourceAlreadyExistsError when the name is taken.
 * @throws ResourceDoesNotExistError for an unknown group.
 */
export async function createPrincipal(
  deps: DirectoryDependencies,
  kind: PrincipalKind,
  input: NewPrincipalInput
): Promise<DirectoryPrincipal> {
  const userName =
    kind === 'user'
      ? validateName(input.userName ?? '', 'userName')
      : validateApplicationId(input.applicationId ?? newApplicationId());
  const displayName =
    input.displayName === undefined
      ? userName
      : validateName(input.displayName, 'displayName');
  const groupIds = unique(input.groupIds ?? []);
  if (groupIds.length > directoryLimits.membershipChangesPerRequest) {
    throw tooManyMembershipChanges();
  }
  const id = await withDirectoryRetry(deps, async () => {
    const groups = await resolveGroups(deps, groupIds);
    const newId = newDirectoryId();
    await deps.identities.createPrincipal({
      id: newId,
      kind,
      userName,
      displayName,
      active: input.active ?? true,
      groups,
    });
    return newId;
  });
  return getPrincipalOfKind(deps, kind, id);
}

/** Users or service principals in name order, filtered, one page. */
export async function listPrincipals(
  deps: DirectoryDependencies,
  kind: PrincipalKind,
  query: PrincipalQuery
): Promise<ListPage<DirectoryPrincipal>> {
  const { filter } = query;
  const all = await deps.identities.listDirectoryPrincipals(
    kind,
    narrowingFor(filter, 'name')
  );
  const matching = filter
    ? all.filter((principal) =>
        filterMatches(
          filter,
          filter.attribute === 'displayName'
            ? principal.displayName
            : principal.userName
        )
      )
    : all;
  return pageOf(matching, query.window);
}

/**
 * Applies a PATCH to a user or service principal atomically: profile
 * changes and group changes in one transaction.
 * @throws InvalidParameterValueError when the bootstrap admin would be
 *   deactivated or the `admins` group would lose its last member.
 */
export async function patchPrincipal(
  deps: DirectoryDependencies,
  kind: PrincipalKind,
  id: string,
  patch: PrincipalPatch
): Promise<DirectoryPrincipal> {
  const displayName =
    patch.displayName === undefined
      ? undefined
      : validateName(patch.displayName, 'displayName');
  if (id === BOOTSTRAP_ADMIN.id && patch.active === false) {
    throw new InvalidParameterValueError(
      'The bootstrap admin cannot be deactivated.'
    );
  }
  await withDirectoryRetry(deps, async () => {
    const principal = await getPrincipalOfKind(deps, kind, id);
    const current = new Set(principal.groups.map((group) => group.id));
    const addIds = patch.addGroupIds.filter((g) => !current.has(g));
    const removeIds = patch.removeGroupIds.filter((g) => current.has(g));
    if (
      addIds.length + removeIds.length >
      directoryLimits.membershipChangesPerRequest
    ) {
      throw tooManyMembershipChanges();
    }
    if (
      addIds.length > 0 &&
      current.size + addIds.length - removeIds.length >
        limits.groupsPerPrincipal
    ) {
      throw tooManyGroups(id);
    }
    const addGroups = await resolveGroups(deps, addIds);
    const keepNonEmptyGroupIds = await adminsRemovalGuard(
      deps,
      principal.groups.filter((group) => removeIds.includes(group.id))
    );
    const changesProfile =
      (displayName !== undefined && displayName !== principal.displayName) ||
      (patch.active !== undefined && patch.active !== principal.active);
    if (!changesProfile && addIds.length === 0 && removeIds.length === 0) {
      return;
    }
    await deps.identities.changePrincipal(id, {
      displayName,
      active: patch.active,
      addGroups,
      removeGroupIds: removeIds,
      keepNonEmptyGroupIds,
    });
  });
  return getPrincipalOfKind(deps, kind, id);
}

/**
 * Deletes a user or service principal: leaves its groups, then deletes it
 * and its tokens.
 * @throws InvalidParameterValueError for the bootstrap admin, or the last
 *   member of `admins`.
 */
export async function deletePrincipal(
  deps: DirectoryDependencies,
  kind: PrincipalKind,
  id: string
): Promise<void> {
  if (id === BOOTSTRAP_ADMIN.id) {
    throw new InvalidParameterValueError(
      'The bootstrap admin cannot be deleted.'
    );
  }
  await withDirectoryRetry(deps, async () => {
    const principal = await getPrincipalOfKind(deps, kind, id);
    const keepNonEmptyGroupIds = await adminsRemovalGuard(
      deps,
      principal.groups
    );
    const chunk = directoryLimits.membershipChangesPerRequest;
    for (let start = 0; start < principal.groups.length; start += chunk) {
      const removeGroupIds = principal.groups
        .slice(start, start + chunk)
        .map((group) => group.id);
      await deps.identities.changePrincipal(id, {
        addGroups: [],
        removeGroupIds,
        keepNonEmptyGroupIds: keepNonEmptyGroupIds.filter((g) =>
          removeGroupIds.includes(g)
        ),
      });
    }
    if (!(await deps.identities.deletePrincipal(id))) {
      throw new ResourceDoesNotExistError(
        `${KIND_NOUN[kind]} ${id} not found.`
      );
    }
  });
}

/**
 * A group with its members.
 * @throws ResourceDoesNotExistError
 */
export async function getGroup(
  deps: DirectoryDependencies,
  id: string
): Promise<GroupView> {
  const group = await requireGroup(deps, id);
  const [view] = await withMembers(deps, [group]);
  return view ?? { group, members: [] };
}

/** Groups in display-name order, filtered, one page, with their members. */
export async function listGroups(
  deps: DirectoryDependencies,
  query: GroupQuery
): Promise<ListPage<GroupView>> {
  const { filter } = query;
  const all = await deps.identities.listGroups(
    narrowingFor(filter, 'displayName')
  );
  const matching = filter
    ? all.filter((group) => filterMatches(filter, group.displayName))
    : all;
  const page = pageOf(matching, query.window);
  return { ...page, items: await withMembers(deps, page.items) };
}

/**
 * Creates a group, then adds its members.
 * @throws ResourceAlreadyExistsError when the display name is taken.
 * @throws InvalidParameterValueError when a member is a group (nested
 *   groups are not supported).
 * @throws ResourceDoesNotExistError for an unknown member.
 */
export async function createGroup(
  deps: DirectoryDependencies,
  input: {
    readonly displayName: string;
    readonly memberIds?: readonly string[];
  }
): Promise<GroupView> {
  const displayName = validateGroupName(input.displayName);
  const memberIds = unique(input.memberIds ?? []);
  await resolveMembers(deps, memberIds);
  const id = await withDirectoryRetry(deps, async () => {
    const newId = newDirectoryId();
    await deps.identities.createGroup({ id: newId, displayName });
    return newId;
  });
  if (memberIds.length > 0) {
    await changeMembers(deps, id, {
      addMemberIds: memberIds,
      removeMemberIds: [],
    });
  }
  return getGroup(deps, id);
}

/**
 * Applies a group PATCH: a rename first (so new members get the final
 * name), then members added, then removed.
 * @throws InvalidParameterValueError when `admins` would be renamed or
 *   emptied, or a member is a group.
 */
export async function patchGroup(
  deps: DirectoryDependencies,
  id: string,
  patch: GroupPatch
): Promise<GroupView> {
  if (patch.displayName !== undefined) {
    await renameGroup(deps, id, patch.displayName);
  }
  if (patch.addMemberIds.length > 0 || patch.removeMemberIds.length > 0) {
    await changeMembers(deps, id, patch);
  } else {
    await requireGroup(deps, id);
  }
  return getGroup(deps, id);
}

/**
 * Deletes a group: its members leave it, then it goes.
 * @throws InvalidParameterValueError for `admins`.
 */
export async function deleteGroup(
  deps: DirectoryDependencies,
  id: string
): Promise<void> {
  await withDirectoryRetry(deps, async () => {
    let group = await requireGroup(deps, id);
    if (group.displayName === ADMINS_GROUP) {
      throw new InvalidParameterValueError(
        `The ${ADMINS_GROUP} group cannot be deleted.`
      );
    }
    if (group.pendingDisplayName !== undefined) {
      group = await finishRename(deps, group);
    }
    if (group.memberIds.length > 0) {
      await deps.identities.removeMembers(id, group.memberIds, {
        keepNonEmpty: false,
      });
    }
    if (!(await deps.identities.deleteGroup(id))) {
      throw new ResourceDoesNotExistError(`Group ${id} not found.`);
    }
  });
}

/**
 * Renames a group. Members carry their groups' names (permissions are
 * granted to group names), so a rename is three steps: reserve the new
 * name and block new members; write the new name on every member; switch
 * the group and release the old name. An interrupted rename is finished
 * by the next change of that group, and until then both names point to
 * this group, so no other group can inherit its members' grants.
 */
async function renameGroup(
  deps: DirectoryDependencies,
  id: string,
  newName: string
): Promise<void> {
  const to = validateGroupName(newName);
  await withDirectoryRetry(deps, async () => {
    let group = await requireGroup(deps, id);
    if (group.pendingDisplayName !== undefined) {
      group = await finishRename(deps, group);
    }
    if (group.displayName === to) return;
    if (group.displayName === ADMINS_GROUP) {
      throw new InvalidParameterValueError(
        `The ${ADMINS_GROUP} group cannot be renamed.`
      );
    }
    await deps.identities.beginGroupRename(id, group.displayName, to);
    await finishRename(deps, { ...group, pendingDisplayName: to });
  });
}

async function finishRename(
  deps: DirectoryDependencies,
  group: DirectoryGroup
): Promise<DirectoryGroup> {
  const to = group.pendingDisplayName;
  if (to === undefined) return group;
  // Members cannot join while the rename is pending, so this list is final.
  const fresh = await requireGroup(deps, group.id);
  await deps.identities.setMembersGroupName(group.id, to, fresh.memberIds);
  try {
    await deps.identities.completeGroupRename(group.id, fresh.displayName, to);
  } catch (error) {
    // Another request finished the same rename first.
    if (!(error instanceof ConcurrentModificationError)) throw error;
  }
  return requireGroup(deps, group.id);
}

async function changeMembers(
  deps: DirectoryDependencies,
  id: string,
  patch: Pick<GroupPatch, 'addMemberIds' | 'removeMemberIds'>
): Promise<void> {
  await withDirectoryRetry(deps, async () => {
    let group = await requireGroup(deps, id);
    if (group.pendingDisplayName !== undefined) {
      group = await finishRename(deps, group);
    }
    const current = new Set(group.memberIds);
    const addIds = patch.addMemberIds.filter((m) => !current.has(m));
    const removeIds = patch.removeMemberIds.filter((m) => current.has(m));
    if (
      addIds.length > 0 &&
      current.size + addIds.length - removeIds.length > limits.membersPerGroup
    ) {
      throw new InvalidParameterValueError(
        `Group ${id} would have ${current.size + addIds.length - removeIds.length} members; a group holds at most ${limits.membersPerGroup}.`
      );
    }
    const joining = await resolveMembers(deps, addIds);
    const full = joining.find(
      (principal) => principal.groups.length >= limits.groupsPerPrincipal
    );
    if (full) throw tooManyGroups(full.id);
    const isAdmins = group.displayName === ADMINS_GROUP;
    if (
      isAdmins &&
      removeIds.length > 0 &&
      current.size + addIds.length - removeIds.length < 1
    ) {
      throw lastAdminError();
    }
    if (addIds.length > 0) {
      await deps.identities.addMembers(
        { id, displayName: group.displayName },
        addIds
      );
    }
    if (removeIds.length > 0) {
      await deps.identities.removeMembers(id, removeIds, {
        keepNonEmpty: isAdmins,
      });
    }
  });
}

async function requireGroup(
  deps: DirectoryDependencies,
  id: string
): Promise<DirectoryGroup> {
  const group = await deps.identities.getGroup(id);
  if (!group) throw new ResourceDoesNotExistError(`Group ${id} not found.`);
  return group;
}

/**
 * The groups to join, with their current names; a group in the middle of
 * a rename has it finished first (it accepts no members until then).
 * @throws ResourceDoesNotExistError for an unknown group.
 */
async function resolveGroups(
  deps: DirectoryDependencies,
  ids: readonly string[]
): Promise<GroupRef[]> {
  const groups: GroupRef[] = [];
  for (const id of ids) {
    let group = await requireGroup(deps, id);
    if (group.pendingDisplayName !== undefined) {
      group = await finishRename(deps, group);
    }
    groups.push({ id: group.id, displayName: group.displayName });
  }
  return groups;
}

/**
 * Checks that every id names a principal.
 * @throws InvalidParameterValueError for a group id (no nested groups).
 * @throws ResourceDoesNotExistError for an unknown id.
 */
async function resolveMembers(
  deps: DirectoryDependencies,
  ids: readonly string[]
): Promise<readonly DirectoryPrincipal[]> {
  if (ids.length === 0) return [];
  const principals = await deps.identities.getDirectoryPrincipals(ids);
  const found = new Set(principals.map((p) => p.id));
  for (const id of ids) {
    if (found.has(id)) continue;
    if (await deps.identities.getGroup(id)) {
      throw new InvalidParameterValueError(
        `Member ${id} is a group: nested groups are not supported.`
      );
    }
    throw new ResourceDoesNotExistError(`Principal ${id} not found.`);
  }
  return principals;
}

/**
 * When a principal leaves `admins`, that group must keep a member: checked
 * here on a fresh read for a clear error, and returned so the store
 * conditions the removal on it against concurrent removals.
 */
async function adminsRemovalGuard(
  deps: DirectoryDependencies,
  leaving: readonly GroupRef[]
): Promise<string[]> {
  const admins = leaving.find((group) => group.displayName === ADMINS_GROUP);
  if (!admins) return [];
  const group = await requireGroup(deps, admins.id);
  if (group.memberIds.length <= 1) throw lastAdminError();
  return [admins.id];
}

async function withMembers(
  deps: DirectoryDependencies,
  groups: readonly DirectoryGroup[]
): Promise<GroupView[]> {
  const ids = unique(groups.flatMap((group) => group.memberIds));
  const principals = new Map(
    (await deps.identities.getDirectoryPrincipals(ids)).map((p) => [p.id, p])
  );
  return groups.map((group) => ({
    group,
    members: group.memberIds
      .flatMap((id) => principals.get(id) ?? [])
      .sort(
        (a, b) =>
          a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id)
      ),
  }));
}

function lastAdminError() {
  return new InvalidParameterValueError(
    `The ${ADMINS_GROUP} group must keep at least one member.`
  );
}

/** A principal's groups live on its item, with their names. */
function tooManyGroups(principalId: string) {
  return new InvalidParameterValueError(
    `Principal ${principalId} would be in more than ${limits.groupsPerPrincipal} groups, the most one principal can be in.`
  );
}

function tooManyMembershipChanges() {
  return new InvalidParameterValueError(
    `At most ${directoryLimits.membershipChangesPerRequest} group memberships can change in one request.`
  );
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}
