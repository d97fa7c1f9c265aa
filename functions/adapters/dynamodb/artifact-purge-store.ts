import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type {
  ArtifactPurge,
  ArtifactPurgeStore,
} from '#ports/artifact-purge-store.ts';
import { keys, padVersion, sortableTimestamp } from './keys.ts';
import { type Item, queryPage, type RegistryTable } from './toolkit.ts';

/**
 * {@link ArtifactPurgeStore} on the registry table: one item per deletion
 * (`PURGE#<model id>`/`MV#<version>` or `#MODEL`), in GSI2 under
 * `ARTIFACTS#PURGE` by the time of the deletion. The item is put by the
 * transaction that deletes the version or model ({@link artifactPurgePut})
 * and deleted once the cleanup job has emptied its prefix.
 */
export class DynamoDBArtifactPurgeStore implements ArtifactPurgeStore {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = { client: table.client, tableName: table.tableName };
  }

  async listPurges(
    before: number,
    limit: number
  ): Promise<readonly ArtifactPurge[]> {
    const page = await queryPage(
      this.#table.client,
      {
        TableName: this.#table.tableName,
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :pk AND GSI2SK < :before',
        ExpressionAttributeValues: {
          ':pk': keys.artifactPurges,
          ':before': sortableTimestamp(before),
        },
      },
      limit
    );
    return page.items.map(toPurge);
  }

  async finishPurge(purge: ArtifactPurge): Promise<void> {
    await this.#table.client.send(
      new DeleteCommand({
        TableName: this.#table.tableName,
        Key: keys.artifactPurge(purge.modelId, purge.version),
      })
    );
  }
}

/** The transaction item that records a deletion's purge. */
export function artifactPurgePut(
  tableName: string,
  purge: ArtifactPurge
): { Put: { TableName: string; Item: Item } } {
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.artifactPurge(purge.modelId, purge.version),
        GSI2PK: keys.artifactPurges,
        GSI2SK: `${sortableTimestamp(purge.requestedAt)}#${purge.modelId}#${purge.version === undefined ? 'MODEL' : padVersion(purge.version)}`,
        entity: 'ArtifactPurge',
        modelId: purge.modelId,
        ...(purge.version === undefined ? {} : { version: purge.version }),
        requestedAt: purge.requestedAt,
      },
    },
  };
}

function toPurge(item: Item): ArtifactPurge {
  return {
    modelId: String(item.modelId),
    ...(item.version === undefined ? {} : { version: Number(item.version) }),
    requestedAt: Number(item.requestedAt),
  };
}
