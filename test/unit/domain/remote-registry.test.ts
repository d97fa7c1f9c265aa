import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cleanupUploadSessions } from '#domain/artifacts/cleanup.ts';
import {
  listVersionArtifacts,
  signedDownloadUri,
} from '#domain/artifacts/downloads.ts';
import { ArtifactTransferError } from '#domain/artifacts/errors.ts';
import {
  sessionBucket,
  sessionCleanupPrefix,
  sessionKey,
} from '#domain/artifacts/paths.ts';
import {
  type RegistrationDependencies,
  registerArtifacts,
} from '#domain/artifacts/registration.ts';
import {
  classifySource,
  dbfsOrigin,
  parseExternalSourcePrefixes,
  parseS3Uri,
  sessionFromSource,
} from '#domain/artifacts/sources.ts';
import {
  DBFS_KEY_PREFIX,
  dbfsCopyId,
  dbfsKey,
  listTemporaryCopy,
  parseDbfsPath,
  type TemporaryCopyDependencies,
  temporaryCopyOfKey,
  temporaryCopyStatus,
  VersionCreatorCache,
  writeTemporaryCopyFile,
} from '#domain/artifacts/temporary-copies.ts';
import { cleanupTemporaryArtifacts } from '#domain/cleanup.ts';
import {
  InvalidParameterValueError,
  InvalidStateError,
  PermissionDeniedError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import { parseModelUri } from '#domain/registry/model-references.ts';
import {
  createRegisteredModel,
  setRegisteredModelAlias,
} from '#domain/registry/models.ts';
import { transitionModelVersionStage } from '#domain/registry/transitions.ts';
import {
  createModelVersion,
  deleteModelVersion,
  getModelVersion,
  getModelVersionDownloadUri,
} from '#domain/registry/versions.ts';
import type { RegistrationJob } from '#ports/registration-queue.ts';
import { MemoryArtifactBucket } from '#test/support/memory-artifact-bucket.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';
import { MemoryUploadSessionStore } from '#test/support/memory-upload-session-store.ts';
import { expectRefusal } from './support/registry.ts';

const BUCKET = 'artifact-bucket';
const AREA = '/databricks/mlflow/tmp-external-source';
const HOUR = 3_600_000;

const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: [],
};
const bob: Principal = { ...alice, id: '43', userName: 'bob@example.com' };
const admin: Principal = {
  ...alice,
  id: '1',
  userName: 'admin',
  isAdmin: true,
};

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Everything wired in memory (a team bucket allow-listed), a movable clock. */
function world() {
  let clock = 1_700_000_000_000;
  let ids = 0;
  const now = () => clock;
  const bucket = new MemoryArtifactBucket(now);
  const team = new MemoryArtifactBucket(now);
  bucket.otherBuckets.set('team', team);
  const uploads = new MemoryUploadSessionStore();
  const store = new MemoryModelRegistryStore();
  store.uploads = uploads;
  const jobs: RegistrationJob[] = [];
  const queue = {
    enqueue: async (job: RegistrationJob) => void jobs.push(job),
  };
  const registry = {
    store,
    now,
    newId: () => (++ids).toString(16).padStart(32, '0'),
    artifacts: {
      bucketName: BUCKET,
      uploads,
      registrations: queue,
      sources: bucket,
      externalPrefixes: parseExternalSourcePrefixes('s3://team/models/'),
    },
  };
  const registration: RegistrationDependencies = {
    store,
    leases: store.leases,
    uploads,
    transfers: bucket,
    queue,
    now,
  };
  const copies: TemporaryCopyDependencies = {
    store,
    transfers: bucket,
    versionCreators: new VersionCreatorCache(now),
  };
  const reads = {
    store,
    uploads,
    transfers: bucket,
    bucketName: BUCKET,
    urlTtlSeconds: 900,
  };
  return {
    bucket,
    team,
    uploads,
    store,
    jobs,
    registry,
    registration,
    copies,
    reads,
    advance: (ms: number) => {
      clock += ms;
    },
    now,
  };
}

type World = ReturnType<typeof world>;

const MODEL_FILES: Readonly<Record<string, string>> = {
  MLmodel: 'artifact_path: model\n',
  'data/model.pkl': 'pickled',
  'data/empty.txt': '',
};

