import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cleanupUploadSessions } from '#domain/artifacts/cleanup.ts';
import {
  type RegistrationDependencies,
  type RegistrationPolicy,
  registerArtifacts,
} from '#domain/artifacts/registration.ts';
import { redriveRegistrations } from '#domain/artifacts/registration-watchdog.ts';
import {
  completeUploadSession,
  createUploadSession,
} from '#domain/artifacts/uploads.ts';
import { formatDuration } from '#domain/durations.ts';
import type { Principal } from '#domain/principal.ts';
import { createRegisteredModel } from '#domain/registry/models.ts';
import {
  createModelVersion,
  getModelVersion,
} from '#domain/registry/versions.ts';
import type { ObjectHead } from '#ports/artifact-store.ts';
import type { RegistrationJob } from '#ports/registration-queue.ts';
import { MemoryArtifactBucket } from '#test/support/memory-artifact-bucket.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';
import { MemoryUploadSessionStore } from '#test/support/memory-upload-session-store.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const policy: RegistrationPolicy = {
  leaseMs: 5 * MINUTE,
  maxAttempts: 3,
  deadlineMs: 6 * HOUR,
};
const forever = {
  remainingMs: () => 15 * MINUTE,
  leaseMs: policy.leaseMs,
  concurrency: 2,
};

const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: [],
};

/**
 * The registry in memory with a clock the test moves, a queue that only
 * records jobs (the test runs them, or lets them be lost), and copies that
 * the test can hold, as a process that hangs or dies mid-copy.
 */
function world() {
  let clock = 1_700_000_000_000;
  let ids = 0;
  const now = () => clock;
  const bucket = new MemoryArtifactBucket(now);
  const uploads = new MemoryUploadSessionStore();
  const store = new MemoryModelRegistryStore();
  store.uploads = uploads;
  const jobs: RegistrationJob[] = [];
  const queue = {
    enqueue: async (job: RegistrationJob) => void jobs.push(job),
  };
  const held = new Map<string, Promise<void>>();
  const registration: RegistrationDependencies = {
    store,
    leases: store.leases,
    uploads,
    transfers: {
      copyObject: async (request): Promise<ObjectHead> => {
        await held.get(request.sourceKey);
        return bucket.copyObject(request);
      },
      putJson: (key, value) => bucket.putJson(key, value),
      deleteObjects: (keys) => bucket.deleteObjects(keys),
    },
    queue,
    now,
  };
  const watchdog = {
    leases: store.leases,
    store,
    uploads,
    transfers: bucket,
    queue,
    now,
  };
  const registry = {
    store,
    now,
    newId: () => `m${++ids}`.padEnd(32, '0'),
    artifacts: {
      bucketName: 'bucket',
      uploads,
      registrations: queue,
      leaseMs: policy.leaseMs,
    },
  };

  /** A version registered from an upload of `count` one-byte files. */
  async function pendingVersion(count: number) {
    await createRegisteredModel(registry, alice, { name: 'm' });
    const files = Array.from({ length: count }, (_, i) => ({
      path: `f${i}`,
      data: String(i % 10),
    }));
    const created = await createUploadSession(
      {
        store,
        uploads,
        transfers: bucket,
        now,
        newId: () => (++ids).toString(16).padStart(32, '0'),
        urlTtlSeconds: 900,
      },
      alice,
      { name: 'm', files: files.map((f) => ({ path: f.path, size: 1 })) }
    );
    for (const file of files) {
      bucket.put(
        `tmp-external-source/${created.uploadId}/${file.path}`,
        file.data
      );
    }
    await completeUploadSession(
      {
        store,
        uploads,
        transfers: bucket,
        now,
        newId: () => '',
        urlTtlSeconds: 900,
      },
      alice,
      {
        uploadId: created.uploadId,
        files: files.map((f) => ({
          path: f.path,
          size: 1,
          sha256: createHash('sha256').update(f.data).digest('hex'),
        })),
      }
    );
    const version = await createModelVersion(registry, alice, {
      name: 'm',
      source: `stagegate-upload:${created.uploadId}`,
    });
    return { uploadId: created.uploadId, modelId: version.modelId };
  }

  /** Copies of `key` wait until the returned function is called. */
  function hold(key: string): () => void {
    let release = () => {};
    held.set(
      key,
      new Promise<void>((resolve) => {
        release = resolve;
      })
    );
    return () => {
      held.delete(key);
      release();
    };
  }

  return {
    bucket,
    uploads,
    store,
    now,
    jobs,
    registration,
    watchdog,
    registry,
    pendingVersion,
    hold,
    advance: (ms: number) => {
      clock += ms;
    },
    status: async () =>
      getModelVersion(registry, { name: 'm', version: 1 }).then((v) => ({
        status: v.status,
        statusMessage: v.statusMessage,
      })),
  };
}

