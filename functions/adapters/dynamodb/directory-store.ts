import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  DirectoryGroup,
  DirectoryPrincipal,
  GroupRef,
  NameNarrowing,
} from '#domain/directory.ts';
import { ResourceAlreadyExistsError } from '#domain/errors.ts';
import type { PrincipalKind } from '#domain/principal.ts';
import type {
  DirectoryStore,
  NewDirectoryPrincipal,
  PrincipalChange,
} from '#ports/directory-store.ts';
import type { StoredToken } from '#ports/identity-store.ts';
import {
  asConcurrentModification,
  cancelledBy,
  DynamoDBIdentityStore,
  directoryPrincipalFromItem,
  fromTokenItem,
  type GroupItem,
  groupCreateItems,
  groupFromItem,
  groupJoinItem,
  groupLeaveItem,
  isConditionFailure,
  membershipAddItems,
  membershipRemoveItems,
  type PrincipalItem,
  principalItem,
  principalNameItem,
  type TokenItem,
  type TransactItems,
  toTokenItem,
} from './identity-store.ts';
import { keys } from './keys.ts';

/** A transaction holds 100 items: one group plus 99 principals. */
const MEMBERS_PER_TRANSACTION = 99;
/** BatchGetItem reads at most 100 keys. */
const KEYS_PER_BATCH_GET = 100;
/** Parallel single-item writes when a rename fans out to members. */
const FAN_OUT = 10;

const KIND_NAME: Record<PrincipalKind, { noun: string; name: string }> = {
  user: { noun: 'A user', name: 'userName' },
  service_principal: { noun: 'A service principal', name: 'applicationId' },
};

/**
 * {@link DirectoryStore} on the registry's table (README, "Table design"):
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
 * of thousands of principals.
 */