/** A model alice may add versions to, and her temporary copy of it. */
async function aliceCopy(w: World, name = 'm', run = 'run1'): Promise<void> {
  await createRegisteredModel(w.registry, alice, { name });
  for (const [path, text] of Object.entries(MODEL_FILES)) {
    await writeTemporaryCopyFile(
      w.copies,
      alice,
      `${AREA}//${run}/model/${path}`,
      Buffer.from(text)
    );
  }
}

/** Runs every queued registration job. */
async function runJobs(w: World): Promise<string[]> {
  const outcomes: string[] = [];
  for (let job = w.jobs.shift(); job; job = w.jobs.shift()) {
    outcomes.push(
      await registerArtifacts(w.registration, job, { remainingMs: () => 1e9 })
    );
  }
  return outcomes;
}

describe('the DBFS area of temporary copies', () => {
  describe('parseDbfsPath', () => {
    it.each([
      [`${AREA}`, ''],
      [`${AREA}/`, ''],
      [`${AREA}//run/model`, 'run/model'],
      [
        `databricks/mlflow/tmp-external-source//run/model/MLmodel`,
        'run/model/MLmodel',
      ],
      [`dbfs:${AREA}/run/model`, 'run/model'],
    ])('reads %s as %j below the area', (path, relative) => {
      expect(parseDbfsPath(path)).toBe(relative);
    });

    it.each(['/tmp/x', '/databricks/mlflow/other', 'dbfs:/FileStore/x', ''])(
      'answers %j with 404: nothing else exists here',
      (path) => {
        expect(() => parseDbfsPath(path)).toThrow(ResourceDoesNotExistError);
      }
    );

    it.each([
      `${AREA}/a/../b`,
      `${AREA}/a/./b`,
      `${AREA}/a\\b`,
      `${AREA}/a\u0000`,
    ])('refuses %j with 400', (path) => {
      expect(() => parseDbfsPath(path)).toThrow(InvalidParameterValueError);
    });

    it('refuses a path too long for an S3 key', () => {
      expect(() => parseDbfsPath(`${AREA}/${'a'.repeat(1000)}`)).toThrow(
        InvalidParameterValueError
      );
    });
  });

  describe('keys', () => {
    it("keep each principal's copies apart and map them back to their copy", () => {
      // Act
      const key = dbfsKey('42', 'run1/model/MLmodel');

      // Assess
      expect(key).toBe(`${DBFS_KEY_PREFIX}42/run1/model/MLmodel`);
      expect(temporaryCopyOfKey(key)).toBe(dbfsCopyId('42', 'run1'));
      expect(dbfsCopyId('42', 'run1')).not.toBe(dbfsCopyId('43', 'run1'));
      expect(dbfsCopyId('42', 'run1')).toMatch(/^[0-9a-f]{32}$/);
      expect(
        temporaryCopyOfKey(`tmp-external-source/${'a'.repeat(32)}/x`)
      ).toBe('a'.repeat(32));
      expect(temporaryCopyOfKey('mlflow-registry/x')).toBeUndefined();
      expect(temporaryCopyOfKey(`${DBFS_KEY_PREFIX}42`)).toBeUndefined();
      expect(temporaryCopyOfKey('tmp-external-source/')).toBeUndefined();
    });
  });

  describe('writeTemporaryCopyFile', () => {
    it('stores the bytes with their SHA-256 in the caller’s own view', async () => {
      // Prepare
      const w = world();

      // Act
      await aliceCopy(w);

      // Assess
      const key = dbfsKey(alice.id, 'run1/model/MLmodel');
      expect(w.bucket.data(key)?.toString()).toBe(MODEL_FILES.MLmodel);
      expect((await w.bucket.headObject(key))?.sha256).toBe(
        sha256(MODEL_FILES.MLmodel ?? '')
      );
    });

    it('refuses a principal that may add versions to no model, and caches the answer', async () => {
      // Prepare
      const w = world();
      await createRegisteredModel(w.registry, alice, { name: 'm' });

      // Act
      const refused = writeTemporaryCopyFile(
        w.copies,
        bob,
        `${AREA}/r/MLmodel`,
        Buffer.from('x')
      );

      // Assess
      await expectRefusal(
        refused,
        PermissionDeniedError,
        'PERMISSION_DENIED',
        'CAN_EDIT on at least one registered model'
      );
      expect(w.copies.versionCreators.get(bob.id)).toBe(false);
    });

    it('lets admins write without any model, and refuses the area itself', async () => {
      // Prepare
      const w = world();

      // Act
      await writeTemporaryCopyFile(
        w.copies,
        admin,
        `${AREA}/r/x`,
        Buffer.from('x')
      );
      const root = writeTemporaryCopyFile(
        w.copies,
        admin,
        AREA,
        Buffer.from('x')
      );

      // Assess
      expect(w.bucket.keys(DBFS_KEY_PREFIX)).toEqual([
        dbfsKey(admin.id, 'r/x'),
      ]);
      await expect(root).rejects.toThrow(InvalidParameterValueError);
    });
  });

  describe('listTemporaryCopy and temporaryCopyStatus', () => {
    it('lists one level with absolute paths, a file as itself, and 404 for nothing', async () => {
      // Prepare
      const w = world();
      await aliceCopy(w);

      // Act
      const area = await listTemporaryCopy(w.copies, alice, `${AREA}/`);
      const model = await listTemporaryCopy(
        w.copies,
        alice,
        `${AREA}//run1/model`
      );
      const file = await listTemporaryCopy(
        w.copies,
        alice,
        `${AREA}/run1/model/MLmodel`
      );
      const missing = listTemporaryCopy(w.copies, alice, `${AREA}//run2`);
      const others = await listTemporaryCopy(w.copies, bob, `${AREA}`);

      // Assess
      expect(area).toEqual([
        { path: `${AREA}/run1`, isDir: true, fileSize: 0, modificationTime: 0 },
      ]);
      expect(model.map((entry) => [entry.path, entry.isDir])).toEqual([
        [`${AREA}/run1/model/MLmodel`, false],
        [`${AREA}/run1/model/data`, true],
      ]);
      expect(file).toEqual([
        expect.objectContaining({
          path: `${AREA}/run1/model/MLmodel`,
          isDir: false,
          fileSize: MODEL_FILES.MLmodel?.length,
        }),
      ]);
      await expect(missing).rejects.toThrow(ResourceDoesNotExistError);
      expect(others).toEqual([]);
    });

    it("answers a file's, a directory's and the area's status, and 404 for another's", async () => {
      // Prepare
      const w = world();
      await aliceCopy(w);

      // Act
      const file = await temporaryCopyStatus(
        w.copies,
        alice,
        `${AREA}/run1/model/MLmodel`
      );
      const dir = await temporaryCopyStatus(
        w.copies,
        alice,
        `${AREA}/run1/model/data`
      );
      const area = await temporaryCopyStatus(w.copies, bob, AREA);
      const another = temporaryCopyStatus(
        w.copies,
        bob,
        `${AREA}/run1/model/MLmodel`
      );

      // Assess
      expect(file).toMatchObject({ isDir: false, fileSize: 21 });
      expect(dir).toMatchObject({
        path: `${AREA}/run1/model/data`,
        isDir: true,
      });
      expect(area).toMatchObject({ path: AREA, isDir: true });
      await expect(another).rejects.toThrow(ResourceDoesNotExistError);
    });
  });

  describe('VersionCreatorCache', () => {
    it('keeps an answer for a minute (a refusal for ten seconds)', () => {
      // Prepare
      let now = 0;
      const cache = new VersionCreatorCache(() => now);

      // Act
      cache.set('a', true);
      cache.set('b', false);
      now = 10_000;
      const early = [cache.get('a'), cache.get('b')];
      now = 60_000;
      const late = [cache.get('a'), cache.get('b')];

      // Assess
      expect(early).toEqual([true, undefined]);
      expect(late).toEqual([undefined, undefined]);
    });
  });
});

