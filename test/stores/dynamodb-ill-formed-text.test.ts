import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import type { Principal } from '#domain/principal.ts';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import {
  createRegisteredModel,
  deleteRegisteredModel,
  deleteRegisteredModelTag,
  getRegisteredModel,
  renameRegisteredModel,
} from '#domain/registry/models.ts';
import {
  searchModelVersions,
  searchRegisteredModels,
} from '#domain/registry/search.ts';
import {
  createModelVersion,
  deleteModelVersionTag,
  getModelVersion,
} from '#domain/registry/versions.ts';
import {
  type DynamoDBLocal,
  ensureRegistryTable,
  startDynamoDBLocal,
} from '#local/dynamodb/dynamodb-local.ts';
import { withWellFormedFieldNames } from '#local/dynamodb/repair-field-names.ts';
import { findFreePort } from '#local/ports.ts';

const TABLE_NAME = 'unit-ill-formed-text';
const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: [],
};

let dataDir: string;
let dynamodb: DynamoDBLocal | undefined;
let nextId = 0;

async function start(): Promise<RegistryDependencies> {
  dynamodb = await startDynamoDBLocal({ dataDir, port: await findFreePort() });
  await ensureRegistryTable(dynamodb.endpoint, TABLE_NAME);
  const client = createDocumentClient(
    new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    })
  );
  return {
    store: new DynamoDBModelRegistryStore({ client, tableName: TABLE_NAME }),
    now: () => 1_700_000_000_000,
    newId: () => (nextId++).toString(16).padStart(32, '0'),
  };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stagegate-ddb-text-'));
}, 60_000);

afterAll(async () => {
  await dynamodb?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 30_000);

describe('items stored with a lone surrogate in a map key', () => {
  it('are unreadable in DynamoDB Local until its next start repairs them, then readable and repairable', async () => {
    // Prepare: what the API wrote before its edge refused lone surrogates
    let deps = await start();
    const model = await createRegisteredModel(deps, alice, {
      name: 'poisoned',
      tags: [{ key: 'keep', value: 'v' }],
    });
    await createModelVersion(deps, alice, {
      name: 'poisoned',
      source: 's3://b/1',
    });
    await createRegisteredModel(deps, alice, { name: 'named\ud800' });
    await deps.store.setModelTag(model.id, 'lone-value', 'v\ud800');
    await deps.store.setVersionTag(model.id, 1, 'k\udc00', 'version tag');
    // The last write the item takes: from here on DynamoDB Local fails to
    // parse it on every access.
    await deps.store.setModelTag(model.id, 'k\ud800', 'model tag');
    const unreadable = await getRegisteredModel(deps, 'poisoned').then(
      () => 'read',
      (error: Error) => error.name
    );
    await dynamodb?.stop();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});

    // Act
    deps = await start();

    // Assess: readable, listed, with U+FFFD in the names' place
    expect(unreadable).toBe('InternalFailure');
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('repaired 2 stored item(s)')
    );
    warn.mockRestore();
    const view = await getRegisteredModel(deps, 'poisoned');
    expect(view.model.tags).toStrictEqual([
      { key: 'keep', value: 'v' },
      { key: 'k\ufffd', value: 'model tag' },
      { key: 'lone-value', value: 'v\ud800' },
    ]);
    const version = await getModelVersion(deps, {
      name: 'poisoned',
      version: '1',
    });
    expect(version.tags).toStrictEqual([
      { key: 'k\ufffd', value: 'version tag' },
    ]);
    const models = await searchRegisteredModels(deps, {});
    expect(models.models.map((m) => m.model.name)).toStrictEqual([
      'named\ud800',
      'poisoned',
    ]);
    const versions = await searchModelVersions(deps, {});
    expect(versions.versions).toHaveLength(1);

    // Assess: repairable by the form a caller can send
    await deleteRegisteredModelTag(deps, { name: 'poisoned', key: 'k\ufffd' });
    await deleteModelVersionTag(deps, {
      name: 'poisoned',
      version: 1,
      key: 'k\ufffd',
    });
    await renameRegisteredModel(deps, {
      name: 'poisoned',
      newName: 'repaired',
    });
    expect(
      (await getRegisteredModel(deps, 'repaired')).model.tags.map((t) => t.key)
    ).toStrictEqual(['keep', 'lone-value']);
    await deleteRegisteredModel(deps, { name: 'repaired' });
    await renameRegisteredModel(deps, {
      name: 'named\ufffd',
      newName: 'named-again',
    });
    expect(
      (await searchRegisteredModels(deps, {})).models.map((m) => m.model.name)
    ).toStrictEqual(['named-again']);
  }, 120_000);
});

describe('withWellFormedFieldNames', () => {
  it('replaces lone surrogates in field names at any depth, and nothing else', () => {
    // Prepare
    const item = {
      PK: { S: 'RM#1' },
      tags: { M: { 'k\ud800': { S: 'v\ud800' }, 'e😀': { S: 'ok' } } },
      list: { L: [{ M: { '\udc00': { S: 'x' } } }] },
    };

    // Act & Assess
    expect(withWellFormedFieldNames(item)).toStrictEqual({
      PK: { S: 'RM#1' },
      tags: { M: { 'k\ufffd': { S: 'v\ud800' }, 'e😀': { S: 'ok' } } },
      list: { L: [{ M: { '\ufffd': { S: 'x' } } }] },
    });
  });

  it('keeps both tags when the repaired name is taken', () => {
    // Act
    const fixed = withWellFormedFieldNames({
      M: { 'k\ud800': { S: 'lone' }, 'k\ufffd': { S: 'replacement' } },
    });

    // Assess
    expect(fixed).toStrictEqual({
      M: {
        'k\ufffd\ufffd': { S: 'lone' },
        'k\ufffd': { S: 'replacement' },
      },
    });
  });

  it('answers the same value when nothing needs repair', () => {
    // Prepare
    const item = { tags: { M: { k: { S: 'v\ud800' } } } };

    // Act & Assess
    expect(withWellFormedFieldNames(item)).toBe(item);
  });
});
