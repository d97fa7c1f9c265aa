import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ResourceAlreadyExistsError } from '#domain/errors.ts';
import type { ServicePrincipalSecret } from '#domain/oauth.ts';
import type { OAuthSecretStore } from '#ports/oauth-secret-store.ts';
import { keys } from './keys.ts';
import {
  getItem,
  type Item,
  queryAll,
  type RegistryTable,
  writeIf,
  writeItem,
} from './toolkit.ts';

/** How long DynamoDB keeps an expired secret before its TTL sweep. */
const EXPIRED_SECRET_RETENTION_SECONDS = 24 * 3600;

/**
 * {@link OAuthSecretStore} on the registry table: a secret is keyed by the
 * hash of its value (`OAUTHSECRET#<sha256>`), the token endpoint's lookup;
 * GSI1 lists one principal's secrets by id. Expired secrets are refused by
 * the token endpoint and swept by TTL later.
 */
export class DynamoDBOAuthSecretStore implements OAuthSecretStore {
  readonly #table: RegistryTable;

  constructor(options: { client: RegistryTable['client']; tableName: string }) {
    this.#table = { client: options.client, tableName: options.tableName };
  }

  async createSecret(secret: ServicePrincipalSecret): Promise<void> {
    const { client, tableName } = this.#table;
    await writeItem(
      () =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...keys.oauthSecret(secret.secretHash),
              GSI1PK: keys.oauthSecretsOfPrincipal(secret.principalId),
              GSI1SK: secret.id,
              entity: 'OAuthSecret',
              id: secret.id,
              principalId: secret.principalId,
              secretHash: secret.secretHash,
              status: secret.status,
              createTime: secret.createTime,
              updateTime: secret.updateTime,
              expireTime: secret.expireTime,
              expiresAt:
                Math.floor(secret.expireTime / 1000) +
                EXPIRED_SECRET_RETENTION_SECONDS,
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          })
        ),
      { 0: () => new ResourceAlreadyExistsError('Secret already exists.') }
    );
  }

  async getSecretByHash(
    secretHash: string
  ): Promise<ServicePrincipalSecret | undefined> {
    const item = await getItem(this.#table, keys.oauthSecret(secretHash));
    return item ? toSecret(item) : undefined;
  }

  async listSecrets(
    principalId: string
  ): Promise<readonly ServicePrincipalSecret[]> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: {
        ':pk': keys.oauthSecretsOfPrincipal(principalId),
      },
    });
    return items.map(toSecret);
  }

  async deleteSecret(principalId: string, secretId: string): Promise<boolean> {
    const secret = (await this.listSecrets(principalId)).find(
      (candidate) => candidate.id === secretId
    );
    if (!secret) return false;
    const { client, tableName } = this.#table;
    return writeIf(() =>
      client.send(
        new DeleteCommand({
          TableName: tableName,
          Key: keys.oauthSecret(secret.secretHash),
          ConditionExpression: 'principalId = :principal AND id = :id',
          ExpressionAttributeValues: {
            ':principal': principalId,
            ':id': secretId,
          },
        })
      )
    );
  }
}

function toSecret(item: Item): ServicePrincipalSecret {
  return {
    id: String(item.id),
    principalId: String(item.principalId),
    secretHash: String(item.secretHash),
    status: 'ACTIVE',
    createTime: Number(item.createTime),
    updateTime: Number(item.updateTime),
    expireTime: Number(item.expireTime),
  };
}
