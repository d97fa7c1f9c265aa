import {
  DeleteCommand,
  GetCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDBAccessReads } from '#adapters/dynamodb/access-reads.ts';
import { keys } from '#adapters/dynamodb/keys.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { ConcurrentModificationError } from '#domain/errors.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import type { ModelRecord } from '#ports/model-registry-store.ts';
import { useDynamoDBLocalTable } from '#test/support/dynamodb-local-table.ts';
import {
  aModelVersion,
  aRegisteredModel,
} from '#test/support/registry-fixtures.ts';

/**
 * The stage members item and the model item's bounds (stage-members.ts)
 * on DynamoDB Local: what the shared contract cannot reach from the port —
 * model items from before the members had their own item, bounds marked
 * inexact, and a plan on members that changed underneath.
 */
const TABLE_NAME = 'unit-stage-members';
const NOW = 1_700_000_000_000;

const table = useDynamoDBLocalTable(TABLE_NAME, 'stage-members');
let sequence = 0;

/** A model with versions 1..count in None, through the store. */
async function modelWith(count: number): Promise<{
  store: DynamoDBModelRegistryStore;
  id: string;
}> {
  const store = new DynamoDBModelRegistryStore(table());
  sequence += 1;
  const id = `${sequence}`.padStart(32, 'a');
  await store.createRegisteredModel(
    aRegisteredModel({ id, name: `members-${sequence}` }),
    []
  );
  for (let i = 0; i < count; i += 1) {
    await store.createVersion(
      await recordById(store, id),
      versionOf(id, i + 1)
    );
  }
  return { store, id };
}

function versionOf(modelId: string, version: number): ModelVersion {
  return aModelVersion({ modelId, version, source: `s3://bucket/${version}` });
}

async function recordById(
  store: DynamoDBModelRegistryStore,
  id: string
): Promise<ModelRecord> {
  const record = await store.getModelRecordById(id);
  if (!record) throw new Error(`no model ${id}`);
  return record;
}

async function modelItem(id: string) {
  const { Item } = await table().client.send(
    new GetCommand({
      TableName: TABLE_NAME,
      Key: keys.registeredModel(id),
      ConsistentRead: true,
    })
  );
  return Item ?? {};
}

/** The bounds of a model read alone, as search and a model read get them. */
async function boundsAlone(store: DynamoDBModelRegistryStore, id: string) {
  const [record] = await store.getModelRecordsByIds([id]);
  const read = await new DynamoDBAccessReads(table()).read({
    principalId: 'nobody',
    model: { id },
    rootGrants: false,
    versions: [],
    stageMembers: false,
  });
  expect(read.record?.stageBounds).toStrictEqual(record?.stageBounds);
  return record?.stageBounds;
}

describe('stage members and bounds on DynamoDB Local', () => {
  it('reads a model item that still holds its number sets, and moves them on its next transition', async () => {
    // Prepare: versions 1 and 2 as stored before the members item, on the
    // model item itself, with no bounds.
    const { store, id } = await modelWith(2);
    await table().client.send(
      new UpdateCommand({
        TableName: TABLE_NAME,
        Key: keys.registeredModel(id),
        UpdateExpression:
          'SET stage_None = :versions REMOVE stageBoundsExact, lowest_None, highest_None',
        ExpressionAttributeValues: { ':versions': new Set([1, 2]) },
      })
    );
    await table().client.send(
      new DeleteCommand({
        TableName: TABLE_NAME,
        Key: keys.registeredModelStages(id),
      })
    );

    // Act
    const legacy = await recordById(store, id);
    const legacyBounds = await boundsAlone(store, id);
    await store.createVersion(legacy, versionOf(id, 3));
    const afterCreate = await recordById(store, id);
    const afterCreateBounds = await boundsAlone(store, id);
    await store.commitTransition({
      record: afterCreate,
      now: NOW + 1,
      target: { version: 1, from: 'None', to: 'Production' },
      archived: [],
      activities: [],
      stagesAfter: {
        None: [2, 3],
        Staging: [],
        Production: [1],
        Archived: [],
      },
    });

    // Assess: one membership throughout, on the members item at the end.
    expect(legacy.stages?.None).toStrictEqual([1, 2]);
    expect(legacyBounds).toStrictEqual({ None: { lowest: 1, highest: 2 } });
    expect(afterCreate.stages?.None).toStrictEqual([1, 2, 3]);
    expect(afterCreateBounds).toStrictEqual({
      None: { lowest: 1, highest: 3 },
    });
    const item = await modelItem(id);
    expect(item.stage_None).toBeUndefined();
    expect(item.stageBoundsExact).toBe(true);
    expect((await recordById(store, id)).stages).toStrictEqual({
      None: [2, 3],
      Staging: [],
      Production: [1],
      Archived: [],
    });
    expect(await boundsAlone(store, id)).toStrictEqual({
      None: { lowest: 2, highest: 3 },
      Production: { lowest: 1, highest: 1 },
    });
  });

  it('reads the members while the bounds are marked inexact, until a write planned on them', async () => {
    // Prepare: bounds that lie, marked inexact (what a create does when it
    // cannot keep them exact).
    const { store, id } = await modelWith(3);
    await table().client.send(
      new UpdateCommand({
        TableName: TABLE_NAME,
        Key: keys.registeredModel(id),
        UpdateExpression:
          'SET stageBoundsExact = :false, lowest_None = :wrong, highest_None = :wrong',
        ExpressionAttributeValues: { ':false': false, ':wrong': 99 },
      })
    );

    // Act
    const inexact = await boundsAlone(store, id);
    const record = await recordById(store, id);
    await store.commitTransition({
      record,
      now: NOW + 1,
      target: { version: 3, from: 'None', to: 'Staging' },
      archived: [],
      activities: [],
      stagesAfter: { None: [1, 2], Staging: [3], Production: [], Archived: [] },
    });

    // Assess
    expect(inexact).toStrictEqual({ None: { lowest: 1, highest: 3 } });
    expect((await modelItem(id)).stageBoundsExact).toBe(true);
    expect(await boundsAlone(store, id)).toStrictEqual({
      None: { lowest: 1, highest: 2 },
      Staging: { lowest: 3, highest: 3 },
    });
  });

  it('refuses a transition planned on members that changed since they were read', async () => {
    // Prepare: the members move on after the record was read (as when a
    // BatchGetItem read the model item before a transaction and the
    // members item after it).
    const { store, id } = await modelWith(2);
    const record = await recordById(store, id);
    await table().client.send(
      new UpdateCommand({
        TableName: TABLE_NAME,
        Key: keys.registeredModelStages(id),
        UpdateExpression: 'ADD revision :one',
        ExpressionAttributeValues: { ':one': 1 },
      })
    );

    // Act
    const attempt = store.commitTransition({
      record,
      now: NOW + 1,
      target: { version: 1, from: 'None', to: 'Production' },
      archived: [],
      activities: [],
      stagesAfter: { None: [2], Staging: [], Production: [1], Archived: [] },
    });

    // Assess
    await expect(attempt).rejects.toThrow(ConcurrentModificationError);
    expect((await store.getVersion(id, 1))?.currentStage).toBe('None');
    expect((await recordById(store, id)).stages?.Production).toStrictEqual([]);
  });
});
