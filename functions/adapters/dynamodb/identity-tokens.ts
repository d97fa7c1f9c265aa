import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ResourceAlreadyExistsError } from '#domain/errors.ts';
import type { StoredToken } from '#ports/identity-store.ts';
import { keys } from './keys.ts';
import {
  getItem,
  queryAll,
  type RegistryTable,
  transactWrite,
  writeIf,
  writeItem,
} from './toolkit.ts';

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

const tokenTaken = () =>
  new ResourceAlreadyExistsError('Token already exists.');

/**
 * The token half of the identity store: a token item is keyed by the
 * token's hash (`TOKEN#<sha256>`), the lookup of every request; GSI1
 * lists one principal's tokens by id, GSI2 every token by id.
 */
export class DynamoDBTokens {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = table;
  }

  async getTokenByHash(tokenHash: string): Promise<StoredToken | undefined> {
    const item = await getItem(this.#table, keys.token(tokenHash));
    return item ? fromTokenItem(item as unknown as TokenItem) : undefined;
  }

  async createToken(token: StoredToken): Promise<void> {
    const { client, tableName } = this.#table;
    await writeItem(
      () =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: toTokenItem(token),
            ConditionExpression: 'attribute_not_exists(PK)',
          })
        ),
      { 0: tokenTaken }
    );
  }

  async createTokenForPrincipal(token: StoredToken): Promise<void> {
    const { client, tableName } = this.#table;
    await transactWrite(
      client,
      [
        {
          Put: {
            TableName: tableName,
            Item: toTokenItem(token),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          ConditionCheck: {
            TableName: tableName,
            Key: keys.principal(token.principalId),
            ConditionExpression: 'attribute_exists(memberOf) AND active = :yes',
            ExpressionAttributeValues: { ':yes': true },
          },
        },
      ],
      { 0: tokenTaken }
    );
  }

  async putToken(token: StoredToken): Promise<void> {
    const { client, tableName } = this.#table;
    await writeItem(() =>
      client.send(
        new PutCommand({ TableName: tableName, Item: toTokenItem(token) })
      )
    );
  }

  async listTokens(principalId: string): Promise<readonly StoredToken[]> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: {
        ':pk': keys.tokensOfPrincipal(principalId),
      },
    });
    return items.map((item) => fromTokenItem(item as unknown as TokenItem));
  }

  async listAllTokens(): Promise<readonly StoredToken[]> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      IndexName: 'GSI2',
      KeyConditionExpression: 'GSI2PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.allTokens },
    });
    return items.map((item) => fromTokenItem(item as unknown as TokenItem));
  }

  async getTokenById(tokenId: string): Promise<StoredToken | undefined> {
    const found = await this.#table.client.send(
      new QueryCommand({
        TableName: this.#table.tableName,
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

  async deleteToken(principalId: string, tokenId: string): Promise<boolean> {
    // The token item is keyed by hash; the id leads to it through GSI1.
    const found = await this.#table.client.send(
      new QueryCommand({
        TableName: this.#table.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK = :id',
        ExpressionAttributeValues: {
          ':pk': keys.tokensOfPrincipal(principalId),
          ':id': tokenId,
        },
      })
    );
    const item = found.Items?.[0] as TokenItem | undefined;
    return item ? this.deleteTokenItem(item) : false;
  }

  async deleteTokenById(tokenId: string): Promise<boolean> {
    const token = await this.getTokenById(tokenId);
    return token ? this.deleteTokenItem(token) : false;
  }

  /**
   * Deletes a token item unless it changed owner or id meanwhile: never
   * another principal's token through a stale index hit.
   */
  deleteTokenItem(token: StoredToken): Promise<boolean> {
    const { client, tableName } = this.#table;
    return writeIf(() =>
      client.send(
        new DeleteCommand({
          TableName: tableName,
          Key: keys.token(token.tokenHash),
          ConditionExpression: 'principalId = :owner AND tokenId = :id',
          ExpressionAttributeValues: {
            ':owner': token.principalId,
            ':id': token.tokenId,
          },
        })
      )
    );
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
