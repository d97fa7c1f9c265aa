import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDBArtifactPurgeStore } from '#adapters/dynamodb/artifact-purge-store.ts';
import { DynamoDBDeliveryStore } from '#adapters/dynamodb/delivery-store.ts';
import { DynamoDBEmailLedger } from '#adapters/dynamodb/email-ledger.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBIpAccessStore } from '#adapters/dynamodb/ip-access-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBOAuthSecretStore } from '#adapters/dynamodb/oauth-secret-store.ts';
import { DynamoDBOutboxStore } from '#adapters/dynamodb/outbox-store.ts';
import {
  DynamoDBTransitionRequestStore,
  repositionLegacyPendingRequests,
} from '#adapters/dynamodb/transition-request-store.ts';
import {
  bindLegacyWebhooks,
  DynamoDBWebhookStore,
} from '#adapters/dynamodb/webhook-store.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import type { RegisteredModel } from '#domain/registered-model.ts';
import type { TransitionRequest } from '#domain/transition-request.ts';
import { describeArtifactPurgeStoreContract } from '#test/store-contract/artifact-purge-store.contract.ts';
import { describeDeliveryStoreContract } from '#test/store-contract/delivery-store.contract.ts';
import { describeEmailLedgerContract } from '#test/store-contract/email-ledger.contract.ts';
import { describeIdentityStoreContract } from '#test/store-contract/identity-store.contract.ts';
import { describeIpAccessStoreContract } from '#test/store-contract/ip-access-store.contract.ts';
import { describeModelRegistryStoreContract } from '#test/store-contract/model-registry-store.contract.ts';
import { describeOAuthSecretStoreContract } from '#test/store-contract/oauth-secret-store.contract.ts';
import { describeTransitionRequestStoreContract } from '#test/store-contract/transition-request-store.contract.ts';
import { describeWebhookStoreContract } from '#test/store-contract/webhook-store.contract.ts';
import { useDynamoDBLocalTable } from '#test/support/dynamodb-local-table.ts';

const TABLE_NAME = 'unit-dynamodb-stores';

const table = useDynamoDBLocalTable(TABLE_NAME, 'ddb');

function documentClient(): DynamoDBDocumentClient {
  return table().client;
}

/**
 * One table per file (DynamoDB Local starts once); emptying it before each
 * case gives every contract case the empty store it expects.
 */
async function emptyTable(): Promise<DynamoDBDocumentClient> {
  const documents = documentClient();
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: TABLE_NAME,
        ProjectionExpression: 'PK, SK',
        ConsistentRead: true,
        ExclusiveStartKey: exclusiveStartKey,
      })
    );
    const items = page.Items ?? [];
    const batches: Record<string, unknown>[][] = [];
    for (let start = 0; start < items.length; start += 25) {
      batches.push(items.slice(start, start + 25));
    }
    await Promise.all(
      batches.map(async (batch) => {
        const result = await documents.send(
          new BatchWriteCommand({
            RequestItems: {
              [TABLE_NAME]: batch.map((key) => ({
                DeleteRequest: { Key: key },
              })),
            },
          })
        );
        if (Object.keys(result.UnprocessedItems ?? {}).length > 0) {
          throw new Error('DynamoDB Local left items undeleted.');
        }
      })
    );
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return documents;
}

describeModelRegistryStoreContract(
  'DynamoDB Local',
  async () =>
    new DynamoDBModelRegistryStore({
      client: await emptyTable(),
      tableName: TABLE_NAME,
    })
);

describeArtifactPurgeStoreContract('DynamoDB Local', async () => {
  const table = { client: await emptyTable(), tableName: TABLE_NAME };
  return {
    registry: new DynamoDBModelRegistryStore(table),
    purges: new DynamoDBArtifactPurgeStore(table),
  };
});

describeIdentityStoreContract(
  'DynamoDB Local',
  async () =>
    new DynamoDBIdentityStore({
      client: await emptyTable(),
      tableName: TABLE_NAME,
    })
);

describeIpAccessStoreContract(
  'DynamoDB Local',
  async () =>
    new DynamoDBIpAccessStore({
      client: await emptyTable(),
      tableName: TABLE_NAME,
    })
);

describeOAuthSecretStoreContract(
  'DynamoDB Local',
  async () =>
    new DynamoDBOAuthSecretStore({
      client: await emptyTable(),
      tableName: TABLE_NAME,
    })
);

describeWebhookStoreContract(
  'DynamoDB Local',
  async () =>
    new DynamoDBWebhookStore({
      client: await emptyTable(),
      tableName: TABLE_NAME,
    })
);