describe('sources', () => {
  describe('parseS3Uri and parseExternalSourcePrefixes', () => {
    it('splits bucket and key, and reads an allow-list of directories', () => {
      expect(parseS3Uri('s3://b/k/x')).toEqual({ bucket: 'b', key: 'k/x' });
      expect(parseS3Uri('s3a://b')).toEqual({ bucket: 'b', key: '' });
      expect(parseS3Uri('gs://b/k')).toBeUndefined();
      expect(
        parseExternalSourcePrefixes(' s3://team/models , s3://lake/\ns3://all ')
      ).toEqual([
        { bucket: 'team', prefix: 'models/' },
        { bucket: 'lake', prefix: '' },
        { bucket: 'all', prefix: '' },
      ]);
      expect(parseExternalSourcePrefixes('none')).toEqual([]);
      expect(parseExternalSourcePrefixes(undefined)).toEqual([]);
    });

    it.each([
      'team/models',
      's3://Bad_Bucket/x',
      's3://team//x/',
      'gs://team/x',
    ])('fails at cold start for %j', (entry) => {
      expect(() => parseExternalSourcePrefixes(entry)).toThrow(
        'EXTERNAL_SOURCE_PREFIXES'
      );
    });
  });

  describe('classifySource', () => {
    const config = {
      bucketName: BUCKET,
      externalPrefixes: parseExternalSourcePrefixes('s3://team/models/'),
    };

    it.each([
      [`stagegate-upload:${'a'.repeat(32)}`, 'upload'],
      [`dbfs:${AREA}/run/model`, 'dbfs'],
      ['dbfs:/databricks/mlflow-tracking/1/model', 'unmanaged'],
      ['models:/m/1', 'model-reference'],
      ['s3://team/models/run/model', 's3'],
      ['runs:/abc/model', 'unmanaged'],
    ])('%s is %s', (source, kind) => {
      expect(classifySource(source, config).kind).toBe(kind);
    });

    it('records s3:// sources as given when no allow-list is configured', () => {
      expect(
        classifySource('s3://anywhere/x', { bucketName: BUCKET }).kind
      ).toBe('unmanaged');
    });

    it.each([
      's3://other/models/x',
      's3://team/modelsx/y',
      's3://team/private/x',
    ])('refuses %s outside the allow-list, naming it', (source) => {
      expect(() => classifySource(source, config)).toThrow('s3://team/models/');
    });

    it('refuses the DBFS area itself as a source', () => {
      expect(() => classifySource(`dbfs:${AREA}/`, config)).toThrow(
        InvalidParameterValueError
      );
    });
  });
});

