import { describe, expect, it } from 'vitest';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import { UploadNotUsableError } from '#domain/artifacts/errors.ts';
import type { UploadSession } from '#domain/artifacts/upload-session.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import { useDynamoDBLocalTable } from '#test/support/dynamodb-local-table.ts';
import {
  aModelVersion,
  aRegisteredModel,
} from '#test/support/registry-fixtures.ts';

const TABLE_NAME = 'unit-upload-sessions';
const NOW = 1_700_000_000_000;

const table = useDynamoDBLocalTable(TABLE_NAME, 'uploads');
let sequence = 0;

function stores() {
  const registryTable = table();
  return {
    uploads: new DynamoDBUploadSessionStore(registryTable),
    registry: new DynamoDBModelRegistryStore(registryTable),
  };
}

function newId(): string {
  sequence += 1;
  return `${Date.now().toString(16)}${sequence}`.padStart(32, '0').slice(-32);
}

function openSession(overrides: Partial<UploadSession> = {}): UploadSession {
  return {
    id: newId(),
    ownerId: '42',
    ownerName: 'alice',
    status: 'OPEN',
    createdAt: NOW,
    urlsExpireAt: NOW + 900_000,
    files: [
      { path: 'MLmodel', size: 10 },
      {
        path: 'w.bin',
        size: 70 * 1024 * 1024,
        multipart: {
          uploadId: 'mpu',
          partSize: 16 * 1024 * 1024,
          partCount: 5,
        },
      },
    ],
    ...overrides,
  };
}

const manifest = [
  {
    path: 'MLmodel',
    size: 10,
    sha256: 'a'.repeat(64),
    etag: 'e1',
    versionId: 'v1',
  },
  {
    path: 'w.bin',
    size: 70 * 1024 * 1024,
    sha256: 'b'.repeat(64),
    etag: 'e2-5',
  },
];

async function modelWithCounter() {
  const { registry } = stores();
  const id = newId();
  await registry.createRegisteredModel(
    aRegisteredModel({
      id,
      name: `m-${id}`,
      creationTimestamp: NOW,
      lastUpdatedTimestamp: NOW,
      userId: 'alice',
    }),
    []
  );
  const record = await registry.getModelRecordById(id);
  if (!record) throw new Error('no model');
  return record;
}

function versionOf(modelId: string): ModelVersion {
  return aModelVersion({
    modelId,
    version: 1,
    source: 'stagegate-upload:x',
    status: 'PENDING_REGISTRATION',
    statusMessage: 'Copying artifacts',
    creationTimestamp: NOW,
    lastUpdatedTimestamp: NOW,
    userId: 'alice',
  });
}

describe('DynamoDBUploadSessionStore', () => {
  it('stores planned files, then replaces them by the manifest on completion', async () => {
    // Prepare
    const { uploads } = stores();
    const session = openSession();
    await uploads.create(session);

    // Act
    const before = await uploads.get(session.id);
    const completed = await uploads.complete(session.id, manifest, NOW + 1);
    const again = await uploads.complete(session.id, manifest, NOW + 2);
    const after = await uploads.get(session.id);

    // Assess
    expect(before).toMatchObject({ status: 'OPEN', files: session.files });
    expect(completed).toBe(true);
    expect(again).toBe(false);
    expect(after).toMatchObject({
      status: 'COMPLETED',
      completedAt: NOW + 1,
      manifest,
      files: [
        { path: 'MLmodel', size: 10 },
        { path: 'w.bin', size: 70 * 1024 * 1024 },
      ],
    });
  });

  it("keeps the model id a session is bound to, and reads an older session's absence of one", async () => {
    // Prepare
    const { uploads } = stores();
    const bound = openSession({ modelId: 'model-7' });
    const older = openSession();
    await uploads.create(bound);
    await uploads.create(older);

    // Act
    const [boundRead, olderRead] = await Promise.all([
      uploads.get(bound.id),
      uploads.get(older.id),
    ]);

    // Assess
    expect(boundRead?.modelId).toBe('model-7');
    expect(olderRead?.modelId).toBeUndefined();
  });

  it('lists sessions to clean by status and age, and forgets expired ones', async () => {
    // Prepare
    const { uploads } = stores();
    const old = openSession({ createdAt: NOW - 10_000 });
    const young = openSession({ createdAt: NOW + 10_000 });
    await uploads.create(old);
    await uploads.create(young);

    // Act
    const listed = await uploads.listForCleanup('OPEN', {
      before: NOW,
      limit: 100,
    });
    const expired = await uploads.expire(old.id, NOW);
    const expiredAgain = await uploads.expire(old.id, NOW);
    const relisted = await uploads.listForCleanup('OPEN', {
      before: NOW,
      limit: 100,
    });

    // Assess
    expect(listed.map((s) => s.id)).toContain(old.id);
    expect(listed.map((s) => s.id)).not.toContain(young.id);
    expect(expired).toBe(true);
    expect(expiredAgain).toBe(false);
    expect(relisted.map((s) => s.id)).not.toContain(old.id);
    expect((await uploads.get(old.id))?.status).toBe('EXPIRED');
  });
});