describe('DynamoDBIdentityStore with principals stored before the directory', () => {
  /** A principal item as the store wrote it before SCIM existed. */
  const legacyAdmin = {
    PK: 'PRINCIPAL#1',
    SK: '#PRINCIPAL',
    entity: 'Principal',
    id: '1',
    userName: 'admin',
    kind: 'user',
    isAdmin: true,
    groups: ['admins'],
  };

  it('reads them as stored, and as active directory principals without groups', async () => {
    // Prepare
    const client = await emptyTable();
    await client.send(
      new PutCommand({ TableName: TABLE_NAME, Item: legacyAdmin })
    );
    const store = new DynamoDBIdentityStore({ client, tableName: TABLE_NAME });

    // Act
    const principal = await store.getPrincipal('1');
    const directoryPrincipal = await store.getDirectoryPrincipal('1');

    // Assess
    expect(principal).toStrictEqual({
      id: '1',
      userName: 'admin',
      kind: 'user',
      isAdmin: true,
      groups: ['admins'],
    });
    expect(directoryPrincipal).toStrictEqual({
      id: '1',
      kind: 'user',
      userName: 'admin',
      displayName: 'admin',
      active: true,
      groups: [],
    });
    expect(await store.listDirectoryPrincipals('user')).toStrictEqual([]);
  });

  it('upgrades one to the directory when it is made a member', async () => {
    // Prepare
    const client = await emptyTable();
    await client.send(
      new PutCommand({ TableName: TABLE_NAME, Item: legacyAdmin })
    );
    const store = new DynamoDBIdentityStore({ client, tableName: TABLE_NAME });

    // Act
    await store.ensureDirectoryMember(
      { id: '1', userName: 'admin', kind: 'user', isAdmin: true, groups: [] },
      'admins',
      '2000000000000002'
    );

    // Assess
    expect(await store.listDirectoryPrincipals('user')).toStrictEqual([
      {
        id: '1',
        kind: 'user',
        userName: 'admin',
        displayName: 'admin',
        active: true,
        groups: [{ id: '2000000000000002', displayName: 'admins' }],
      },
    ]);
    expect(await store.getPrincipal('1')).toMatchObject({
      isAdmin: true,
      groups: ['admins'],
    });
  });
});

describeTransitionRequestStoreContract('DynamoDB Local', async () => {
  const options = { client: await emptyTable(), tableName: TABLE_NAME };
  return {
    models: new DynamoDBModelRegistryStore(options),
    requests: new DynamoDBTransitionRequestStore(options),
    outbox: new DynamoDBOutboxStore(options),
  };
});

describeDeliveryStoreContract(
  'DynamoDB Local',
  async () =>
    new DynamoDBDeliveryStore({
      client: await emptyTable(),
      tableName: TABLE_NAME,
    })
);

describeEmailLedgerContract(
  'DynamoDB Local',
  async () =>
    new DynamoDBEmailLedger({
      client: await emptyTable(),
      tableName: TABLE_NAME,
    })
);

describe('bindLegacyWebhooks', () => {
  const T0 = 1_700_000_000_000;

  function aModel(id: string, name: string, created: number): RegisteredModel {
    return {
      id,
      name,
      description: '',
      creationTimestamp: created,
      lastUpdatedTimestamp: created,
      userId: 'alice@example.com',
      tags: [],
      aliases: [],
    };
  }

  /** A webhook item as stored before webhooks were bound to model ids. */
  function legacyItem(id: string, modelName: string | undefined) {
    return {
      PK: `WEBHOOK#${id}`,
      SK: '#WEBHOOK',
      GSI1PK:
        modelName === undefined
          ? 'WEBHOOKS#REGISTRY'
          : `WEBHOOKS#MODEL#${modelName}`,
      GSI1SK: id,
      GSI2PK: 'WEBHOOKS',
      GSI2SK: id,
      entity: 'Webhook',
      id,
      ...(modelName === undefined ? {} : { modelName }),
      events: ['COMMENT_CREATED'],
      status: 'ACTIVE',
      httpUrlSpec: { url: 'https://hooks.example.com/x', secret: 'shh' },
      creationTimestamp: T0,
      lastUpdatedTimestamp: T0,
    };
  }

  it('binds a legacy webhook to the model of its name unless that model is younger, and is idempotent', async () => {
    // Prepare: `kept` existed before its webhook; `reused` was made after
    // its webhook (its name was taken over); `gone` does not exist.
    const client = await emptyTable();
    const options = { client, tableName: TABLE_NAME };
    const models = new DynamoDBModelRegistryStore(options);
    const webhooks = new DynamoDBWebhookStore(options);
    const keptId = '1'.repeat(32);
    await models.createRegisteredModel(aModel(keptId, 'kept', T0 - 1), []);
    await models.createRegisteredModel(
      aModel('2'.repeat(32), 'reused', T0 + 1),
      []
    );
    const ids = { kept: 'a'.repeat(32), reused: 'b'.repeat(32) };
    const gone = 'c'.repeat(32);
    const registryWide = 'd'.repeat(32);
    for (const item of [
      legacyItem(ids.kept, 'kept'),
      legacyItem(ids.reused, 'reused'),
      legacyItem(gone, 'gone'),
      legacyItem(registryWide, undefined),
    ]) {
      await client.send(new PutCommand({ TableName: TABLE_NAME, Item: item }));
    }
    const beforeBinding = await webhooks.list({ limit: 10 });

    // Act
    const first = await bindLegacyWebhooks(options);
    const second = await bindLegacyWebhooks(options);

    // Assess
    expect(beforeBinding.webhooks.map((webhook) => webhook.id)).toEqual([
      registryWide,
    ]);
    expect(beforeBinding.lastId).toBe(registryWide);
    expect(first).toEqual({ bound: 1, deleted: 2 });
    expect(second).toEqual({ bound: 0, deleted: 0 });
    expect(await webhooks.get(ids.kept)).toMatchObject({
      id: ids.kept,
      modelId: keptId,
    });
    expect(await webhooks.get(ids.kept)).not.toHaveProperty('modelName');
    expect(
      (await webhooks.list({ modelId: keptId, limit: 10 })).webhooks.map(
        (webhook) => webhook.id
      )
    ).toEqual([ids.kept]);
    expect(await webhooks.get(ids.reused)).toBeUndefined();
    expect(await webhooks.get(gone)).toBeUndefined();
    expect(await webhooks.get(registryWide)).not.toHaveProperty('modelId');
  });
});