describe('registering from a temporary copy', () => {
  it('copies the files into the managed prefix, READY, and downloads list and sign them', async () => {
    // Prepare
    const w = world();
    await aliceCopy(w);

    // Act
    const created = await createModelVersion(w.registry, alice, {
      name: 'm',
      source: `dbfs:${AREA}/run1/model`,
    });
    const outcomes = await runJobs(w);
    const ready = await getModelVersion(w.registry, { name: 'm', version: 1 });
    const root = await listVersionArtifacts(w.reads, { name: 'm', version: 1 });
    const data = await listVersionArtifacts(w.reads, {
      name: 'm',
      version: 1,
      path: 'data/',
    });
    const file = await listVersionArtifacts(w.reads, {
      name: 'm',
      version: 1,
      path: 'data/model.pkl',
    });
    const signed = await signedDownloadUri(w.reads, {
      name: 'm',
      version: 1,
      path: 'data/model.pkl',
    });
    const uri = await getModelVersionDownloadUri(w.registry, {
      name: 'm',
      version: 1,
    });

    // Assess
    expect(created.status).toBe('PENDING_REGISTRATION');
    expect(created.uploadId).toBe(dbfsCopyId(alice.id, 'run1'));
    expect(outcomes).toEqual(['READY']);
    expect(ready.status).toBe('READY');
    expect(root.files).toEqual([
      { path: 'MLmodel', isDir: false, fileSize: 21 },
      { path: 'data', isDir: true },
    ]);
    expect(data.files.map((entry) => entry.path)).toEqual([
      'data/empty.txt',
      'data/model.pkl',
    ]);
    expect(file.files).toEqual([
      { path: 'data/model.pkl', isDir: false, fileSize: 7 },
    ]);
    expect(signed.signedUri).toContain(`/${created.modelId}/1/data/model.pkl`);
    expect(uri).toBe(`mlflow-artifacts:/mlflow-registry/${created.modelId}/1`);
    const session = await w.uploads.get(dbfsCopyId(alice.id, 'run1'));
    expect(
      session?.manifest?.map((entry) => [entry.path, entry.sha256])
    ).toEqual(
      Object.entries(MODEL_FILES)
        .map(([path, text]) => [path, sha256(text)])
        .sort(([a], [b]) => ((a ?? '') < (b ?? '') ? -1 : 1))
    );
  });

  it("finds no copy in another principal's view", async () => {
    // Prepare
    const w = world();
    await aliceCopy(w);
    await createRegisteredModel(w.registry, bob, { name: 'b' });

    // Act
    const stolen = createModelVersion(w.registry, bob, {
      name: 'b',
      source: `dbfs:${AREA}/run1/model`,
    });

    // Assess
    await expectRefusal(
      stolen,
      ResourceDoesNotExistError,
      'RESOURCE_DOES_NOT_EXIST',
      `dbfs:${AREA}/run1/model`
    );
  });

  it('registers a copy once: again is refused, as is a copy the cleanup removed', async () => {
    // Prepare
    const w = world();
    await aliceCopy(w);
    await createModelVersion(w.registry, alice, {
      name: 'm',
      source: `dbfs:${AREA}/run1/model`,
    });

    // Act
    const again = createModelVersion(w.registry, alice, {
      name: 'm',
      source: `dbfs:${AREA}/run1/model`,
    });

    // Assess
    await expectRefusal(
      again,
      InvalidParameterValueError,
      'INVALID_PARAMETER_VALUE',
      'already registered'
    );
  });

  it('pins what it found: a file rewritten after creation does not change what is registered', async () => {
    // Prepare
    const w = world();
    await aliceCopy(w);
    const created = await createModelVersion(w.registry, alice, {
      name: 'm',
      source: `dbfs:${AREA}/run1/model`,
    });
    await writeTemporaryCopyFile(
      w.copies,
      alice,
      `${AREA}/run1/model/MLmodel`,
      Buffer.from('changed')
    );

    // Act
    const outcomes = await runJobs(w);

    // Assess: the version of the object found at creation was copied
    expect(outcomes).toEqual(['READY']);
    expect(
      w.bucket.data(`mlflow-registry/${created.modelId}/1/MLmodel`)?.toString()
    ).toBe(MODEL_FILES.MLmodel);
  });

  it('fails the registration when a file found at creation is gone', async () => {
    // Prepare
    const w = world();
    await aliceCopy(w);
    await createModelVersion(w.registry, alice, {
      name: 'm',
      source: `dbfs:${AREA}/run1/model`,
    });
    await w.bucket.deleteObjects(w.bucket.keys(DBFS_KEY_PREFIX));
    const session = await w.uploads.get(dbfsCopyId(alice.id, 'run1'));
    for (const entry of session?.manifest ?? []) {
      w.bucket.failCopies.set(
        sessionKey(session ?? { id: '' }, entry.path),
        new ArtifactTransferError('missing', 'NoSuchKey', 'NoSuchKey', 404)
      );
    }

    // Act
    const outcomes = await runJobs(w);
    const failed = await getModelVersion(w.registry, { name: 'm', version: 1 });

    // Assess
    expect(outcomes).toEqual(['FAILED_REGISTRATION']);
    expect(failed.statusMessage).toContain('missing');
  });

  it('keeps the copy for the grace period after READY, then removes it (the age sweep leaves it meanwhile)', async () => {
    // Prepare
    const w = world();
    await aliceCopy(w);
    await createModelVersion(w.registry, alice, {
      name: 'm',
      source: `dbfs:${AREA}/run1/model`,
    });
    await runJobs(w);
    const options = {
      maxAgeMs: 0,
      failedRetentionMs: HOUR,
      readyGraceMs: HOUR,
      registrationDeadlineMs: 6 * HOUR,
      maxSessionsPerRun: 10,
      maxObjectsPerRun: 100,
    };
    const deps = {
      uploads: w.uploads,
      store: w.store,
      artifacts: w.bucket,
      now: w.now,
    };

    // Act
    w.advance(HOUR - 1);
    const early = await cleanupUploadSessions(deps, options);
    const sweep = await cleanupTemporaryArtifacts(
      {
        artifacts: w.bucket,
        now: w.now,
        retained: async (ids) =>
          new Set(
            (await w.uploads.getMany(ids))
              .filter(
                (s) => s.status === 'CONSUMED' && s.cleanedAt === undefined
              )
              .map((s) => s.id)
          ),
      },
      { maxAgeMs: 0, maxObjectsPerRun: 100 }
    );
    w.advance(1);
    const late = await cleanupUploadSessions(deps, options);

    // Assess
    expect(early.registeredCleaned).toBe(0);
    expect(sweep.deleted).toBe(0);
    expect(late.registeredCleaned).toBe(1);
    expect(w.bucket.keys(DBFS_KEY_PREFIX)).toEqual([]);
    expect(
      (await listVersionArtifacts(w.reads, { name: 'm', version: 1 })).files
    ).toHaveLength(2);
  });
});

