import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
import {
  directoryPrincipalFromItem,
  type GroupItem,
  groupCreateItems,
  groupFromItem,
  groupJoinItem,
  groupLeaveItem,
  membershipAddItems,
  membershipRemoveItems,
  type PrincipalItem,
  principalItem,
  principalNameItem,
} from './directory-items.ts';
import { DynamoDBTokens } from './identity-tokens.ts';
import { keys } from './keys.ts';
import {
  batchGetAll,
  chunks,
  getItem,
  type Item,
  queryAll,
  type RegistryTable,
  type TransactItems,
  transactWrite,
  writeIf,
  writeItem,
} from './toolkit.ts';

/** A transaction holds 100 items: one group plus 99 principals. */
const MEMBERS_PER_TRANSACTION = 99;
/** Parallel single-item writes when a rename fans out to members. */
const FAN_OUT = 10;
/** Rounds of the bootstrap step against a concurrent start on one table. */
const BOOTSTRAP_ROUNDS = 5;

const KIND_NAME: Record<PrincipalKind, { noun: string; name: string }> = {
  user: { noun: 'A user', name: 'userName' },
  service_principal: { noun: 'A service principal', name: 'applicationId' },
};

/**
 * {@link IdentityStore} on the registry's table (docs/design-notes.md, "Table design"):
 *
 * | item                  | PK                                  | GSI1 (PK / SK)                     | GSI2        |
 * | --------------------- | ----------------------------------- | ---------------------------------- | ----------- |
 * | principal             | `PRINCIPAL#<id>`                    | `PRINCIPALS#<kind>` / lower name   |             |
 * | principal name guard  | `PRINCIPALNAME#<kind>#<lower name>` |                                    |             |
 * | group                 | `GROUP#<id>`                        | `GROUPS` / lower display name      |             |
 * | group name guard      | `GROUPNAME#<lower display name>`    |                                    |             |
 * | token                 | `TOKEN#<sha256>`                    | `PRINCIPAL#<id>#TOKENS` / token id | `TOKENS` / token id |
 *
 * Listings query one GSI1 partition (no Scan); offset pagination (SCIM's
 * `startIndex`) reads the whole partition, which is fine for a directory
 * of thousands of principals. Tokens are {@link DynamoDBTokens}.
 */
