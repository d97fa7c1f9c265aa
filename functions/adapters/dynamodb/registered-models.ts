import {
  RegisteredModelAlreadyExistsError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import type { RegistryEvent } from '#domain/events.ts';
import type {
  Grant,
  PermissionLevel,
  RootPermissionLevel,
} from '#domain/permissions.ts';
import { byKey, type RegisteredModel } from '#domain/registered-model.ts';
import type {
  ModelAccess,
  ModelListingPage,
  ModelListingQuery,
  ModelRecord,
  RegisteredModelStore,
} from '#ports/model-registry-store.ts';
import { keys, lastUpdatedPosition } from './keys.ts';
import { aclMap, grantsFrom } from './model-acls.ts';
import { outboxPuts } from './outbox-store.ts';
import {
  BOUNDS_EXACT,
  type ModelFields,
  membersCheck,
  needsMembers,
  withStageMembership,
} from './stage-members.ts';
import { deleteTag, setTag, tagMap, tagsFrom } from './tags.ts';
import {
  batchGetAll,
  getItem,
  type Item,
  queryPage,
  type RegistryTable,
  transactWrite,
  updateExisting,
} from './toolkit.ts';

/** Past the last possible character, for BETWEEN on a name prefix. */
const MAX_CHAR = '\u{10FFFF}';

/**
 * {@link RegisteredModelStore}: a model is its item (`RM#<id>`/`#RM`) plus
 * a name item (`RMNAME#<name>`) whose conditional put makes names unique.
 * The model item also carries its tags, aliases and grants, the stage
 * membership (one number set per stage), the version counter and the
 * revision that conditional writes check. GSI1 lists models by name, GSI2
 * by last update.
 */
export class DynamoDBRegisteredModels implements RegisteredModelStore {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = table;
  }

  async createRegisteredModel(
    model: RegisteredModel,
    grants: readonly Grant[],
    events?: readonly RegistryEvent[]
  ): Promise<void> {
    const { client, tableName } = this.#table;
    const [nameItem, modelItem] = newModelItems(model, grants);
    await transactWrite(
      client,
      [
        {
          Put: {
            TableName: tableName,
            Item: nameItem,
            // The name item is the lock: a concurrent create of the same
            // name cancels the whole transaction, model item included. On
            // AWS that may surface as a conflict rather than a failed
            // condition; the caller's retry then gets the condition's answer.
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: modelItem,
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        ...outboxPuts(tableName, events),
      ],
      { 0: () => new RegisteredModelAlreadyExistsError(model.name) }
    );
  }

  async getModelRecordByName(name: string): Promise<ModelRecord | undefined> {
    const nameItem = await getItem(this.#table, keys.registeredModelName(name));
    const modelId = nameItem?.modelId;
    if (typeof modelId !== 'string') return undefined;
    const record = await this.getModelRecordById(modelId);
    // A rename between the two reads: the id now answers to another name.
    return record?.model.name === name ? record : undefined;
  }

  async getModelAccessByName(name: string): Promise<ModelAccess> {
    // The name item and root's grants in one round trip, then the model.
    const nameKey = keys.registeredModelName(name);
    const items = await batchGetAll(this.#table, [nameKey, keys.rootAcl]);
    const nameItem = items.find((item) => item.PK === nameKey.PK);
    const modelId = nameItem?.modelId;
    const record =
      typeof modelId === 'string'
        ? await this.getModelRecordById(modelId)
        : undefined;
    return {
      // A rename between the two reads: the id now answers to another name.
      record: record?.model.name === name ? record : undefined,
      rootGrants: rootGrantsIn(items),
    };
  }

  async getModelAccessById(id: string): Promise<ModelAccess> {
    const items = await batchGetAll(this.#table, [
      keys.registeredModel(id),
      keys.registeredModelStages(id),
      keys.rootAcl,
    ]);
    return {
      record: recordWithStagesIn(items, id),
      rootGrants: rootGrantsIn(items),
    };
  }

  async getModelRecordById(
    id: string,
    options: { readonly stages?: boolean } = {}
  ): Promise<ModelRecord | undefined> {
    if (options.stages === false) {
      const [record] = await this.getModelRecordsByIds([id]);
      return record;
    }
    const items = await batchGetAll(this.#table, [
      keys.registeredModel(id),
      keys.registeredModelStages(id),
    ]);
    return recordWithStagesIn(items, id);
  }

  async getModelRecordsByIds(
    ids: readonly string[],
    options: { readonly stages?: boolean } = {}
  ): Promise<readonly ModelRecord[]> {
    if (!options.stages) {
      return recordsOf(
        this.#table,
        await batchGetAll(
          this.#table,
          ids.map((id) => keys.registeredModel(id))
        )
      );
    }
    const items = await batchGetAll(
      this.#table,
      ids.flatMap((id) => [
        keys.registeredModel(id),
        keys.registeredModelStages(id),
      ])
    );
    return [...new Set(ids)].flatMap(
      (id) => recordWithStagesIn(items, id) ?? []
    );
  }

  async listModels(query: ModelListingQuery): Promise<ModelListingPage> {
    const byName = query.orderBy === 'name';
    const index = byName ? 'GSI1' : 'GSI2';
    const pk = byName ? 'GSI1PK' : 'GSI2PK';
    const sk = byName ? 'GSI1SK' : 'GSI2SK';
    const values: Item = {
      ':pk': byName
        ? keys.registeredModelsByName
        : keys.registeredModelsByUpdate,
    };
    let condition = `${pk} = :pk`;
    // An empty prefix is no prefix: a key condition cannot hold "".
    const namePrefix = query.namePrefix || undefined;
    if (byName && namePrefix !== undefined && !query.descending) {
      // Prefix and cursor in one key condition: BETWEEN the later of the
      // two and the end of the prefix range. Names never contain U+0000,
      // so `after + U+0000` is the first name strictly after the cursor
      // (also when the cursor is the prefix itself, a model's full name).
      const from =
        query.after !== undefined && byteCompare(query.after, namePrefix) >= 0
          ? `${query.after}\u0000`
          : namePrefix;
      const to = `${namePrefix}${MAX_CHAR}`;
      // A cursor past the prefix range (a token from another filter) has
      // nothing after it; DynamoDB refuses an inverted BETWEEN.
      if (byteCompare(from, to) > 0) {
        return { records: [], positions: [], exhausted: true };
      }
      condition += ` AND ${sk} BETWEEN :from AND :to`;
      values[':from'] = from;
      values[':to'] = to;
    } else if (query.after !== undefined) {
      condition += ` AND ${sk} ${query.descending ? '<' : '>'} :after`;
      values[':after'] = query.after;
    }
    const page = await queryPage(
      this.#table.client,
      {
        TableName: this.#table.tableName,
        IndexName: index,
        KeyConditionExpression: condition,
        ExpressionAttributeValues: values,
        ScanIndexForward: !query.descending,
      },
      query.limit
    );
    return {
      records: await recordsOf(this.#table, page.items),
      positions: page.items.map((item) => String(item[sk])),
      exhausted: page.exhausted,
    };
  }

  async updateModelDescription(
    model: RegisteredModel,
    description: string,
    now: number
  ): Promise<void> {
    await updateExisting(this.#table, {
      Key: keys.registeredModel(model.id),
      UpdateExpression:
        'SET description = :d, lastUpdatedTimestamp = :now, GSI2SK = :position',
      ExpressionAttributeValues: {
        ':d': description,
        ':now': now,
        ':position': lastUpdatedPosition(now, model.name),
      },
    });
  }

  async renameModel(
    record: ModelRecord,
    newName: string,
    now: number
  ): Promise<void> {
    const { model } = record;
    const { client, tableName } = this.#table;
    await transactWrite(
      client,
      [
        {
          Delete: {
            TableName: tableName,
            Key: keys.registeredModelName(model.name),
            ConditionExpression: 'modelId = :id',
            ExpressionAttributeValues: { ':id': model.id },
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: {
              ...keys.registeredModelName(newName),
              entity: 'RegisteredModelName',
              modelId: model.id,
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: keys.registeredModel(model.id),
            UpdateExpression:
              'SET #name = :name, GSI1SK = :name, GSI2SK = :position, lastUpdatedTimestamp = :now, revision = revision + :one',
            ConditionExpression: 'revision = :revision',
            ExpressionAttributeNames: { '#name': 'name' },
            ExpressionAttributeValues: {
              ':name': newName,
              ':position': lastUpdatedPosition(now, newName),
              ':now': now,
              ':one': 1,
              ':revision': record.revision,
            },
          },
        },
        // Planned on the members (no version in Staging or Production).
        membersCheck(tableName, record),
      ],
      { 1: () => new RegisteredModelAlreadyExistsError(newName) }
    );
  }

  async setModelTag(modelId: string, key: string, value: string) {
    await setTag(this.#table, keys.registeredModel(modelId), key, value);
  }

  async deleteModelTag(modelId: string, key: string): Promise<boolean> {
    return deleteTag(this.#table, keys.registeredModel(modelId), key);
  }

  async setAlias(modelId: string, alias: string, version: number) {
    const { client, tableName } = this.#table;
    const noSuchVersion = () =>
      new ResourceDoesNotExistError(`Model version ${version} does not exist.`);
    await transactWrite(
      client,
      [
        {
          ConditionCheck: {
            TableName: tableName,
            Key: keys.modelVersion(modelId, version),
            ConditionExpression: 'attribute_exists(PK)',
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: keys.registeredModel(modelId),
            // The revision bump makes a concurrent deletion of the version,
            // planned without this alias, fail and replan: no alias is left
            // pointing at a deleted version.
            UpdateExpression:
              'SET aliases.#alias = :version, revision = revision + :one',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeNames: { '#alias': alias },
            ExpressionAttributeValues: { ':version': version, ':one': 1 },
          },
        },
      ],
      { 0: noSuchVersion, 1: noSuchVersion }
    );
  }

  async deleteAlias(modelId: string, alias: string): Promise<void> {
    await updateExisting(this.#table, {
      Key: keys.registeredModel(modelId),
      UpdateExpression: 'REMOVE aliases.#alias',
      ExpressionAttributeNames: { '#alias': alias },
    });
  }
}

/** A new model's name item and model item, as its creation stores them. */
export function newModelItems(
  model: RegisteredModel,
  grants: readonly Grant[]
): [nameItem: Item, modelItem: Item] {
  return [
    {
      ...keys.registeredModelName(model.name),
      entity: 'RegisteredModelName',
      modelId: model.id,
    },
    {
      ...keys.registeredModel(model.id),
      ...modelIndexKeys(model.name, model.lastUpdatedTimestamp),
      entity: 'RegisteredModel',
      id: model.id,
      name: model.name,
      description: model.description,
      creationTimestamp: model.creationTimestamp,
      lastUpdatedTimestamp: model.lastUpdatedTimestamp,
      userId: model.userId,
      tags: tagMap(model.tags),
      aliases: {},
      acl: aclMap(grants),
      revision: 0,
      versionCounter: 0,
      [BOUNDS_EXACT]: true,
    },
  ];
}

/** DynamoDB orders string keys by their UTF-8 bytes. */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function modelIndexKeys(name: string, lastUpdatedTimestamp: number) {
  return {
    GSI1PK: keys.registeredModelsByName,
    GSI1SK: name,
    GSI2PK: keys.registeredModelsByUpdate,
    GSI2SK: lastUpdatedPosition(lastUpdatedTimestamp, name),
  };
}

function rootGrantsIn(
  items: readonly Item[]
): readonly Grant<RootPermissionLevel>[] | undefined {
  const root = items.find((item) => item.PK === keys.rootAcl.PK);
  return root ? grantsFrom<RootPermissionLevel>(root.acl) : undefined;
}

/**
 * The records of model items read alone: with their stage bounds, and
 * with their members only where the bounds need them (read in one more
 * batch).
 */
export async function recordsOf(
  table: RegistryTable,
  modelItems: readonly Item[]
): Promise<ModelRecord[]> {
  const needing = modelItems.filter(needsMembers);
  const stagesItems =
    needing.length === 0
      ? []
      : await batchGetAll(
          table,
          needing.map((item) => keys.registeredModelStages(String(item.id)))
        );
  return modelItems.map((item) =>
    modelRecordOf(
      item,
      needing.includes(item)
        ? (stagesItems.find((s) => s.PK === item.PK) ?? null)
        : undefined
    )
  );
}

/** The record of model `id` among items read with its members item. */
export function recordWithStagesIn(
  items: readonly Item[],
  id: string
): ModelRecord | undefined {
  const modelKey = keys.registeredModel(id);
  const stagesKey = keys.registeredModelStages(id);
  const modelItem = items.find(
    (item) => item.PK === modelKey.PK && item.SK === modelKey.SK
  );
  const stagesItem = items.find(
    (item) => item.PK === stagesKey.PK && item.SK === stagesKey.SK
  );
  return modelItem ? modelRecordOf(modelItem, stagesItem ?? null) : undefined;
}

/**
 * The record of a model item, with its stage members when `stagesItem` is
 * given (`null`: read, and absent); see {@link withStageMembership}.
 */
export function modelRecordOf(
  modelItem: Item,
  stagesItem?: Item | null
): ModelRecord {
  return withStageMembership(modelFields(modelItem), modelItem, stagesItem);
}

function modelFields(item: Item): ModelFields {
  const aliases = Object.entries((item.aliases ?? {}) as Record<string, number>)
    .map(([alias, version]) => ({ alias, version: Number(version) }))
    .sort(byKey((alias) => alias.alias));
  return {
    model: {
      id: String(item.id),
      name: String(item.name),
      description: String(item.description ?? ''),
      creationTimestamp: Number(item.creationTimestamp),
      lastUpdatedTimestamp: Number(item.lastUpdatedTimestamp),
      userId: String(item.userId ?? ''),
      tags: tagsFrom(item.tags),
      aliases,
    },
    revision: Number(item.revision ?? 0),
    versionCounter: Number(item.versionCounter ?? 0),
    grants: grantsFrom<PermissionLevel>(item.acl),
  };
}