describe('sessionFromSource', () => {
  async function prepared() {
    const w = world();
    await aliceCopy(w);
    const deps = {
      uploads: w.uploads,
      sources: w.bucket,
      now: w.now,
      newId: w.registry.newId,
    };
    const target = {
      source: `dbfs:${AREA}/run1/model`,
      origin: dbfsOrigin(alice, 'run1/model'),
    };
    return { w, deps, target };
  }

  it("finds a temporary copy's session again (a retried creation)", async () => {
    // Prepare
    const { deps, target } = await prepared();

    // Act
    const first = await sessionFromSource(deps, alice, 'model-1', target);
    const again = await sessionFromSource(deps, alice, 'model-1', target);

    // Assess
    expect(again).toBe(first);
    expect(first).toBe(dbfsCopyId(alice.id, 'run1'));
  });

  it('refuses a copy being registered into another model, and one the cleanup removed', async () => {
    // Prepare
    const { w, deps, target } = await prepared();
    const id = await sessionFromSource(deps, alice, 'model-1', target);

    // Act
    const elsewhere = sessionFromSource(deps, alice, 'model-2', target);
    await w.uploads.expire(id, w.now());
    const removed = sessionFromSource(deps, alice, 'model-1', target);

    // Assess
    await expect(elsewhere).rejects.toThrow('being registered elsewhere');
    await expect(removed).rejects.toThrow(ResourceDoesNotExistError);
  });

  it('takes the session a concurrent creation made first', async () => {
    // Prepare
    const { w, deps, target } = await prepared();
    const racing = {
      ...deps,
      uploads: {
        get: async (id: string) =>
          (await w.uploads.get(id))?.status === 'COMPLETED'
            ? w.uploads.get(id)
            : undefined,
        create: async (session: Parameters<typeof w.uploads.create>[0]) => {
          await w.uploads.create(session);
          throw new Error('lost the race');
        },
      },
    };

    // Act
    const id = await sessionFromSource(racing, alice, 'model-1', target);

    // Assess
    expect(id).toBe(dbfsCopyId(alice.id, 'run1'));
  });
});

