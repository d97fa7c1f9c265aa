import { stagesOf } from '#domain/registry/stage-members.ts';
import type {
  ModelDeletionStore,
  ModelRecord,
  VersionDeletion,
} from '#ports/model-registry-store.ts';
import { artifactPurgePut } from './artifact-purge-store.ts';
import { activityPrefix, keys, modelPartition } from './keys.ts';
import { membersCheck, membershipChange } from './stage-members.ts';
import {
  batchDeleteAll,
  queryAll,
  type RegistryTable,
  transactWrite,
} from './toolkit.ts';

/**
 * {@link ModelDeletionStore}: a deletion commits in one conditional
 * transaction on the items that lead to the rest (the name and model
 * items; the version item and the model's stage set), together with the
 * purge of its managed files (`ArtifactPurgeStore`), then purges what
 * nothing reaches any more from the model's partition.
 */
export class DynamoDBModelDeletions implements ModelDeletionStore {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = table;
  }

  async deleteModel(record: ModelRecord, now: number): Promise<void> {
    const { model } = record;
    const { client, tableName } = this.#table;
    // The commit point: once the name and model items are gone, nothing
    // reaches the partition's other items, which are then purged.
    await transactWrite(client, [
      {
        Delete: {
          TableName: tableName,
          Key: keys.registeredModelName(model.name),
          ConditionExpression: 'modelId = :id',
          ExpressionAttributeValues: { ':id': model.id },
        },
      },
      {
        Delete: {
          TableName: tableName,
          Key: keys.registeredModel(model.id),
          ConditionExpression: 'revision = :revision',
          ExpressionAttributeValues: { ':revision': record.revision },
        },
      },
      // Planned on the members (no version in Staging or Production).
      membersCheck(tableName, record),
      artifactPurgePut(tableName, { modelId: model.id, requestedAt: now }),
    ]);
    await this.#purge(modelPartition(model.id), '');
  }

  async deleteVersion(deletion: VersionDeletion): Promise<void> {
    const { model } = deletion.record;
    const { client, tableName } = this.#table;
    const before = stagesOf(deletion.record);
    const members = {
      ...before,
      [deletion.stage]: before[deletion.stage].filter(
        (v) => v !== deletion.version
      ),
    };
    // The version's aliases go with it.
    const names: Record<string, string> = {};
    const removes = deletion.aliases.map((alias, i) => {
      names[`#alias${i}`] = alias;
      return `aliases.#alias${i}`;
    });
    await transactWrite(client, [
      ...membershipChange(tableName, deletion.record, members, deletion.now, {
        removes,
        names,
      }),
      {
        Delete: {
          TableName: tableName,
          Key: keys.modelVersion(model.id, deletion.version),
          ConditionExpression: 'currentStage = :stage',
          ExpressionAttributeValues: { ':stage': deletion.stage },
        },
      },
      artifactPurgePut(tableName, {
        modelId: model.id,
        version: deletion.version,
        requestedAt: deletion.now,
      }),
    ]);
    await this.#purge(
      modelPartition(model.id),
      activityPrefix(deletion.version)
    );
  }

  /** Deletes every item of a partition whose sort key starts with `prefix`. */
  async #purge(partition: string, prefix: string): Promise<void> {
    const items = await queryAll(this.#table.client, {
      TableName: this.#table.tableName,
      KeyConditionExpression:
        prefix === '' ? 'PK = :pk' : 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues:
        prefix === ''
          ? { ':pk': partition }
          : { ':pk': partition, ':prefix': prefix },
      ProjectionExpression: 'PK, SK',
      ConsistentRead: true,
    });
    await batchDeleteAll(
      this.#table,
      items.map((item) => ({ PK: item.PK, SK: item.SK }))
    );
  }
}
