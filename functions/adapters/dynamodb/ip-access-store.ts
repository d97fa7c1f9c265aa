import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type IpAccessList,
  type IpAccessSettings,
  NO_IP_ACCESS_SETTINGS,
} from '#domain/ip-access.ts';
import type { IpAccessStore } from '#ports/ip-access-store.ts';
import { keys } from './keys.ts';
import { getItem, type RegistryTable, writeIf } from './toolkit.ts';

/**
 * {@link IpAccessStore} on the registry table: one item
 * (`WORKSPACE#conf`/`#IPACCESS`) holds enforcement and every list (at most
 * 1000 addresses in all, a few tens of KB), so a change and the
 * self-lock-out check are one conditional write on its revision, and the
 * authorizer reads all of it with one GetItem (cached).
 */
export class DynamoDBIpAccessStore implements IpAccessStore {
  readonly #table: RegistryTable;

  constructor(options: { client: RegistryTable['client']; tableName: string }) {
    this.#table = { client: options.client, tableName: options.tableName };
  }

  async getIpAccess(): Promise<IpAccessSettings> {
    const item = await getItem(this.#table, keys.ipAccessSettings);
    if (!item) return NO_IP_ACCESS_SETTINGS;
    return {
      enabled: item.enabled === true,
      lists:
        typeof item.lists === 'string'
          ? (JSON.parse(item.lists) as IpAccessList[])
          : [],
      revision: Number(item.revision ?? 0),
    };
  }

  async putIpAccess(next: IpAccessSettings): Promise<boolean> {
    const { client, tableName } = this.#table;
    return writeIf(() =>
      client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...keys.ipAccessSettings,
            entity: 'IpAccessSettings',
            enabled: next.enabled,
            lists: JSON.stringify(next.lists),
            revision: next.revision + 1,
          },
          ConditionExpression:
            next.revision === 0
              ? 'attribute_not_exists(PK)'
              : 'revision = :revision',
          ...(next.revision === 0
            ? {}
            : { ExpressionAttributeValues: { ':revision': next.revision } }),
        })
      )
    );
  }
}