describe('registering by path from an allow-listed bucket', () => {
  it('copies from the other bucket and never removes its files', async () => {
    // Prepare
    const w = world();
    await createRegisteredModel(w.registry, alice, { name: 'm' });
    w.team.put('models/run/model/MLmodel', 'flavors: {}');
    w.team.put('models/run/model/', '');

    // Act
    await createModelVersion(w.registry, alice, {
      name: 'm',
      source: 's3://team/models/run/model',
    });
    await runJobs(w);
    const session = (
      await w.uploads.listForCleanup('CONSUMED', { limit: 10 })
    )[0];
    const cleaned = await cleanupUploadSessions(
      { uploads: w.uploads, store: w.store, artifacts: w.bucket, now: w.now },
      {
        maxAgeMs: 0,
        failedRetentionMs: 0,
        registrationDeadlineMs: HOUR,
        maxSessionsPerRun: 10,
        maxObjectsPerRun: 10,
      }
    );

    // Assess
    expect(
      (await getModelVersion(w.registry, { name: 'm', version: 1 })).status
    ).toBe('READY');
    expect(w.bucket.copies[0]).toMatchObject({
      sourceBucket: 'team',
      sourceKey: 'models/run/model/MLmodel',
    });
    expect(session && sessionBucket(session)).toBe('team');
    expect(session && sessionCleanupPrefix(session)).toBeUndefined();
    expect(cleaned.registeredCleaned).toBe(1);
    expect(w.team.keys()).toContain('models/run/model/MLmodel');
  });

  it('answers 404 naming an allow-listed prefix with no files', async () => {
    // Prepare
    const w = world();
    await createRegisteredModel(w.registry, alice, { name: 'm' });

    // Act
    const nothing = createModelVersion(w.registry, alice, {
      name: 'm',
      source: 's3://team/models/none',
    });

    // Assess
    await expectRefusal(
      nothing,
      ResourceDoesNotExistError,
      'RESOURCE_DOES_NOT_EXIST',
      's3://team/models/none'
    );
  });
});