export class DynamoDBIdentityStore implements IdentityStore {
  readonly #table: RegistryTable;
  readonly #tokens: DynamoDBTokens;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#table = { client: options.client, tableName: options.tableName };
    this.#tokens = new DynamoDBTokens(this.#table);
  }

  // --- Authentication

  async getPrincipal(id: string): Promise<StoredPrincipal | undefined> {
    const item = await getItem(this.#table, keys.principal(id));
    return item ? storedPrincipalFromItem(item) : undefined;
  }

  getTokenByHash(tokenHash: string): Promise<StoredToken | undefined> {
    return this.#tokens.getTokenByHash(tokenHash);
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
          (await this.findGroupByName(groupName)) ??
          (await this.#createGroupForBootstrap({
            id: newGroupId,
            displayName: groupName,
          }));
        if (!group.memberIds.includes(principal.id)) {
          await transactWrite(
            this.#table.client,
            membershipAddItems(
              this.#table.tableName,
              { id: group.id, displayName: group.displayName },
              [principal.id]
            )
          );
        }
        return;
      } catch (error) {
        if (
          round >= BOOTSTRAP_ROUNDS ||
          !(error instanceof ConcurrentModificationError)
        ) {
          throw error;
        }
      }
    }
  }

  /** Writes the directory shape of a principal that is missing or older. */
  async #ensureDirectoryPrincipal(principal: Principal): Promise<void> {
    const { client, tableName } = this.#table;
    const existing = (await getItem(
      this.#table,
      keys.principal(principal.id)
    )) as PrincipalItem | undefined;
    if (existing?.memberOf !== undefined) {
      if (existing.active === false) {
        await writeItem(() =>
          client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: keys.principal(principal.id),
              UpdateExpression: 'SET active = :true',
              ConditionExpression: 'attribute_exists(memberOf)',
              ExpressionAttributeValues: { ':true': true },
            })
          )
        );
      }
      return;
    }
    await transactWrite(client, [
      {
        Put: {
          TableName: tableName,
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
          TableName: tableName,
          Item: principalNameItem(
            principal.kind,
            principal.userName,
            principal.id
          ),
          ConditionExpression: 'attribute_not_exists(PK) OR principalId = :id',
          ExpressionAttributeValues: { ':id': principal.id },
        },
      },
    ]);
    // Its tokens predate token management's index (GSI2) too: re-put them
    // so that `token-management/tokens` lists them.
    for (const token of await this.listTokens(principal.id)) {
      await this.putToken(token);
    }
  }

  async #createGroupForBootstrap(group: GroupRef): Promise<DirectoryGroup> {
    await transactWrite(
      this.#table.client,
      groupCreateItems(this.#table.tableName, group)
    );
    return { ...group, memberIds: [] };
  }

  // --- Tokens

  createToken(token: StoredToken): Promise<void> {
    return this.#tokens.createToken(token);
  }

  createTokenForPrincipal(token: StoredToken): Promise<void> {
    return this.#tokens.createTokenForPrincipal(token);
  }

  putToken(token: StoredToken): Promise<void> {
    return this.#tokens.putToken(token);
  }

  listTokens(principalId: string): Promise<readonly StoredToken[]> {
    return this.#tokens.listTokens(principalId);
  }

  listAllTokens(): Promise<readonly StoredToken[]> {
    return this.#tokens.listAllTokens();
  }

  getTokenById(tokenId: string): Promise<StoredToken | undefined> {
    return this.#tokens.getTokenById(tokenId);
  }

  deleteToken(principalId: string, tokenId: string): Promise<boolean> {
    return this.#tokens.deleteToken(principalId, tokenId);
  }

  deleteTokenById(tokenId: string): Promise<boolean> {
    return this.#tokens.deleteTokenById(tokenId);
  }

  // --- Principals

  async getDirectoryPrincipal(
    id: string
  ): Promise<DirectoryPrincipal | undefined> {
    const item = await getItem(this.#table, keys.principal(id));
    return item
      ? directoryPrincipalFromItem(item as unknown as PrincipalItem)
      : undefined;
  }

  async getDirectoryPrincipals(
    ids: readonly string[]
  ): Promise<readonly DirectoryPrincipal[]> {
    const items = await batchGetAll(
      this.#table,
      ids.map((id) => keys.principal(id))
    );
    return items.map((item) =>
      directoryPrincipalFromItem(item as unknown as PrincipalItem)
    );
  }

  async findPrincipalByName(
    kind: PrincipalKind,
    userName: string
  ): Promise<DirectoryPrincipal | undefined> {
    const name = await getItem(this.#table, keys.principalName(kind, userName));
    const id = name?.principalId;
    if (typeof id !== 'string') return undefined;
    const principal = await this.getDirectoryPrincipal(id);
    return principal?.kind === kind ? principal : undefined;
  }

  async listDirectoryPrincipals(
    kind: PrincipalKind,
    narrowing?: NameNarrowing
  ): Promise<readonly DirectoryPrincipal[]> {
    const items = await this.#queryByName(
      keys.principalsOfKind(kind),
      narrowing
    );
    return items.map((item) =>
      directoryPrincipalFromItem(item as unknown as PrincipalItem)
    );
  }

  async createPrincipal(principal: NewDirectoryPrincipal): Promise<void> {
    const { client, tableName } = this.#table;
    const { noun, name } = KIND_NAME[principal.kind];
    await transactWrite(
      client,
      [
        {
          Put: {
            TableName: tableName,
            Item: principalItem(principal),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: principalNameItem(
              principal.kind,
              principal.userName,
              principal.id
            ),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        ...principal.groups.map((group) =>
          groupJoinItem(tableName, group, [principal.id])
        ),
      ],
      {
        1: () =>
          new ResourceAlreadyExistsError(
            `${noun} with ${name} ${principal.userName} already exists.`
          ),
      }
    );
  }

  async changePrincipal(id: string, change: PrincipalChange): Promise<void> {
    const { client, tableName } = this.#table;
    const set: string[] = [];
    const remove: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (change.displayName !== undefined) {
      set.push('displayName = :displayName');
      values[':displayName'] = change.displayName;
    }
    if (change.active !== undefined) {
      set.push('active = :active');
      values[':active'] = change.active;
    }
    change.addGroups.forEach((group, index) => {
      set.push(`memberOf.#add${index} = :add${index}`);
      names[`#add${index}`] = group.id;
      values[`:add${index}`] = group.displayName;
    });
    change.removeGroupIds.forEach((groupId, index) => {
      remove.push(`memberOf.#remove${index}`);
      names[`#remove${index}`] = groupId;
    });
    const expression = [
      set.length > 0 ? `SET ${set.join(', ')}` : '',
      remove.length > 0 ? `REMOVE ${remove.join(', ')}` : '',
    ]
      .filter((part) => part !== '')
      .join(' ');
    if (expression === '') return;
    await transactWrite(client, [
      {
        Update: {
          TableName: tableName,
          Key: keys.principal(id),
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(memberOf)',
          ...(Object.keys(names).length > 0
            ? { ExpressionAttributeNames: names }
            : {}),
          ...(Object.keys(values).length > 0
            ? { ExpressionAttributeValues: values }
            : {}),
        },
      },
      ...change.addGroups.map((group) => groupJoinItem(tableName, group, [id])),
      ...change.removeGroupIds.map((groupId) =>
        groupLeaveItem(
          tableName,
          groupId,
          [id],
          change.keepNonEmptyGroupIds.includes(groupId)
        )
      ),
    ]);
  }

  async deletePrincipal(id: string): Promise<boolean> {
    const { client, tableName } = this.#table;
    const item = (await getItem(this.#table, keys.principal(id))) as
      | PrincipalItem
      | undefined;
    if (!item) return false;
    await transactWrite(client, [
      {
        Delete: {
          TableName: tableName,
          Key: keys.principal(id),
          // Memberships are removed first, on both sides; one that
          // appeared meanwhile sends the caller round again.
          ConditionExpression:
            'attribute_not_exists(memberOf) OR size(memberOf) = :none',
          ExpressionAttributeValues: { ':none': 0 },
        },
      },
      {
        Delete: {
          TableName: tableName,
          Key: keys.principalName(item.kind, item.userName),
          ConditionExpression: 'attribute_not_exists(PK) OR principalId = :id',
          ExpressionAttributeValues: { ':id': id },
        },
      },
    ]);
    for (const token of await this.listTokens(id)) {
      await this.#tokens.deleteTokenItem(token);
    }
    return true;
  }

  // --- Groups

  async getGroup(id: string): Promise<DirectoryGroup | undefined> {
    const item = await getItem(this.#table, keys.group(id));
    return item ? groupFromItem(item as unknown as GroupItem) : undefined;
  }

  async findGroupByName(
    displayName: string
  ): Promise<DirectoryGroup | undefined> {
    const name = await getItem(this.#table, keys.groupName(displayName));
    const id = name?.groupId;
    return typeof id === 'string' ? this.getGroup(id) : undefined;
  }

  async listGroups(
    narrowing?: NameNarrowing
  ): Promise<readonly DirectoryGroup[]> {
    const items = await this.#queryByName(keys.groupsByName, narrowing);
    return items.map((item) => groupFromItem(item as unknown as GroupItem));
  }

  async createGroup(group: GroupRef): Promise<void> {
    await transactWrite(
      this.#table.client,
      groupCreateItems(this.#table.tableName, group),
      { 1: () => groupNameTaken(group.displayName) }
    );
  }

  async addMembers(
    group: GroupRef,
    principalIds: readonly string[]
  ): Promise<void> {
    const { client, tableName } = this.#table;
    for (const chunk of chunks(principalIds, MEMBERS_PER_TRANSACTION)) {
      await transactWrite(client, membershipAddItems(tableName, group, chunk));
    }
  }

  async removeMembers(
    groupId: string,
    principalIds: readonly string[],
    options: { readonly keepNonEmpty: boolean }
  ): Promise<void> {
    const { client, tableName } = this.#table;
    for (const chunk of chunks(principalIds, MEMBERS_PER_TRANSACTION)) {
      await transactWrite(
        client,
        membershipRemoveItems(tableName, groupId, chunk, options.keepNonEmpty)
      );
    }
  }

  async beginGroupRename(id: string, from: string, to: string): Promise<void> {
    const { client, tableName } = this.#table;
    const sameGuard = from.toLowerCase() === to.toLowerCase();
    const items: TransactItems = [
      {
        Update: {
          TableName: tableName,
          Key: keys.group(id),
          UpdateExpression: 'SET pendingName = :to',
          ConditionExpression:
            'displayName = :from AND attribute_not_exists(pendingName)',
          ExpressionAttributeValues: { ':to': to, ':from': from },
        },
      },
      // A change of case keeps the same (lower-cased) guard item.
      ...(sameGuard
        ? []
        : [
            {
              Put: {
                TableName: tableName,
                Item: {
                  ...keys.groupName(to),
                  entity: 'GroupName',
                  groupId: id,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ]),
    ];
    await transactWrite(
      client,
      items,
      sameGuard ? {} : { 1: () => groupNameTaken(to) }
    );
  }

  async setMembersGroupName(
    id: string,
    displayName: string,
    memberIds: readonly string[]
  ): Promise<void> {
    const { client, tableName } = this.#table;
    for (const batch of chunks(memberIds, FAN_OUT)) {
      await Promise.all(
        batch.map((principalId) =>
          writeIf(() =>
            client.send(
              new UpdateCommand({
                TableName: tableName,
                Key: keys.principal(principalId),
                UpdateExpression: 'SET memberOf.#group = :name',
                // A member that left meanwhile is not made to rejoin.
                ConditionExpression: 'attribute_exists(memberOf.#group)',
                ExpressionAttributeNames: { '#group': id },
                ExpressionAttributeValues: { ':name': displayName },
              })
            )
          )
        )
      );
    }
  }

  async completeGroupRename(
    id: string,
    from: string,
    to: string
  ): Promise<void> {
    const { client, tableName } = this.#table;
    const sameGuard = from.toLowerCase() === to.toLowerCase();
    await transactWrite(client, [
      {
        Update: {
          TableName: tableName,
          Key: keys.group(id),
          UpdateExpression:
            'SET displayName = :to, GSI1SK = :sortKey REMOVE pendingName',
          ConditionExpression: 'displayName = :from AND pendingName = :to',
          ExpressionAttributeValues: {
            ':to': to,
            ':from': from,
            ':sortKey': to.toLowerCase(),
          },
        },
      },
      ...(sameGuard
        ? []
        : [
            {
              Delete: {
                TableName: tableName,
                Key: keys.groupName(from),
                ConditionExpression: 'groupId = :id',
                ExpressionAttributeValues: { ':id': id },
              },
            },
          ]),
    ]);
  }

  async deleteGroup(id: string): Promise<boolean> {
    const { client, tableName } = this.#table;
    const group = await this.getGroup(id);
    if (!group) return false;
    await transactWrite(client, [
      {
        Delete: {
          TableName: tableName,
          Key: keys.group(id),
          ConditionExpression:
            'attribute_exists(PK) AND attribute_not_exists(members) AND attribute_not_exists(pendingName)',
        },
      },
      {
        Delete: {
          TableName: tableName,
          Key: keys.groupName(group.displayName),
          ConditionExpression: 'groupId = :id',
          ExpressionAttributeValues: { ':id': id },
        },
      },
    ]);
    return true;
  }

  /** One GSI1 partition, optionally narrowed on its lower-cased sort key. */
  #queryByName(partition: string, narrowing: NameNarrowing | undefined) {
    const condition =
      narrowing === undefined
        ? 'GSI1PK = :pk'
        : narrowing.operator === 'eq'
          ? 'GSI1PK = :pk AND GSI1SK = :name'
          : 'GSI1PK = :pk AND begins_with(GSI1SK, :name)';
    return queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: condition,
      ExpressionAttributeValues: {
        ':pk': partition,
        ...(narrowing === undefined
          ? {}
          : { ':name': narrowing.value.toLowerCase() }),
      },
    });
  }
}

function groupNameTaken(displayName: string) {
  return new ResourceAlreadyExistsError(
    `Group with name ${displayName} already exists.`
  );
}

/** A principal's item as the caller's checks see it (its groups by name). */
export function storedPrincipalFromItem(stored: Item): StoredPrincipal {
  const item = stored as unknown as PrincipalItem;
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
