import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import {
  type DynamoDBLocal,
  ensureRegistryTable,
  startDynamoDBLocal,
} from '#local/dynamodb/dynamodb-local.ts';
import { findFreePort } from '#local/ports.ts';
import { describeIdentityStoreContract } from '#test/store-contract/identity-store.contract.ts';
import { describeModelRegistryStoreContract } from '#test/store-contract/model-registry-store.contract.ts';

const TABLE_NAME = 'unit-dynamodb-stores';

let dataDir: string;
let dynamodb: DynamoDBLocal | undefined;
let client: DynamoDBDocumentClient | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stagegate-ddb-'));
  dynamodb = await startDynamoDBLocal({ dataDir, port: await findFreePort() });
  await ensureRegistryTable(dynamodb.endpoint, TABLE_NAME);
  client = createDocumentClient(
    new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    })
  );
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await dynamodb?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 30_000);

function documentClient(): DynamoDBDocumentClient {
  if (!client) throw new Error('DynamoDB Local did not start.');
  return client;
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

describeIdentityStoreContract(
  'DynamoDB Local',
  async () =>
    new DynamoDBIdentityStore({
      client: await emptyTable(),
      tableName: TABLE_NAME,
    })
);