describe('models:/ sources', () => {
  describe('parseModelUri', () => {
    it.each([
      ['models:/m/3', { name: 'm', selector: { kind: 'version', version: 3 } }],
      [
        'models:/a/b/Staging',
        { name: 'a/b', selector: { kind: 'stage', stage: 'Staging' } },
      ],
      ['models:/m/latest', { name: 'm', selector: { kind: 'latest' } }],
      [
        'models:/m@champion',
        { name: 'm', selector: { kind: 'alias', alias: 'champion' } },
      ],
    ])('reads %s', (uri, parsed) => {
      expect(parseModelUri(uri)).toEqual(parsed);
    });

    it.each([
      'models:/m',
      'models:/m/',
      'models://p@databricks/m/1',
      'models:m/1',
      'models:/m@',
      'models:/m/0',
    ])('refuses %s with 400 naming it', (uri) => {
      expect(() => parseModelUri(uri)).toThrow(uri);
    });
  });

  it('copies a managed version, and the copy outlives the original', async () => {
    // Prepare
    const w = world();
    await aliceCopy(w);
    await createModelVersion(w.registry, alice, {
      name: 'm',
      source: `dbfs:${AREA}/run1/model`,
    });
    await runJobs(w);
    await createRegisteredModel(w.registry, alice, { name: 'copy' });

    // Act
    const copy = await createModelVersion(w.registry, alice, {
      name: 'copy',
      source: 'models:/m/latest',
    });
    await runJobs(w);
    await transitionModelVersionStage(w.registry, alice, {
      name: 'm',
      version: 1,
      stage: 'Archived',
      archiveExistingVersions: false,
    });
    await deleteModelVersion(w.registry, { name: 'm', version: 1 });
    const uri = await getModelVersionDownloadUri(w.registry, {
      name: 'copy',
      version: 1,
    });
    const listed = await listVersionArtifacts(w.reads, {
      name: 'copy',
      version: 1,
      path: 'data',
    });

    // Assess
    expect(copy.status).toBe('PENDING_REGISTRATION');
    expect(uri).toBe(`mlflow-artifacts:/mlflow-registry/${copy.modelId}/1`);
    expect(listed.files.map((f) => f.path)).toEqual([
      'data/empty.txt',
      'data/model.pkl',
    ]);
    const session = await w.uploads.get(copy.uploadId ?? '');
    expect(session && sessionKey(session, 'MLmodel')).toContain(
      'mlflow-registry/'
    );
    expect(session?.manifest?.find((e) => e.path === 'MLmodel')?.sha256).toBe(
      sha256(MODEL_FILES.MLmodel ?? '')
    );
  });

  it('records the download location of an unmanaged version, by stage and alias too', async () => {
    // Prepare
    const w = world();
    await createRegisteredModel(w.registry, alice, { name: 'm' });
    await createModelVersion(w.registry, alice, {
      name: 'm',
      source: 'runs:/r/model',
    });
    await transitionModelVersionStage(w.registry, alice, {
      name: 'm',
      version: 1,
      stage: 'Staging',
      archiveExistingVersions: false,
    });
    await setRegisteredModelAlias(w.registry, {
      name: 'm',
      alias: 'champion',
      version: '1',
    });
    await createRegisteredModel(w.registry, alice, { name: 'c' });

    // Act
    const byStage = await createModelVersion(w.registry, alice, {
      name: 'c',
      source: 'models:/m/staging',
    });
    const byAlias = await createModelVersion(w.registry, alice, {
      name: 'c',
      source: 'models:/m@champion',
    });
    const chained = await createModelVersion(w.registry, alice, {
      name: 'c',
      source: 'models:/c/1',
    });

    // Assess
    for (const version of [byStage, byAlias, chained]) {
      expect(version).toMatchObject({
        status: 'READY',
        storageLocation: 'runs:/r/model',
      });
    }
    expect(
      await getModelVersionDownloadUri(w.registry, { name: 'c', version: 3 })
    ).toBe('runs:/r/model');
  });

  it.each([
    ['models:/nope/1', ResourceDoesNotExistError, 'no registered model'],
    ['models:/m/9', ResourceDoesNotExistError, 'no version 9'],
    [
      'models:/m/Production',
      ResourceDoesNotExistError,
      'no version in Production',
    ],
    ['models:/m@nobody', ResourceDoesNotExistError, "no alias 'nobody'"],
    [
      `models:/${'x'.repeat(300)}/1`,
      ResourceDoesNotExistError,
      'not a valid model name',
    ],
  ])('refuses %s naming it', async (source, errorClass, why) => {
    // Prepare
    const w = world();
    await createRegisteredModel(w.registry, alice, { name: 'm' });
    await createModelVersion(w.registry, alice, {
      name: 'm',
      source: 'runs:/r/model',
    });

    // Act
    const refused = createModelVersion(w.registry, alice, {
      name: 'm',
      source,
    });

    // Assess
    await expect(refused).rejects.toThrow(errorClass);
    await expect(refused).rejects.toThrow(why);
  });

  it('refuses a version that is not READY, and a model the caller may not read', async () => {
    // Prepare
    const w = world();
    await aliceCopy(w);
    await createModelVersion(w.registry, alice, {
      name: 'm',
      source: `dbfs:${AREA}/run1/model`,
    });
    await createRegisteredModel(w.registry, bob, { name: 'b' });

    // Act
    const pending = createModelVersion(w.registry, alice, {
      name: 'm',
      source: 'models:/m/1',
    });
    const unreadable = createModelVersion(w.registry, bob, {
      name: 'b',
      source: 'models:/m/1',
    });

    // Assess
    await expectRefusal(
      pending,
      InvalidParameterValueError,
      'INVALID_PARAMETER_VALUE',
      'PENDING_REGISTRATION'
    );
    await expectRefusal(unreadable, PermissionDeniedError, 'PERMISSION_DENIED');
  });

  it('refuses managed sources where the registry manages no artifacts', async () => {
    // Prepare
    const w = world();
    const bare = { store: w.store, now: w.now, newId: w.registry.newId };
    await createRegisteredModel(bare, alice, { name: 'm' });

    // Act
    const refused = createModelVersion(bare, alice, {
      name: 'm',
      source: 'models:/m/1',
    });

    // Assess
    await expectRefusal(refused, InvalidStateError, 'INVALID_STATE');
  });
});

