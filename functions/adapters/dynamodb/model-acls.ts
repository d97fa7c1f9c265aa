import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type {
  Grant,
  Grantee,
  RootPermissionLevel,
} from '#domain/permissions.ts';
import type { ModelAclStore } from '#ports/model-registry-store.ts';
import { keys } from './keys.ts';
import {
  getItem,
  type RegistryTable,
  updateExisting,
  writeItem,
} from './toolkit.ts';

/**
 * {@link ModelAclStore}: a model's grants live on its item (`acl`), so the
 * model's reads carry them; the registry-wide grants are one item
 * (`ACL#root`).
 */
export class DynamoDBModelAcls implements ModelAclStore {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = table;
  }

  async setModelGrants(
    modelId: string,
    grants: readonly Grant[]
  ): Promise<void> {
    await updateExisting(this.#table, {
      Key: keys.registeredModel(modelId),
      UpdateExpression: 'SET acl = :acl',
      ExpressionAttributeValues: { ':acl': aclMap(grants) },
    });
  }

  async getRootGrants(): Promise<
    readonly Grant<RootPermissionLevel>[] | undefined
  > {
    const item = await getItem(this.#table, keys.rootAcl);
    return item ? grantsFrom<RootPermissionLevel>(item.acl) : undefined;
  }

  async setRootGrants(
    grants: readonly Grant<RootPermissionLevel>[]
  ): Promise<void> {
    const { client, tableName } = this.#table;
    await writeItem(() =>
      client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...keys.rootAcl, entity: 'RootAcl', acl: aclMap(grants) },
        })
      )
    );
  }
}

/**
 * Grants are a map on the item, `<kind>:<name>` → level, so one update
 * replaces an access control list and the index projection carries it.
 */
export function aclMap<L extends string>(grants: readonly Grant<L>[]) {
  return Object.fromEntries(
    grants.map((g) => [`${g.grantee.kind}:${g.grantee.name}`, g.level])
  );
}

export function grantsFrom<L extends string>(value: unknown): Grant<L>[] {
  const map = (value ?? {}) as Record<string, string>;
  return Object.entries(map).flatMap(([key, level]) => {
    const separator = key.indexOf(':');
    const kind = key.slice(0, separator);
    const name = key.slice(separator + 1);
    if (kind !== 'user' && kind !== 'group' && kind !== 'service_principal') {
      return [];
    }
    const grantee = { kind, name } as Grantee;
    return [{ grantee, level: level as L }];
  });
}
