import type {
  DirectoryGroup,
  DirectoryPrincipal,
  GroupRef,
  PrincipalKind,
} from '#domain/principal.ts';
import type { NewDirectoryPrincipal } from '#ports/identity-store.ts';
import { keys } from './keys.ts';
import type { TransactItem, TransactItems } from './toolkit.ts';

/**
 * A principal item has one of two shapes:
 * - a directory principal (SCIM): `displayName`, `active` and `memberOf`,
 *   a map from group id to group name (the principal's side of each
 *   membership), and GSI1 keys that list it by kind and name;
 * - a principal stored before the directory existed (`isAdmin` and
 *   `groups` as given), which no group lists and no index holds.
 */
export interface PrincipalItem {
  id: string;
  userName: string;
  kind: PrincipalKind;
  displayName?: string;
  active?: boolean;
  memberOf?: Record<string, string>;
  isAdmin?: boolean;
  groups?: string[];
}

/** A group item; `members` is a string set of principal ids (absent: none). */
export interface GroupItem {
  id: string;
  displayName: string;
  members?: Set<string>;
  pendingName?: string;
}

export function principalItem(principal: NewDirectoryPrincipal) {
  return {
    ...keys.principal(principal.id),
    GSI1PK: keys.principalsOfKind(principal.kind),
    GSI1SK: principal.userName.toLowerCase(),
    entity: 'Principal',
    id: principal.id,
    kind: principal.kind,
    userName: principal.userName,
    displayName: principal.displayName,
    active: principal.active,
    memberOf: Object.fromEntries(
      principal.groups.map((group) => [group.id, group.displayName])
    ),
  };
}

export function principalNameItem(
  kind: PrincipalKind,
  userName: string,
  principalId: string
) {
  return {
    ...keys.principalName(kind, userName),
    entity: 'PrincipalName',
    principalId,
  };
}

export function directoryPrincipalFromItem(
  item: PrincipalItem
): DirectoryPrincipal {
  const memberOf = item.memberOf ?? {};
  return {
    id: item.id,
    kind: item.kind,
    userName: item.userName,
    displayName: item.displayName ?? item.userName,
    active: item.active !== false,
    groups: Object.entries(memberOf)
      .map(([id, displayName]) => ({ id, displayName }))
      .sort(
        (a, b) =>
          a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id)
      ),
  };
}

export function groupItem(group: GroupRef) {
  return {
    ...keys.group(group.id),
    GSI1PK: keys.groupsByName,
    GSI1SK: group.displayName.toLowerCase(),
    entity: 'Group',
    id: group.id,
    displayName: group.displayName,
  };
}

export function groupFromItem(item: GroupItem): DirectoryGroup {
  return {
    id: item.id,
    displayName: item.displayName,
    memberIds: [...(item.members ?? [])].sort(),
    ...(item.pendingName === undefined
      ? {}
      : { pendingDisplayName: item.pendingName }),
  };
}

/** A new group and its name guard; item 1 fails when the name is taken. */
export function groupCreateItems(
  tableName: string,
  group: GroupRef
): TransactItems {
  return [
    {
      Put: {
        TableName: tableName,
        Item: groupItem(group),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
    {
      Put: {
        TableName: tableName,
        Item: {
          ...keys.groupName(group.displayName),
          entity: 'GroupName',
          groupId: group.id,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
  ];
}

/**
 * The group's side of new memberships. The group must still carry the
 * name the members will store and must not be in the middle of a rename,
 * or the members would keep a name the group is leaving.
 */
export function groupJoinItem(
  tableName: string,
  group: GroupRef,
  principalIds: readonly string[]
): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: keys.group(group.id),
      UpdateExpression: 'ADD members :ids',
      ConditionExpression:
        'attribute_exists(PK) AND displayName = :name AND attribute_not_exists(pendingName)',
      ExpressionAttributeValues: {
        ':ids': new Set(principalIds),
        ':name': group.displayName,
      },
    },
  };
}

/**
 * The group's side of removed memberships; with `keepNonEmpty`, only if at
 * least one member remains even if every id removed was a member.
 */
export function groupLeaveItem(
  tableName: string,
  groupId: string,
  principalIds: readonly string[],
  keepNonEmpty: boolean
): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: keys.group(groupId),
      UpdateExpression: 'DELETE members :ids',
      ConditionExpression: keepNonEmpty
        ? 'attribute_exists(PK) AND size(members) > :removed'
        : 'attribute_exists(PK)',
      ExpressionAttributeValues: {
        ':ids': new Set(principalIds),
        ...(keepNonEmpty ? { ':removed': principalIds.length } : {}),
      },
    },
  };
}

/** Both sides of adding principals to a group. */
export function membershipAddItems(
  tableName: string,
  group: GroupRef,
  principalIds: readonly string[]
): TransactItems {
  return [
    groupJoinItem(tableName, group, principalIds),
    ...principalIds.map((principalId) => ({
      Update: {
        TableName: tableName,
        Key: keys.principal(principalId),
        UpdateExpression: 'SET memberOf.#group = :name',
        // Only directory principals (which have the map) can join; this
        // also refuses a principal deleted meanwhile instead of
        // recreating a stub item.
        ConditionExpression: 'attribute_exists(memberOf)',
        ExpressionAttributeNames: { '#group': group.id },
        ExpressionAttributeValues: { ':name': group.displayName },
      },
    })),
  ];
}

/** Both sides of removing principals from a group. */
export function membershipRemoveItems(
  tableName: string,
  groupId: string,
  principalIds: readonly string[],
  keepNonEmpty: boolean
): TransactItems {
  return [
    groupLeaveItem(tableName, groupId, principalIds, keepNonEmpty),
    ...principalIds.map((principalId) => ({
      Update: {
        TableName: tableName,
        Key: keys.principal(principalId),
        UpdateExpression: 'REMOVE memberOf.#group',
        ConditionExpression: 'attribute_exists(memberOf)',
        ExpressionAttributeNames: { '#group': groupId },
      },
    })),
  ];
}
