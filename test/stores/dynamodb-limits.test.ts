/**
 * KNOWN BUGS, kept out of the committed suite (the name does not match
 * vitest's `*.test.ts`): inputs the domain accepts, or a client can forge,
 * that DynamoDB refuses with a ValidationException, which the API answers
 * as 500 INTERNAL_ERROR instead of 400 INVALID_PARAMETER_VALUE.
 * Rename to `dynamodb-limits.test.ts` once fixed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { decodePageToken, encodePageToken } from '#domain/pagination.ts';
import type { Principal } from '#domain/principal.ts';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { createRegisteredModel } from '#domain/registry/models.ts';
import { searchRegisteredModels } from '#domain/registry/search.ts';
import {
  type DynamoDBLocal,
  ensureRegistryTable,
  startDynamoDBLocal,
} from '#local/dynamodb/dynamodb-local.ts';
import { findFreePort } from '#local/ports.ts';

const TABLE_NAME = 'unit-dynamodb-limits';
const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: [],
};

let dataDir: string;
let dynamodb: DynamoDBLocal | undefined;
let deps: RegistryDependencies;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stagegate-ddb-'));
  dynamodb = await startDynamoDBLocal({ dataDir, port: await findFreePort() });
  await ensureRegistryTable(dynamodb.endpoint, TABLE_NAME);
  const client = createDocumentClient(
    new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    })
  );
  let nextId = 0;
  deps = {
    store: new DynamoDBModelRegistryStore({ client, tableName: TABLE_NAME }),
    now: () => 1_700_000_000_000,
    newId: () => (nextId++).toString(16).padStart(32, '0'),
  };
}, 60_000);

afterAll(async () => {
  await dynamodb?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 30_000);

describe('registry service on DynamoDB', () => {
  describe('createRegisteredModel', () => {
    it('stores 50 tags of maximal length in a 3-byte script, or refuses them as invalid', async () => {
      // Prepare
      const tags = Array.from({ length: 50 }, (_, i) => ({
        key: `k${i}`,
        value: '界'.repeat(5000),
      }));

      // Act
      const outcome = await createRegisteredModel(deps, alice, {
        name: 'cjk-tags',
        tags,
      }).then(
        () => 'stored',
        (error: unknown) => error
      );

      // Assess
      if (outcome !== 'stored') {
        expect(outcome).toBeInstanceOf(InvalidParameterValueError);
        expect(outcome).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
      }
    });
  });

  describe('searchRegisteredModels', () => {
    it('refuses a forged page token whose cursor is longer than any name', async () => {
      // Prepare
      await createRegisteredModel(deps, alice, { name: 'a' });
      await createRegisteredModel(deps, alice, { name: 'b' });
      const { nextPageToken } = await searchRegisteredModels(deps, {
        maxResults: 1,
      });
      const cursor = decodePageToken(nextPageToken ?? '');
      const pageToken = encodePageToken({ ...cursor, p: 'x'.repeat(1100) });

      // Act
      const failure = await searchRegisteredModels(deps, { pageToken }).catch(
        (error: unknown) => error
      );

      // Assess
      expect(failure).toBeInstanceOf(InvalidParameterValueError);
      expect(failure).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
    });
  });
});