describe('repositionLegacyPendingRequests', () => {
  const T0 = 1_700_000_000_000;
  const MODEL_ID = 'e'.repeat(32);

  it('moves requests indexed at their expiry to their creation, so the inbox walks them newest first', async () => {
    // Prepare: the older request expires later than the newer one.
    const client = await emptyTable();
    const options = { client, tableName: TABLE_NAME };
    const models = new DynamoDBModelRegistryStore(options);
    const requests = new DynamoDBTransitionRequestStore(options);
    await models.createRegisteredModel(
      {
        id: MODEL_ID,
        name: 'legacy',
        description: '',
        creationTimestamp: T0,
        lastUpdatedTimestamp: T0,
        userId: 'alice@example.com',
        tags: [],
        aliases: [],
      },
      []
    );
    const record = await models.getModelRecordById(MODEL_ID);
    if (!record) throw new Error('no model');
    const version: ModelVersion = {
      modelId: MODEL_ID,
      version: 1,
      currentStage: 'None',
      description: '',
      source: 's3://b/1',
      runId: '',
      runLink: '',
      status: 'READY',
      statusMessage: '',
      tags: [],
      creationTimestamp: T0,
      lastUpdatedTimestamp: T0,
      userId: 'alice@example.com',
    };
    await models.createVersion(record, version);
    const request = (n: number, created: number, expires: number) =>
      ({
        id: String(n).repeat(32),
        modelId: MODEL_ID,
        version: 1,
        toStage: 'Staging',
        fromStage: 'None',
        creator: `user-${n}`,
        comment: '',
        status: 'OPEN',
        creationTimestamp: created,
        lastUpdatedTimestamp: created,
        expiresAt: expires,
      }) satisfies TransitionRequest;
    const older = request(1, T0 + 1000, T0 + 9_000_000);
    const newer = request(2, T0 + 2000, T0 + 5_000_000);
    for (const made of [older, newer]) {
      await client.send(
        new PutCommand({
          TableName: TABLE_NAME,
          Item: {
            PK: `RM#${MODEL_ID}`,
            SK: `TR#${'1'.padStart(10, '0')}#${made.id}`,
            GSI1PK: `TRID#${made.id}`,
            GSI1SK: '#TR',
            GSI2PK: 'TR#OPEN',
            GSI2SK: `${String(made.expiresAt).padStart(15, '0')}#${made.id}`,
            entity: 'TransitionRequest',
            ...made,
          },
        })
      );
    }
    const before = await requests.listOpenRequestsNewestFirst({ limit: 10 });

    // Act
    const moved = await repositionLegacyPendingRequests(options);
    const again = await repositionLegacyPendingRequests(options);

    // Assess
    expect(before.requests.map((r) => r.request.id)).toEqual([
      older.id,
      newer.id,
    ]);
    expect(moved).toBe(2);
    expect(again).toBe(0);
    const after = await requests.listOpenRequestsNewestFirst({ limit: 10 });
    expect(after.requests.map((r) => r.request.id)).toEqual([
      newer.id,
      older.id,
    ]);
  });
});
