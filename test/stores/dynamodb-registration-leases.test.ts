import { describe, expect, it } from 'vitest';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBRegistrationLeaseStore } from '#adapters/dynamodb/registration-lease-store.ts';
import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import { useDynamoDBLocalTable } from '#test/support/dynamodb-local-table.ts';
import {
  aModelVersion,
  aRegisteredModel,
} from '#test/support/registry-fixtures.ts';

const TABLE_NAME = 'unit-registration-leases';
const NOW = 1_700_000_000_000;
const LEASE = 300_000;

const table = useDynamoDBLocalTable(TABLE_NAME, 'leases');
let sequence = 0;

function stores() {
  const registryTable = table();
  return {
    uploads: new DynamoDBUploadSessionStore(registryTable),
    registry: new DynamoDBModelRegistryStore(registryTable),
    leases: new DynamoDBRegistrationLeaseStore(registryTable),
  };
}

function newId(): string {
  sequence += 1;
  return `${Date.now().toString(16)}${sequence}`.padStart(32, '0').slice(-32);
}

/** A model whose version 1 is pending registration from a fresh upload. */
async function pendingVersion() {
  const { uploads, registry, leases } = stores();
  const uploadId = newId();
  await uploads.create({
    id: uploadId,
    ownerId: '42',
    ownerName: 'alice',
    status: 'OPEN',
    createdAt: NOW,
    urlsExpireAt: NOW + 900_000,
    files: [{ path: 'MLmodel', size: 1 }],
  });
  await uploads.complete(
    uploadId,
    [{ path: 'MLmodel', size: 1, sha256: 'a'.repeat(64), etag: 'e' }],
    NOW
  );
  const modelId = newId();
  await registry.createRegisteredModel(
    aRegisteredModel({
      id: modelId,
      name: `m-${modelId}`,
      creationTimestamp: NOW,
      lastUpdatedTimestamp: NOW,
      userId: 'alice',
    }),
    []
  );
  const record = await registry.getModelRecordById(modelId);
  if (!record) throw new Error('no model');
  const version = aModelVersion({
    modelId,
    version: 1,
    source: `stagegate-upload:${uploadId}`,
    status: 'PENDING_REGISTRATION',
    statusMessage: 'Copying artifacts',
    creationTimestamp: NOW,
    lastUpdatedTimestamp: NOW,
    userId: 'alice',
  });
  await registry.createVersion(record, version, {
    uploadId,
    now: NOW,
    leaseExpiresAt: NOW + LEASE,
  });
  const expired = async (before: number) =>
    (await leases.listExpired(before, 1000)).filter(
      (registration) => registration.modelId === modelId
    );
  return { modelId, uploadId, registry, leases, expired };
}

describe('DynamoDBRegistrationLeaseStore', () => {
  it('gets the first lease in the version transaction, listed once it runs out', async () => {
    // Act
    const { modelId, uploadId, expired } = await pendingVersion();

    // Assess
    expect(await expired(NOW + LEASE)).toEqual([]);
    expect(await expired(NOW + LEASE + 1)).toEqual([
      {
        modelId,
        version: 1,
        uploadId,
        createdAt: NOW,
        lease: { attempt: 1, expiresAt: NOW + LEASE },
        startAt: 0,
      },
    ]);
    expect(await expired(Number.POSITIVE_INFINITY)).toHaveLength(1);
  });

  it('renews only for the attempt that holds it, recording progress', async () => {
    // Prepare
    const { modelId, leases, expired } = await pendingVersion();

    // Act
    const stale = await leases.renew(modelId, 1, {
      attempt: 2,
      expiresAt: NOW + 2 * LEASE,
    });
    const held = await leases.renew(
      modelId,
      1,
      { attempt: 1, expiresAt: NOW + 2 * LEASE },
      3
    );

    // Assess
    expect(stale).toBe(false);
    expect(held).toBe(true);
    expect(await expired(NOW + LEASE + 1)).toEqual([]);
    expect(await expired(NOW + 2 * LEASE + 1)).toMatchObject([
      { lease: { attempt: 1, expiresAt: NOW + 2 * LEASE }, startAt: 3 },
    ]);
  });

  it('lets one watchdog claim a lease it listed, and only while unchanged', async () => {
    // Prepare
    const { leases, expired } = await pendingVersion();
    const [listed] = await expired(NOW + LEASE + 1);
    if (!listed) throw new Error('not listed');

    // Act
    const first = await leases.claim(listed, NOW + 3 * LEASE);
    const second = await leases.claim(listed, NOW + 3 * LEASE);

    // Assess
    expect(first).toEqual({ attempt: 2, expiresAt: NOW + 3 * LEASE });
    expect(second).toBeUndefined();
    expect(await expired(NOW + 2 * LEASE)).toEqual([]);
  });

  it('ends with the status change that ends the registration, and only for its holder', async () => {
    // Prepare
    const { modelId, registry, leases, expired } = await pendingVersion();
    const [listed] = await expired(Number.POSITIVE_INFINITY);
    if (!listed) throw new Error('not listed');
    await leases.claim(listed, NOW + 2 * LEASE);
    const update = {
      status: 'READY' as const,
      statusMessage: '',
      now: NOW,
      expectedStatus: 'PENDING_REGISTRATION' as const,
    };

    // Act
    const bySuperseded = await registry.setVersionStatus(modelId, 1, {
      ...update,
      lease: { attempt: 1 },
    });
    const byWatchdogOfStaleRead = await registry.setVersionStatus(modelId, 1, {
      ...update,
      lease: listed.lease,
    });
    const byHolder = await registry.setVersionStatus(modelId, 1, {
      ...update,
      lease: { attempt: 2 },
    });

    // Assess
    expect(bySuperseded).toBe(false);
    expect(byWatchdogOfStaleRead).toBe(false);
    expect(byHolder).toBe(true);
    expect((await registry.getVersion(modelId, 1))?.status).toBe('READY');
    expect(await expired(Number.POSITIVE_INFINITY)).toEqual([]);
    expect(await leases.renew(modelId, 1, { attempt: 2, expiresAt: NOW })).toBe(
      false
    );
  });

  it('goes with its model', async () => {
    // Prepare
    const { modelId, registry, expired } = await pendingVersion();
    const record = await registry.getModelRecordById(modelId);
    if (!record) throw new Error('no model');

    // Act
    await registry.deleteModel(record, Date.now());

    // Assess
    expect(await expired(Number.POSITIVE_INFINITY)).toEqual([]);
  });
});