describe('Databricks download routes', () => {
  it('refuse a source of more than 1000 files at creation', async () => {
    // Prepare
    const w = world();
    await createRegisteredModel(w.registry, alice, { name: 'm' });
    for (let i = 0; i < 1001; i += 1) {
      w.team.put(`models/big/model/${String(i).padStart(4, '0')}`, 'x');
    }

    // Act
    const tooMany = createModelVersion(w.registry, alice, {
      name: 'm',
      source: 's3://team/models/big/model',
    });

    // Assess
    await expectRefusal(
      tooMany,
      InvalidParameterValueError,
      'INVALID_PARAMETER_VALUE',
      'more than 1000 files'
    );
  });

  it('page list-artifacts by path, and refuse bad tokens and paths', async () => {
    // Prepare
    const w = world();
    await createRegisteredModel(w.registry, alice, { name: 'm' });
    for (const name of ['a', 'b', 'c', 'd/e']) {
      w.team.put(`models/wide/model/${name}`, 'x');
    }
    await createModelVersion(w.registry, alice, {
      name: 'm',
      source: 's3://team/models/wide/model',
    });
    await runJobs(w);

    // Act
    const pages: string[][] = [];
    let pageToken: string | undefined;
    do {
      const page = await listVersionArtifacts(w.reads, {
        name: 'm',
        version: 1,
        pageToken,
        pageSize: 3,
      });
      pages.push(page.files.map((file) => file.path));
      pageToken = page.nextPageToken;
    } while (pageToken);
    const bad = listVersionArtifacts(w.reads, {
      name: 'm',
      version: 1,
      pageToken: '!!',
    });
    const traversal = signedDownloadUri(w.reads, {
      name: 'm',
      version: 1,
      path: '../x',
    });
    const control = signedDownloadUri(w.reads, {
      name: 'm',
      version: 1,
      path: 'a\u0001',
    });
    const root = signedDownloadUri(w.reads, { name: 'm', version: 1 });
    const missing = listVersionArtifacts(w.reads, {
      name: 'm',
      version: 1,
      path: 'nothing',
    });

    // Assess
    expect(pages).toEqual([['a', 'b', 'c'], ['d']]);
    await expect(bad).rejects.toThrow(InvalidParameterValueError);
    await expect(traversal).rejects.toThrow(InvalidParameterValueError);
    await expect(control).rejects.toThrow(InvalidParameterValueError);
    await expect(root).rejects.toThrow(ResourceDoesNotExistError);
    await expect(missing).rejects.toThrow(ResourceDoesNotExistError);
  });
});
