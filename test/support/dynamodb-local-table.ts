import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import type { RegistryTable } from '#adapters/dynamodb/toolkit.ts';
import {
  type DynamoDBLocal,
  ensureRegistryTable,
  startDynamoDBLocal,
} from '#local/dynamodb/dynamodb-local.ts';
import { findFreePort } from '#local/ports.ts';

/**
 * A DynamoDB Local of the calling test file's own (a free port, a data
 * directory of its own) holding the registry's table `tableName`: started
 * before the file's tests, stopped and removed after them.
 * @returns the table's accessor, usable once the file's tests run.
 */
export function useDynamoDBLocalTable(
  tableName: string,
  dataDirPrefix: string
): () => RegistryTable {
  let dataDir: string | undefined;
  let dynamodb: DynamoDBLocal | undefined;
  let client: DynamoDBDocumentClient | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), `stagegate-${dataDirPrefix}-`));
    dynamodb = await startDynamoDBLocal({
      dataDir,
      port: await findFreePort(),
    });
    await ensureRegistryTable(dynamodb.endpoint, tableName);
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

  return () => {
    if (!client) throw new Error('DynamoDB Local did not start.');
    return { client, tableName };
  };
}
