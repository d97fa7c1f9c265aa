import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  DirectoryGroup,
  DirectoryPrincipal,
  GroupRef,
} from '#domain/directory.ts';
import {
  ConcurrentModificationError,
  ResourceAlreadyExistsError,
} from '#domain/errors.ts';
import { ADMINS_GROUP } from '#domain/permissions.ts';
import type { Principal, PrincipalKind } from '#domain/principal.ts';
import type { NewDirectoryPrincipal } from '#ports/directory-store.ts';
import type {
  IdentityStore,
  StoredPrincipal,
  StoredToken,
} from '#ports/identity-store.ts';
import { keys } from './keys.ts';

/**
 * A principal item has one of two shapes:
 * - a directory principal (SCIM): `displayName`, `active` and `memberOf`,
 *   a map from group id to group name (the principal's side of each
 *   membership), and GSI1 keys that list it by kind and name;
 * - a principal written by `putPrincipal` (the in-memory shape: `isAdmin`
 *   and `groups` as given), which no group lists.
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

export interface TokenItem {
  PK: string;
  SK: string;
  GSI1PK: string;
  GSI1SK: string;
  /** Absent on tokens stored before token management existed. */
  GSI2PK?: string;
  GSI2SK?: string;
  entity: 'Token';
  tokenId: string;
  tokenHash: string;
  principalId: string;
  comment: string;
  creationTime: number;
  expiryTime: number;
  createdById?: string;
  createdByUsername?: string;
  /** TTL (epoch seconds): DynamoDB sweeps expired tokens eventually. */
  expiresAt?: number;
}

/**
 * Grace before DynamoDB's TTL sweep removes an expired token. The
 * authorizer refuses expired tokens itself; the sweep only tidies up.
 */
const EXPIRED_TOKEN_RETENTION_SECONDS = 24 * 3600;

/** {@link IdentityStore} on the registry's DynamoDB table. */
export class DynamoDBIdentityStore implements IdentityStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async getPrincipal(id: string): Promise<StoredPrincipal | undefined> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.principal(id),
        ConsistentRead: true,
      })
    );
    if (!result.Item) return undefined;
    const item = result.Item as PrincipalItem;
    if (item.memberOf === undefined) {
      return {
        id: item.id,
        userName: item.userName,
        kind: item.kind,
        isAdmin: item.isAdmin ?? false,
        groups: item.groups ?? [],
        ...(item.active === false ? { active: false } : {}),
      };
    }
    const principal = directoryPrincipalFromItem(item);
    const groups = principal.groups.map((group) => group.displayName);
    return {
      id: principal.id,
      userName: principal.userName,
      kind: principal.kind,
      // Derived, never stored: membership of `admins` is what makes an admin.
      isAdmin: groups.includes(ADMINS_GROUP),
      groups,
      ...(principal.active ? {} : { active: false }),
    };
  }

  async putPrincipal(principal: Principal): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...keys.principal(principal.id),
          entity: 'Principal',
          id: principal.id,
          userName: principal.userName,
          kind: principal.kind,
          isAdmin: principal.isAdmin,
          groups: [...principal.groups],
        },
      })
    );
  }

  async ensureDirectoryMember(
    principal: Principal,
    groupName: string,
    newGroupId: string
  ): Promise<void> {
    // Each step is conditional and idempotent; a concurrent start (two
    // processes on one table) makes a step fail, and the next round
    // re-reads and finds it done.
    for (let round = 1; ; round += 1) {
      try {
        await this.#ensureDirectoryPrincipal(principal);
        const group =
          (await this.#groupByName(groupName)) ??
          (await this.#createGroupForBootstrap({
            id: newGroupId,
            displayName: groupName,
          }));
        if (!group.memberIds.includes(principal.id)) {
          await this.#client.send(
            new TransactWriteCommand({
              TransactItems: membershipAddItems(
                this.#tableName,
                { id: group.id, displayName: group.displayName },
                [principal.id]
              ),
            })
          );
        }
        return;
      } catch (error) {
        if (round >= 5 || !isConditionFailure(error)) throw error;
      }
    }
  }

  /** Writes the directory shape of a principal that is missing or older. */
  async #ensureDirectoryPrincipal(principal: Principal): Promise<void> {
    const found = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.principal(principal.id),
        ConsistentRead: true,
      })
    );
    const existing = found.Item as PrincipalItem | undefined;
    if (existing?.memberOf !== undefined) {
      if (existing.active === false) {
        await this.#client.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: keys.principal(principal.id),
            UpdateExpression: 'SET active = :true',
            ConditionExpression: 'attribute_exists(memberOf)',
            ExpressionAttributeValues: { ':true': true },
          })
        );
      }
      return;
    }
    await this.#client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.#tableName,
              Item: principalItem({
                id: principal.id,
                kind: principal.kind,
                userName: principal.userName,
                displayName: existing?.displayName ?? principal.userName,
                active: true,
                groups: [],
              }),
              ConditionExpression:
                'attribute_not_exists(PK) OR attribute_not_exists(memberOf)',
            },
          },
          {
            Put: {
              TableName: this.#tableName,
              Item: principalNameItem(
                principal.kind,
                principal.userName,
                principal.id
              ),
              ConditionExpression:
                'attribute_not_exists(PK) OR principalId = :id',
              ExpressionAttributeValues: { ':id': principal.id },
            },
          },
        ],
      })
    );
    // Its tokens predate token management's index (GSI2) too: re-put them
    // so that `token-management/tokens` lists them.
    for (const token of await this.listTokens(principal.id)) {
      await this.putToken(token);
    }
  }

  async #groupByName(displayName: string): Promise<DirectoryGroup | undefined> {
    const name = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.groupName(displayName),
        ConsistentRead: true,
      })
    );
    const groupId = (name.Item as { groupId?: string } | undefined)?.groupId;
    if (groupId === undefined) return undefined;
    const group = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.group(groupId),
        ConsistentRead: true,
      })
    );
    return group.Item ? groupFromItem(group.Item as GroupItem) : undefined;
  }

  async #createGroupForBootstrap(group: GroupRef): Promise<DirectoryGroup> {
    await this.#client.send(
      new TransactWriteCommand({
        TransactItems: groupCreateItems(this.#tableName, group),
      })
    );
    return { ...group, memberIds: [] };
  }

  async getTokenByHash(tokenHash: string): Promise<StoredToken | undefined> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.token(tokenHash),
        ConsistentRead: true,
      })
    );
    return result.Item ? fromTokenItem(result.Item as TokenItem) : undefined;
  }

  async createToken(token: StoredToken): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: toTokenItem(token),
          ConditionExpression: 'attribute_not_exists(PK)',
        })
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ResourceAlreadyExistsError('Token already exists.');
      }
      throw error;
    }
  }

  async putToken(token: StoredToken): Promise<void> {
    await this.#client.send(
      new PutCommand({ TableName: this.#tableName, Item: toTokenItem(token) })
    );
  }

  async listTokens(principalId: string): Promise<readonly StoredToken[]> {
    const tokens: StoredToken[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: 'GSI1',
          KeyConditionExpression: 'GSI1PK = :pk',
          ExpressionAttributeValues: {
            ':pk': keys.tokensOfPrincipal(principalId),
          },
          ExclusiveStartKey: exclusiveStartKey,
        })
      );
      for (const item of page.Items ?? []) {
        tokens.push(fromTokenItem(item as TokenItem));
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return tokens;
  }

  async deleteToken(principalId: string, tokenId: string): Promise<boolean> {
    // The token item is keyed by hash; the id leads to it through GSI1.
    const found = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK = :id',
        ExpressionAttributeValues: {
          ':pk': keys.tokensOfPrincipal(principalId),
          ':id': tokenId,
        },
      })
    );
    const item = found.Items?.[0] as TokenItem | undefined;
    if (!item) return false;
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: keys.token(item.tokenHash),
          // Never delete another principal's token through a stale index hit.
          ConditionExpression: 'principalId = :owner AND tokenId = :id',
          ExpressionAttributeValues: { ':owner': principalId, ':id': tokenId },
        })
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