export class DynamoDBDirectoryStore
  extends DynamoDBIdentityStore
  implements DirectoryStore
{
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    super(options);
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async getDirectoryPrincipal(
    id: string
  ): Promise<DirectoryPrincipal | undefined> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.principal(id),
        ConsistentRead: true,
      })
    );
    return result.Item
      ? directoryPrincipalFromItem(result.Item as PrincipalItem)
      : undefined;
  }

  async getDirectoryPrincipals(
    ids: readonly string[]
  ): Promise<readonly DirectoryPrincipal[]> {
    const items = await this.#batchGet<PrincipalItem>(
      [...new Set(ids)].map((id) => keys.principal(id))
    );
    return items.map((item) => directoryPrincipalFromItem(item));
  }

  async findPrincipalByName(
    kind: PrincipalKind,
    userName: string
  ): Promise<DirectoryPrincipal | undefined> {
    const name = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.principalName(kind, userName),
        ConsistentRead: true,
      })
    );
    const id = (name.Item as { principalId?: string } | undefined)?.principalId;
    if (id === undefined) return undefined;
    const principal = await this.getDirectoryPrincipal(id);
    return principal?.kind === kind ? principal : undefined;
  }

  async listDirectoryPrincipals(
    kind: PrincipalKind,
    narrowing?: NameNarrowing
  ): Promise<readonly DirectoryPrincipal[]> {
    const items = await this.#queryGsi1<PrincipalItem>(
      keys.principalsOfKind(kind),
      narrowing
    );
    return items.map((item) => directoryPrincipalFromItem(item));
  }

  async createPrincipal(principal: NewDirectoryPrincipal): Promise<void> {
    const items: TransactItems = [
      {
        Put: {
          TableName: this.#tableName,
          Item: principalItem(principal),
          ConditionExpression: 'attribute_not_exists(PK)',
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
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      ...principal.groups.map((group) =>
        groupJoinItem(this.#tableName, group, [principal.id])
      ),
    ];
    try {
      await this.#transact(items);
    } catch (error) {
      if (cancelledBy(error, 1)) {
        const { noun, name } = KIND_NAME[principal.kind];
        throw new ResourceAlreadyExistsError(
          `${noun} with ${name} ${principal.userName} already exists.`
        );
      }
      throw asConcurrentModification(error);
    }
  }

  async changePrincipal(id: string, change: PrincipalChange): Promise<void> {
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
    const items: TransactItems = [
      {
        Update: {
          TableName: this.#tableName,
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
      ...change.addGroups.map((group) =>
        groupJoinItem(this.#tableName, group, [id])
      ),
      ...change.removeGroupIds.map((groupId) =>
        groupLeaveItem(
          this.#tableName,
          groupId,
          [id],
          change.keepNonEmptyGroupIds.includes(groupId)
        )
      ),
    ];
    try {
      await this.#transact(items);
    } catch (error) {
      throw asConcurrentModification(error);
    }
  }

  async deletePrincipal(id: string): Promise<boolean> {
    const found = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.principal(id),
        ConsistentRead: true,
      })
    );
    const item = found.Item as PrincipalItem | undefined;
    if (!item) return false;
    try {
      await this.#transact([
        {
          Delete: {
            TableName: this.#tableName,
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
            TableName: this.#tableName,
            Key: keys.principalName(item.kind, item.userName),
            ConditionExpression:
              'attribute_not_exists(PK) OR principalId = :id',
            ExpressionAttributeValues: { ':id': id },
          },
        },
      ]);
    } catch (error) {
      throw asConcurrentModification(error);
    }
    for (const token of await this.listTokens(id)) {
      await this.#deleteTokenItem(token);
    }
    return true;
  }

  async getGroup(id: string): Promise<DirectoryGroup | undefined> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.group(id),
        ConsistentRead: true,
      })
    );
    return result.Item ? groupFromItem(result.Item as GroupItem) : undefined;
  }

  async findGroupByName(
    displayName: string
  ): Promise<DirectoryGroup | undefined> {
    const name = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.groupName(displayName),
        ConsistentRead: true,
      })
    );
    const id = (name.Item as { groupId?: string } | undefined)?.groupId;
    return id === undefined ? undefined : this.getGroup(id);
  }

  async listGroups(
    narrowing?: NameNarrowing
  ): Promise<readonly DirectoryGroup[]> {
    const items = await this.#queryGsi1<GroupItem>(
      keys.groupsByName,
      narrowing
    );
    return items.map(groupFromItem);
  }

  async createGroup(group: GroupRef): Promise<void> {
    try {
      await this.#transact(groupCreateItems(this.#tableName, group));
    } catch (error) {
      if (cancelledBy(error, 1)) {
        throw groupNameTaken(group.displayName);
      }
      throw asConcurrentModification(error);
    }
  }

  async addMembers(
    group: GroupRef,
    principalIds: readonly string[]
  ): Promise<void> {
    for (const chunk of chunks(principalIds, MEMBERS_PER_TRANSACTION)) {
      try {
        await this.#transact(membershipAddItems(this.#tableName, group, chunk));
      } catch (error) {
        throw asConcurrentModification(error);
      }
    }
  }

  async removeMembers(
    groupId: string,
    principalIds: readonly string[],
    options: { readonly keepNonEmpty: boolean }
  ): Promise<void> {
    for (const chunk of chunks(principalIds, MEMBERS_PER_TRANSACTION)) {
      try {
        await this.#transact(
          membershipRemoveItems(
            this.#tableName,
            groupId,
            chunk,
            options.keepNonEmpty
          )
        );
      } catch (error) {
        throw asConcurrentModification(error);
      }
    }
  }

  async beginGroupRename(id: string, from: string, to: string): Promise<void> {
    const sameGuard = from.toLowerCase() === to.toLowerCase();
    const items: TransactItems = [
      {
        Update: {
          TableName: this.#tableName,
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
                TableName: this.#tableName,
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
    try {
      await this.#transact(items);
    } catch (error) {
      if (!sameGuard && cancelledBy(error, 1)) throw groupNameTaken(to);
      throw asConcurrentModification(error);
    }
  }

  async setMembersGroupName(
    id: string,
    displayName: string,
    memberIds: readonly string[]
  ): Promise<void> {
    for (const batch of chunks(memberIds, FAN_OUT)) {
      await Promise.all(
        batch.map(async (principalId) => {
          try {
            await this.#client.send(
              new UpdateCommand({
                TableName: this.#tableName,
                Key: keys.principal(principalId),
                UpdateExpression: 'SET memberOf.#group = :name',
                // A member that left meanwhile is not made to rejoin.
                ConditionExpression: 'attribute_exists(memberOf.#group)',
                ExpressionAttributeNames: { '#group': id },
                ExpressionAttributeValues: { ':name': displayName },
              })
            );
          } catch (error) {
            if (!isConditionFailure(error)) throw error;
          }
        })
      );
    }
  }

  async completeGroupRename(
    id: string,
    from: string,
    to: string
  ): Promise<void> {
    const sameGuard = from.toLowerCase() === to.toLowerCase();
    try {
      await this.#transact([
        {
          Update: {
            TableName: this.#tableName,
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
                  TableName: this.#tableName,
                  Key: keys.groupName(from),
                  ConditionExpression: 'groupId = :id',
                  ExpressionAttributeValues: { ':id': id },
                },
              },
            ]),
      ]);
    } catch (error) {
      throw asConcurrentModification(error);
    }
  }

  async deleteGroup(id: string): Promise<boolean> {
    const group = await this.getGroup(id);
    if (!group) return false;
    try {
      await this.#transact([
        {
          Delete: {
            TableName: this.#tableName,
            Key: keys.group(id),
            ConditionExpression:
              'attribute_exists(PK) AND attribute_not_exists(members) AND attribute_not_exists(pendingName)',
          },
        },
        {
          Delete: {
            TableName: this.#tableName,
            Key: keys.groupName(group.displayName),
            ConditionExpression: 'groupId = :id',
            ExpressionAttributeValues: { ':id': id },
          },
        },
      ]);
    } catch (error) {
      throw asConcurrentModification(error);
    }
    return true;
  }

  async listAllTokens(): Promise<readonly StoredToken[]> {
    const items = await this.#queryAll<TokenItem>({
      TableName: this.#tableName,
      IndexName: 'GSI2',
      KeyConditionExpression: 'GSI2PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.allTokens },
    });
    return items.map(fromTokenItem);
  }

  async getTokenById(tokenId: string): Promise<StoredToken | undefined> {
    const found = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :pk AND GSI2SK = :id',
        ExpressionAttributeValues: { ':pk': keys.allTokens, ':id': tokenId },
      })
    );
    const item = found.Items?.[0] as TokenItem | undefined;
    if (!item) return undefined;
    // The index may lag a revocation; the token item itself is the truth.
    const current = await this.getTokenByHash(item.tokenHash);
    return current?.tokenId === tokenId ? current : undefined;
  }

  async deleteTokenById(tokenId: string): Promise<boolean> {
    const token = await this.getTokenById(tokenId);
    return token ? this.#deleteTokenItem(token) : false;
  }

  async createTokenForPrincipal(token: StoredToken): Promise<void> {
    try {
      await this.#transact([
        {
          Put: {
            TableName: this.#tableName,
            Item: toTokenItem(token),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          ConditionCheck: {
            TableName: this.#tableName,
            Key: keys.principal(token.principalId),
            ConditionExpression: 'attribute_exists(memberOf) AND active = :yes',
            ExpressionAttributeValues: { ':yes': true },
          },
        },
      ]);
    } catch (error) {
      if (cancelledBy(error, 0)) {
        throw new ResourceAlreadyExistsError('Token already exists.');
      }
      throw asConcurrentModification(error);
    }
  }

  /** Deletes a token item unless it changed owner or id meanwhile. */
  async #deleteTokenItem(token: StoredToken): Promise<boolean> {
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: keys.token(token.tokenHash),
          ConditionExpression: 'principalId = :owner AND tokenId = :id',
          ExpressionAttributeValues: {
            ':owner': token.principalId,
            ':id': token.tokenId,
          },
        })
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async #transact(items: TransactItems): Promise<void> {
    await this.#client.send(new TransactWriteCommand({ TransactItems: items }));
  }

  /** One GSI1 partition, optionally narrowed on its lower-cased sort key. */
  async #queryGsi1<T>(
    partition: string,
    narrowing: NameNarrowing | undefined
  ): Promise<T[]> {
    const condition =
      narrowing === undefined
        ? 'GSI1PK = :pk'
        : narrowing.operator === 'eq'
          ? 'GSI1PK = :pk AND GSI1SK = :name'
          : 'GSI1PK = :pk AND begins_with(GSI1SK, :name)';
    return this.#queryAll<T>({
      TableName: this.#tableName,
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

  async #queryAll<T>(input: QueryCommandInput): Promise<T[]> {
    const items: T[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({ ...input, ExclusiveStartKey: exclusiveStartKey })
      );
      items.push(...((page.Items ?? []) as T[]));
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return items;
  }

  /** Strongly consistent BatchGetItem, retrying unprocessed keys. */
  async #batchGet<T>(
    itemKeys: readonly Record<string, string>[]
  ): Promise<T[]> {
    const items: T[] = [];
    for (const chunk of chunks(itemKeys, KEYS_PER_BATCH_GET)) {
      let pending: Record<string, unknown>[] = [...chunk];
      for (let round = 0; pending.length > 0; round += 1) {
        if (round > 0) {
          await new Promise((resolve) =>
            setTimeout(resolve, Math.min(1000, 25 * 2 ** round))
          );
        }
        const result = await this.#client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.#tableName]: { Keys: pending, ConsistentRead: true },
            },
          })
        );
        items.push(...((result.Responses?.[this.#tableName] ?? []) as T[]));
        pending = result.UnprocessedKeys?.[this.#tableName]?.Keys ?? [];
      }
    }
    return items;
  }
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