/** Resolves once no more progress can be made without the test's help. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

describe('redriveRegistrations', () => {
  it('leaves a registration alone while its lease runs', async () => {
    // Prepare
    const w = world();
    await w.pendingVersion(1);
    w.advance(policy.leaseMs);

    // Act
    const report = await redriveRegistrations(w.watchdog, {
      ...policy,
      maxPerRun: 10,
    });

    // Assess
    expect(report).toMatchObject({ examined: 0, redriven: 0 });
    expect(w.jobs).toHaveLength(1);
  });

  it('hands a lost registration to the next attempt, which finishes it', async () => {
    // Prepare: the first invocation is never run (a lost event)
    const w = world();
    const { uploadId, modelId } = await w.pendingVersion(3);
    w.advance(policy.leaseMs + 1);

    // Act
    const report = await redriveRegistrations(w.watchdog, {
      ...policy,
      maxPerRun: 10,
    });
    const outcome = await registerArtifacts(
      w.registration,
      w.jobs[1] as RegistrationJob,
      forever
    );

    // Assess
    expect(report).toMatchObject({ examined: 1, redriven: 1, failed: 0 });
    expect(w.jobs[1]).toEqual({
      modelId,
      version: 1,
      uploadId,
      startAt: 0,
      attempt: 2,
    });
    expect(outcome).toBe('READY');
    expect(await w.status()).toEqual({ status: 'READY', statusMessage: '' });
    expect(await w.store.leases.listExpired(Infinity, 10)).toEqual([]);
  });

  it('resumes after the last batch the dead attempt recorded, and the dead attempt then stops without touching anything', async () => {
    // Prepare: attempt 1 copies f0 and f1, then hangs on f2 (its process
    // stops, and with it the lease's renewals)
    const w = world();
    const { uploadId, modelId } = await w.pendingVersion(5);
    const release = w.hold(`tmp-external-source/${uploadId}/f2`);
    const first = registerArtifacts(
      w.registration,
      w.jobs[0] as RegistrationJob,
      forever
    );
    await settle();
    w.advance(policy.leaseMs + 1);

    // Act
    const report = await redriveRegistrations(w.watchdog, {
      ...policy,
      maxPerRun: 10,
    });
    const redriven = w.jobs[1] as RegistrationJob;
    release();
    const [second, late] = await Promise.all([
      registerArtifacts(w.registration, redriven, forever),
      first,
    ]);

    // Assess
    expect(report.redriven).toBe(1);
    expect(redriven).toMatchObject({ startAt: 2, attempt: 2 });
    expect(second).toBe('READY');
    expect(late).toBe('SKIPPED');
    const copied = w.bucket.copies.map((c) => c.sourceKey.split('/').at(-1));
    expect(copied.filter((f) => f === 'f0')).toHaveLength(1);
    expect(copied.filter((f) => f === 'f1')).toHaveLength(1);
    expect(w.bucket.keys(`mlflow-registry/${modelId}/1/`)).toHaveLength(6);
    expect((await w.status()).status).toBe('READY');
  });

  it('fails a registration out of attempts, naming the bound, and removes its copies', async () => {
    // Prepare: every attempt dies after the first batch
    const w = world();
    const { uploadId, modelId } = await w.pendingVersion(4);
    const release = w.hold(`tmp-external-source/${uploadId}/f2`);
    const attempts: Promise<string>[] = [];
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt += 1) {
      if (attempt > 1) {
        await redriveRegistrations(w.watchdog, { ...policy, maxPerRun: 10 });
      }
      attempts.push(
        registerArtifacts(
          w.registration,
          w.jobs.at(-1) as RegistrationJob,
          forever
        )
      );
      await settle();
      w.advance(policy.leaseMs + 1);
    }

    // Act
    const report = await redriveRegistrations(w.watchdog, {
      ...policy,
      maxPerRun: 10,
    });
    release();

    // Assess
    expect(await Promise.all(attempts)).toEqual([
      'SKIPPED',
      'SKIPPED',
      'SKIPPED',
    ]);
    expect(w.jobs.map((job) => job.attempt ?? 1)).toEqual([1, 2, 3]);
    expect(report).toMatchObject({ examined: 1, redriven: 0, failed: 1 });
    expect(await w.status()).toEqual({
      status: 'FAILED_REGISTRATION',
      statusMessage:
        'Copying artifacts was interrupted 3 times without finishing (a copy that gives no sign of progress for 5 minutes counts as interrupted); register the files again from a new upload.',
    });
    expect(w.bucket.keys(`mlflow-registry/${modelId}/`)).toEqual([]);
    expect(await w.store.leases.listExpired(Infinity, 10)).toEqual([]);
  });

  it('fails a registration past the deadline with the deadline in the message', async () => {
    // Prepare
    const w = world();
    await w.pendingVersion(1);
    w.advance(30 * MINUTE);

    // Act
    await redriveRegistrations(w.watchdog, {
      ...policy,
      deadlineMs: 30 * MINUTE,
      maxPerRun: 10,
    });

    // Assess
    expect(await w.status()).toEqual({
      status: 'FAILED_REGISTRATION',
      statusMessage:
        "Copying artifacts did not finish within 30 minutes of the version's creation; register the files again from a new upload.",
    });
  });

  it('keeps a registration whose attempt renewed its lease after it was listed', async () => {
    // Prepare
    const w = world();
    const { modelId } = await w.pendingVersion(1);
    w.advance(policy.leaseMs + 1);
    const [listed] = await w.store.leases.listExpired(Infinity, 10);
    if (!listed) throw new Error('no pending registration');
    await w.store.leases.renew(modelId, 1, {
      attempt: 1,
      expiresAt: listed.lease.expiresAt + policy.leaseMs,
    });

    // Act
    const claimed = await w.store.leases.claim(listed, Date.now());
    const failed = await w.store.setVersionStatus(modelId, 1, {
      status: 'FAILED_REGISTRATION',
      statusMessage: 'x',
      now: 0,
      expectedStatus: 'PENDING_REGISTRATION',
      lease: listed.lease,
    });

    // Assess
    expect(claimed).toBeUndefined();
    expect(failed).toBe(false);
    expect((await w.status()).status).toBe('PENDING_REGISTRATION');
  });

  it('takes every lease over at once when all are known lost (a local start)', async () => {
    // Prepare: the lease has not run out, but its process is gone
    const w = world();
    await w.pendingVersion(1);

    // Act
    const report = await redriveRegistrations(w.watchdog, {
      ...policy,
      allLeasesLost: true,
      maxPerRun: 10,
    });
    await registerArtifacts(
      w.registration,
      w.jobs[1] as RegistrationJob,
      forever
    );

    // Assess
    expect(report.redriven).toBe(1);
    expect((await w.status()).status).toBe('READY');
  });

  it('forgets the lease of a registration whose model was deleted', async () => {
    // Prepare
    const w = world();
    const { modelId } = await w.pendingVersion(1);
    const record = await w.store.getModelRecordById(modelId);
    if (!record) throw new Error('no model');
    await w.store.deleteVersion({
      record,
      version: 1,
      stage: 'None',
      aliases: [],
      now: 0,
    });
    w.advance(policy.leaseMs + 1);

    // Act
    const report = await redriveRegistrations(w.watchdog, {
      ...policy,
      maxPerRun: 10,
    });

    // Assess
    expect(report).toMatchObject({ examined: 1, forgotten: 1, redriven: 0 });
    expect(await w.store.leases.listExpired(Infinity, 10)).toEqual([]);
  });
});

describe('formatDuration', () => {
  it.each([
    [6 * HOUR, '6 hours'],
    [HOUR, '1 hour'],
    [90 * MINUTE, '90 minutes'],
    [MINUTE, '1 minute'],
    [36_000, '36 seconds'],
    [3_600, '3.6 seconds'],
    [250, '250 milliseconds'],
  ])('states %i ms as "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('cleanupUploadSessions deadline', () => {
  it('states a deadline under an hour as it is, never "0 hours"', async () => {
    // Prepare: REGISTRATION_DEADLINE_HOURS=0.01
    const w = world();
    await w.pendingVersion(1);
    w.advance(36_000);

    // Act
    await cleanupUploadSessions(
      { uploads: w.uploads, store: w.store, artifacts: w.bucket, now: w.now },
      {
        maxAgeMs: 24 * HOUR,
        failedRetentionMs: 72 * HOUR,
        registrationDeadlineMs: 0.01 * HOUR,
        maxSessionsPerRun: 10,
        maxObjectsPerRun: 10,
      }
    );

    // Assess
    expect((await w.status()).statusMessage).toBe(
      "Copying artifacts did not finish within 36 seconds of the version's creation; register the files again from a new upload."
    );
  });
});