export function toTokenItem(token: StoredToken): TokenItem {
  return {
    ...keys.token(token.tokenHash),
    GSI1PK: keys.tokensOfPrincipal(token.principalId),
    GSI1SK: token.tokenId,
    GSI2PK: keys.allTokens,
    GSI2SK: token.tokenId,
    entity: 'Token',
    tokenId: token.tokenId,
    tokenHash: token.tokenHash,
    principalId: token.principalId,
    comment: token.comment,
    creationTime: token.creationTime,
    expiryTime: token.expiryTime,
    ...(token.createdById === undefined
      ? {}
      : {
          createdById: token.createdById,
          createdByUsername: token.createdByUsername ?? '',
        }),
    ...(token.expiryTime === -1
      ? {}
      : {
          expiresAt:
            Math.ceil(token.expiryTime / 1000) +
            EXPIRED_TOKEN_RETENTION_SECONDS,
        }),
  };
}

export function fromTokenItem(item: TokenItem): StoredToken {
  return {
    tokenId: item.tokenId,
    tokenHash: item.tokenHash,
    principalId: item.principalId,
    comment: item.comment,
    creationTime: item.creationTime,
    expiryTime: item.expiryTime,
    ...(item.createdById === undefined
      ? {}
      : {
          createdById: item.createdById,
          createdByUsername: item.createdByUsername ?? '',
        }),
  };
}

// ---------------------------------------------------------------------------
// Directory item codecs and membership transactions, shared with
// DynamoDBDirectoryStore (the bootstrap above needs them too).

export type TransactItems = NonNullable<
  TransactWriteCommandInput['TransactItems']
>;

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
): TransactItems[number] {
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
): TransactItems[number] {
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

/**
 * A transaction cancelled by a failed condition or by a colliding
 * transaction: the caller's picture is stale.
 */
export function isConditionFailure(error: unknown): boolean {
  if (error instanceof ConditionalCheckFailedException) return true;
  if (error instanceof Error && error.name === 'TransactionConflictException') {
    return true;
  }
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some(
      (reason) =>
        reason.Code === 'ConditionalCheckFailed' ||
        reason.Code === 'TransactionConflict'
    )
  );
}

/** Whether a transaction was cancelled by the condition of item `index`. */
export function cancelledBy(error: unknown, index: number): boolean {
  return (
    error instanceof TransactionCanceledException &&
    error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed'
  );
}

/** Stale-read failures become the domain's retry signal. */
export function asConcurrentModification(error: unknown): unknown {
  return isConditionFailure(error)
    ? new ConcurrentModificationError(
        error instanceof Error ? error.message : 'Condition failed'
      )
    : error;
}
