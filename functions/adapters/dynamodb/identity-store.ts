import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { ResourceAlreadyExistsError } from '#domain/errors.ts';
import type { Principal, PrincipalKind } from '#domain/principal.ts';
import type { IdentityStore, StoredToken } from '#ports/identity-store.ts';
import { keys } from './keys.ts';

interface PrincipalItem {
  id: string;
  userName: string;
  kind: PrincipalKind;
  isAdmin: boolean;
  groups: string[];
}

interface TokenItem {
  PK: string;
  SK: string;
  GSI1PK: string;
  GSI1SK: string;
  entity: 'Token';
  tokenId: string;
  tokenHash: string;
  principalId: string;
  comment: string;
  creationTime: number;
  expiryTime: number;
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

  async getPrincipal(id: string): Promise<Principal | undefined> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.principal(id),
        ConsistentRead: true,
      })
    );
    if (!result.Item) return undefined;
    const item = result.Item as PrincipalItem;
    return {
      id: item.id,
      userName: item.userName,
      kind: item.kind,
      isAdmin: item.isAdmin,
      groups: item.groups,
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

function toTokenItem(token: StoredToken): TokenItem {
  return {
    ...keys.token(token.tokenHash),
    GSI1PK: keys.tokensOfPrincipal(token.principalId),
    GSI1SK: token.tokenId,
    entity: 'Token',
    tokenId: token.tokenId,
    tokenHash: token.tokenHash,
    principalId: token.principalId,
    comment: token.comment,
    creationTime: token.creationTime,
    expiryTime: token.expiryTime,
    ...(token.expiryTime === -1
      ? {}
      : {
          expiresAt:
            Math.ceil(token.expiryTime / 1000) +
            EXPIRED_TOKEN_RETENTION_SECONDS,
        }),
  };
}

function fromTokenItem(item: TokenItem): StoredToken {
  return {
    tokenId: item.tokenId,
    tokenHash: item.tokenHash,
    principalId: item.principalId,
    comment: item.comment,
    creationTime: item.creationTime,
    expiryTime: item.expiryTime,
  };
}