describe('DynamoDBUploadSessionStore.renew', () => {
  it('measures an open session’s abandonment from its last renewal, and renews only open ones', async () => {
    // Prepare
    const { uploads } = stores();
    const session = openSession({ createdAt: NOW - 10_000 });
    await uploads.create(session);

    // Act
    const renewed = await uploads.renew(session.id, NOW + 900_000, NOW + 5000);
    const listed = await uploads.listForCleanup('OPEN', {
      before: NOW,
      limit: 100,
    });
    await uploads.expire(session.id, NOW + 6000);
    const renewedExpired = await uploads.renew(session.id, NOW, NOW + 7000);

    // Assess
    expect(renewed).toBe(true);
    expect(listed.map((s) => s.id)).not.toContain(session.id);
    expect(renewedExpired).toBe(false);
    expect(await uploads.get(session.id)).toMatchObject({
      urlsExpireAt: NOW + 900_000,
      renewedAt: NOW + 5000,
    });
  });
});

describe('DynamoDBModelRegistryStore.createVersion with an upload', () => {
  it('consumes a completed session of the owner in the version transaction', async () => {
    // Prepare
    const { uploads, registry } = stores();
    const session = openSession();
    await uploads.create(session);
    await uploads.complete(session.id, manifest, NOW);
    const record = await modelWithCounter();

    // Act
    await registry.createVersion(record, versionOf(record.model.id), {
      uploadId: session.id,
      ownerId: '42',
      now: NOW + 5,
      leaseExpiresAt: NOW + 300_005,
    });

    // Assess
    expect(await uploads.get(session.id)).toMatchObject({
      status: 'CONSUMED',
      consumedAt: NOW + 5,
      consumedBy: { modelId: record.model.id, version: 1 },
    });
    expect(
      (await uploads.listForCleanup('CONSUMED', { limit: 1000 })).map(
        (s) => s.id
      )
    ).toContain(session.id);
    expect((await registry.getVersion(record.model.id, 1))?.status).toBe(
      'PENDING_REGISTRATION'
    );
  });

  it.each([
    ['not completed', false, '42'],
    ['of another owner', true, '43'],
  ])(
    'refuses a session %s and creates no version',
    async (_case, complete, owner) => {
      // Prepare
      const { uploads, registry } = stores();
      const session = openSession();
      await uploads.create(session);
      if (complete) await uploads.complete(session.id, manifest, NOW);
      const record = await modelWithCounter();

      // Act
      const attempt = registry.createVersion(
        record,
        versionOf(record.model.id),
        {
          uploadId: session.id,
          ownerId: owner,
          now: NOW,
          leaseExpiresAt: NOW + 300_000,
        }
      );

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(UploadNotUsableError);
      expect(await registry.getVersion(record.model.id, 1)).toBeUndefined();
    }
  );

  it('lets only one of two versions consume a session', async () => {
    // Prepare
    const { uploads, registry } = stores();
    const session = openSession();
    await uploads.create(session);
    await uploads.complete(session.id, manifest, NOW);
    const first = await modelWithCounter();
    const second = await modelWithCounter();
    const consume = {
      uploadId: session.id,
      now: NOW,
      leaseExpiresAt: NOW + 300_000,
    };

    // Act
    await registry.createVersion(first, versionOf(first.model.id), consume);
    const again = registry.createVersion(
      second,
      versionOf(second.model.id),
      consume
    );

    // Assess
    await expect(again).rejects.toBeInstanceOf(UploadNotUsableError);
  });
});

describe('DynamoDBModelRegistryStore.setVersionStatus', () => {
  it('changes the status only from the expected one', async () => {
    // Prepare
    const { registry } = stores();
    const record = await modelWithCounter();
    await registry.createVersion(record, versionOf(record.model.id));
    const update = {
      status: 'READY' as const,
      statusMessage: '',
      now: NOW + 9,
      expectedStatus: 'PENDING_REGISTRATION' as const,
    };

    // Act
    const first = await registry.setVersionStatus(record.model.id, 1, update);
    const second = await registry.setVersionStatus(record.model.id, 1, update);
    const missing = await registry.setVersionStatus(record.model.id, 2, update);

    // Assess
    expect([first, second, missing]).toEqual([true, false, false]);
    expect(await registry.getVersion(record.model.id, 1)).toMatchObject({
      status: 'READY',
      statusMessage: '',
      lastUpdatedTimestamp: NOW + 9,
    });
  });
});
