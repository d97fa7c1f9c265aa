import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  cleanupUploadSessions,
  retainedUploads,
} from '#domain/artifacts/cleanup.ts';
import {
  listManagedArtifacts,
  managedArtifactUrl,
  managedVersionFiles,
} from '#domain/artifacts/downloads.ts';
import { ArtifactTransferError } from '#domain/artifacts/errors.ts';
import {
  managedUploadId,
  parseManagedArtifactPath,
  validateArtifactPath,
} from '#domain/artifacts/paths.ts';
import {
  type RegistrationDependencies,
  registerArtifacts,
  verifyCopy,
} from '#domain/artifacts/registration.ts';
import {
  partSizeFor,
  uploadLimits,
  validateAnnouncedFiles,
} from '#domain/artifacts/upload-session.ts';
import {
  type CreatedUpload,
  type CreateUploadInput,
  completeUploadSession,
  createUploadSession,
  type UploadDependencies,
} from '#domain/artifacts/uploads.ts';
import { cleanupTemporaryArtifacts } from '#domain/cleanup.ts';
import {
  InvalidParameterValueError,
  InvalidStateError,
  PermissionDeniedError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import {
  createRegisteredModel,
  renameRegisteredModel,
} from '#domain/registry/models.ts';
import { transitionModelVersionStage } from '#domain/registry/transitions.ts';
import {
  createModelVersion,
  getModelVersion,
  getModelVersionDownloadUri,
} from '#domain/registry/versions.ts';
import type { RegistrationJob } from '#ports/registration-queue.ts';
import { MemoryArtifactBucket } from '#test/support/memory-artifact-bucket.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';
import { MemoryUploadSessionStore } from '#test/support/memory-upload-session-store.ts';

const MiB = 1024 * 1024;
const BUCKET = 'artifact-bucket';
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

/** Everything wired in memory, with a clock the test moves. */
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
  const uploadDeps: UploadDependencies = {
    store,
    uploads,
    transfers: bucket,
    now,
    newId: () => (++ids).toString(16).padStart(32, '0'),
    urlTtlSeconds: 900,
  };
  const registry = {
    store,
    now,
    newId: () => `m${++ids}`.padEnd(32, '0'),
    artifacts: { bucketName: BUCKET, uploads, registrations: queue },
  };
  const registration: RegistrationDependencies = {
    store,
    leases: store.leases,
    uploads,
    transfers: bucket,
    queue,
    now,
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
    uploads,
    store,
    jobs,
    uploadDeps,
    registry,
    registration,
    reads,
    advance: (ms: number) => {
      clock += ms;
    },
    now,
  };
}

type World = ReturnType<typeof world>;

function cleanupDeps(w: World) {
  return {
    uploads: w.uploads,
    store: w.store,
    artifacts: w.bucket,
    now: w.now,
  };
}

/**
 * Opens an upload as `caller` for model `m` unless the input names another
 * (creating the model first when it does not exist yet).
 */
async function openUpload(
  w: World,
  caller: Principal,
  input: Omit<CreateUploadInput, 'name'> & { name?: string }
): Promise<CreatedUpload> {
  const name = input.name ?? 'm';
  if (!(await w.store.getModelRecordByName(name))) {
    await createRegisteredModel(w.registry, admin, { name });
  }
  return createUploadSession(w.uploadDeps, caller, { ...input, name });
}

/** Uploads and completes `files` as `caller`; answers the session id. */
async function uploaded(
  w: World,
  files: Record<string, string>,
  caller: Principal = alice
): Promise<string> {
  const created = await openUpload(w, caller, {
    files: Object.entries(files).map(([path, data]) => ({
      path,
      size: Buffer.byteLength(data),
    })),
  });
  for (const [path, data] of Object.entries(files)) {
    w.bucket.put(`tmp-external-source/${created.uploadId}/${path}`, data);
  }
  await completeUploadSession(w.uploadDeps, caller, {
    uploadId: created.uploadId,
    files: Object.entries(files).map(([path, data]) => ({
      path,
      size: Buffer.byteLength(data),
      sha256: sha256(data),
    })),
  });
  return created.uploadId;
}

async function registered(w: World, files: Record<string, string>) {
  await createRegisteredModel(w.registry, alice, { name: 'm' });
  const uploadId = await uploaded(w, files);
  const version = await createModelVersion(w.registry, alice, {
    name: 'm',
    source: `stagegate-upload:${uploadId}`,
  });
  return { uploadId, version };
}

const forever = { remainingMs: () => 15 * 60_000 };

/** The smallest file that goes up in parts (64 MiB + 1: five 16 MiB parts). */
const MULTIPART = Buffer.alloc(uploadLimits.multipartThreshold + 1, 7);

/**
 * Opens an upload of one multipart file for `alice` and uploads its parts;
 * answers the ETags S3 gave them.
 */
async function uploadedParts(w: World) {
  const created = await openUpload(w, alice, {
    files: [{ path: 'weights.bin', size: MULTIPART.length }],
  });
  const target = created.files[0] as unknown as {
    multipartUploadId: string;
    partSize: number;
    parts: { partNumber: number }[];
  };
  const parts = target.parts.map((part) => ({
    partNumber: part.partNumber,
    etag: w.bucket.uploadPart(
      target.multipartUploadId,
      part.partNumber,
      MULTIPART.subarray(
        (part.partNumber - 1) * target.partSize,
        part.partNumber * target.partSize
      )
    ),
  }));
  const complete = (partsSent: typeof parts = parts) =>
    completeUploadSession(w.uploadDeps, alice, {
      uploadId: created.uploadId,
      files: [
        {
          path: 'weights.bin',
          size: MULTIPART.length,
          sha256: sha256(MULTIPART),
          parts: partsSent,
        },
      ],
    });
  return { uploadId: created.uploadId, parts, complete };
}

describe('artifacts', () => {
  describe('validateArtifactPath', () => {
    it.each(['MLmodel', 'data/model.pkl', 'a b/ünïcødé.txt', 'x'.repeat(1024)])(
      'accepts %s',
      (path) => {
        expect(validateArtifactPath(path)).toBe(path);
      }
    );

    it.each([
      ['', /empty/],
      ['/etc/passwd', /relative/],
      ['a/../b', /'\.\.'/],
      ['./a', /'\.'/],
      ['a//b', /empty segment/],
      ['a/', /empty segment/],
      ['a\\b', /backslash/],
      ['a\u0000b', /control/],
      ['é'.repeat(513), /1024 bytes/],
      ['.stagegate-manifest.json', /reserved/],
    ])('refuses %j', (path, why) => {
      expect(() => validateArtifactPath(path)).toThrow(
        InvalidParameterValueError
      );
      expect(() => validateArtifactPath(path)).toThrow(why);
    });
  });

  describe('validateAnnouncedFiles', () => {
    it('refuses more than 1000 files, duplicates, sizes out of range and file/directory clashes', () => {
      const many = Array.from({ length: 1001 }, (_, i) => ({
        path: `f${i}`,
        size: 1,
      }));
      expect(() => validateAnnouncedFiles(many)).toThrow(/at most 1000/);
      expect(() =>
        validateAnnouncedFiles([
          { path: 'a', size: 1 },
          { path: 'a', size: 2 },
        ])
      ).toThrow(/twice/);
      expect(() =>
        validateAnnouncedFiles([
          { path: 'a', size: uploadLimits.maxFileSize + 1 },
        ])
      ).toThrow(/5 GiB/);
      expect(() => validateAnnouncedFiles([{ path: 'a', size: -1 }])).toThrow(
        InvalidParameterValueError
      );
      expect(() =>
        validateAnnouncedFiles([
          { path: 'a', size: 1 },
          { path: 'a/b', size: 1 },
        ])
      ).toThrow(/both a file and a directory/);
      expect(() => validateAnnouncedFiles([])).toThrow(/at least one/);
    });

    it('accepts exactly 1000 files and 5 GiB files', () => {
      const many = Array.from({ length: 1000 }, (_, i) => ({
        path: `f${i}`,
        size: 0,
      }));
      expect(() => validateAnnouncedFiles(many)).not.toThrow();
      expect(() =>
        validateAnnouncedFiles([
          { path: 'big', size: uploadLimits.maxFileSize },
        ])
      ).not.toThrow();
    });
  });

  describe('partSizeFor', () => {
    it('uses 16 MiB parts for smaller files and about 20 parts for large ones', () => {
      expect(partSizeFor(70 * MiB)).toBe(16 * MiB);
      expect(partSizeFor(5 * 1024 * MiB)).toBe(256 * MiB);
      expect(Math.ceil((5 * 1024 * MiB) / partSizeFor(5 * 1024 * MiB))).toBe(
        20
      );
    });
  });

  describe('managedUploadId', () => {
    const id = 'ab'.repeat(16);

    it('recognises upload sources and the temporary prefix of the bucket', () => {
      expect(managedUploadId(`stagegate-upload:${id}`, BUCKET)).toBe(id);
      expect(
        managedUploadId(`s3://${BUCKET}/tmp-external-source/${id}`, BUCKET)
      ).toBe(id);
      expect(
        managedUploadId(`s3://${BUCKET}/tmp-external-source/${id}/`, BUCKET)
      ).toBe(id);
    });

    it('leaves other sources unmanaged', () => {
      expect(managedUploadId('runs:/abc/model', BUCKET)).toBeUndefined();
      expect(
        managedUploadId(`s3://other/tmp-external-source/${id}`, BUCKET)
      ).toBeUndefined();
      expect(
        managedUploadId(`s3://${BUCKET}/models/${id}`, BUCKET)
      ).toBeUndefined();
    });

    it('refuses malformed upload ids and files inside an upload', () => {
      expect(() => managedUploadId('stagegate-upload:nope', BUCKET)).toThrow(
        InvalidParameterValueError
      );
      expect(() =>
        managedUploadId(
          `s3://${BUCKET}/tmp-external-source/${id}/MLmodel`,
          BUCKET
        )
      ).toThrow(/whole upload/);
    });
  });

  describe('parseManagedArtifactPath', () => {
    it('finds the model id, version and path inside it', () => {
      expect(
        parseManagedArtifactPath('mlflow-registry/abc/3/data/x.bin')
      ).toEqual({
        modelId: 'abc',
        version: 3,
        relative: 'data/x.bin',
      });
      expect(parseManagedArtifactPath('/mlflow-registry/abc/3/')).toEqual({
        modelId: 'abc',
        version: 3,
        relative: '',
      });
    });

    it('refuses traversal (400) and paths outside a version (404)', () => {
      expect(() =>
        parseManagedArtifactPath('mlflow-registry/abc/3/../4')
      ).toThrow(InvalidParameterValueError);
      for (const path of [
        '',
        'mlflow-registry',
        'mlflow-registry/abc',
        'tmp-external-source/x/1',
        'mlflow-registry/abc/0',
      ]) {
        expect(() => parseManagedArtifactPath(path), path).toThrow(
          ResourceDoesNotExistError
        );
      }
    });
  });

  describe('createUploadSession', () => {
    it("binds the session to the model's id", async () => {
      // Prepare
      const w = world();
      await createRegisteredModel(w.registry, alice, { name: 'fraud' });

      // Act
      const created = await openUpload(w, alice, {
        name: 'fraud',
        files: [{ path: 'MLmodel', size: 10 }],
      });

      // Assess
      const model = await w.store.getModelRecordByName('fraud');
      expect(model).toBeDefined();
      expect(await w.uploads.get(created.uploadId)).toMatchObject({
        modelId: model?.model.id,
        ownerId: alice.id,
        status: 'OPEN',
      });
    });

    it('refuses a model that does not exist, opening nothing', async () => {
      // Prepare
      const w = world();

      // Act
      const attempt = createUploadSession(w.uploadDeps, alice, {
        name: 'nope',
        files: [{ path: 'weights.bin', size: 70 * MiB }],
      });

      // Assess
      await expect(attempt).rejects.toThrow(ResourceDoesNotExistError);
      await expect(attempt).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
        message: 'Registered Model with name=nope not found',
      });
      expect(
        await w.uploads.listForCleanup('OPEN', { limit: 10 })
      ).toStrictEqual([]);
    });

    it('hands out one URL per small file and part URLs above 64 MiB', async () => {
      // Prepare
      const w = world();

      // Act
      const created = await openUpload(w, alice, {
        files: [
          { path: 'MLmodel', size: 10 },
          { path: 'weights.bin', size: 70 * MiB },
        ],
      });

      // Assess
      expect(created.files[0]).toEqual({
        path: 'MLmodel',
        url: expect.stringContaining(
          `tmp-external-source/${created.uploadId}/MLmodel`
        ),
      });
      expect(created.files[1]).toMatchObject({
        path: 'weights.bin',
        multipartUploadId: expect.any(String),
        partSize: 16 * MiB,
      });
      expect(
        'parts' in (created.files[1] ?? {})
          ? (created.files[1] as unknown as { parts: unknown[] }).parts
          : []
      ).toHaveLength(5);
      expect(created.expiresAt).toBe(w.now() + 900_000);
      expect(await w.uploads.get(created.uploadId)).toMatchObject({
        ownerId: alice.id,
        status: 'OPEN',
      });
    });

    it('shortens URLs on request, never lengthens them', async () => {
      const w = world();
      const short = await openUpload(w, alice, {
        files: [{ path: 'a', size: 1 }],
        expiresInSeconds: 1,
      });
      const long = await openUpload(w, alice, {
        files: [{ path: 'a', size: 1 }],
        expiresInSeconds: 86_400,
      });
      expect(short.expiresAt).toBe(w.now() + 1000);
      expect(long.expiresAt).toBe(w.now() + 900_000);
      await expect(
        openUpload(w, alice, {
          files: [{ path: 'a', size: 1 }],
          expiresInSeconds: 0,
        })
      ).rejects.toThrow(InvalidParameterValueError);
    });
  });

  describe('completeUploadSession', () => {
    it('completes multipart files and records size, SHA-256, ETag and version', async () => {
      // Prepare
      const w = world();
      const big = Buffer.alloc(70 * MiB, 1);
      const created = await openUpload(w, alice, {
        files: [{ path: 'weights.bin', size: big.length }],
      });
      const target = created.files[0] as unknown as {
        multipartUploadId: string;
        partSize: number;
        parts: { partNumber: number }[];
      };
      const parts = target.parts.map((part) => ({
        partNumber: part.partNumber,
        etag: w.bucket.uploadPart(
          target.multipartUploadId,
          part.partNumber,
          big.subarray(
            (part.partNumber - 1) * target.partSize,
            part.partNumber * target.partSize
          )
        ),
      }));

      // Act
      const completed = await completeUploadSession(w.uploadDeps, alice, {
        uploadId: created.uploadId,
        files: [
          { path: 'weights.bin', size: big.length, sha256: sha256(big), parts },
        ],
      });

      // Assess
      expect(completed.source).toBe(`stagegate-upload:${created.uploadId}`);
      const session = await w.uploads.get(created.uploadId);
      expect(session?.status).toBe('COMPLETED');
      expect(session?.manifest).toEqual([
        {
          path: 'weights.bin',
          size: big.length,
          sha256: sha256(big),
          etag: expect.stringMatching(/^[0-9a-f]{32}-5$/),
          versionId: expect.any(String),
        },
      ]);
    });

    it('refuses files that are missing, of another size, or not announced', async () => {
      const w = world();
      const created = await openUpload(w, alice, {
        files: [{ path: 'a', size: 3 }],
      });
      const complete = (
        files: { path: string; size: number; sha256: string }[]
      ) =>
        completeUploadSession(w.uploadDeps, alice, {
          uploadId: created.uploadId,
          files,
        });
      await expect(
        complete([{ path: 'a', size: 3, sha256: sha256('abc') }])
      ).rejects.toThrow(/was not uploaded/);
      w.bucket.put(`tmp-external-source/${created.uploadId}/a`, 'abcd');
      await expect(
        complete([{ path: 'a', size: 3, sha256: sha256('abc') }])
      ).rejects.toThrow(/4 bytes in storage/);
      await expect(
        complete([{ path: 'b', size: 3, sha256: sha256('abc') }])
      ).rejects.toThrow(/not part of upload/);
      await expect(
        complete([{ path: 'a', size: 3, sha256: 'xyz' }])
      ).rejects.toThrow(/sha256/);
      expect((await w.uploads.get(created.uploadId))?.status).toBe('OPEN');
    });

    it('answers a retried completion the same, and refuses other files', async () => {
      const w = world();
      const id = await uploaded(w, { a: 'abc' });
      await expect(
        completeUploadSession(w.uploadDeps, alice, {
          uploadId: id,
          files: [{ path: 'a', size: 3, sha256: sha256('abc').toUpperCase() }],
        })
      ).resolves.toEqual({ uploadId: id, source: `stagegate-upload:${id}` });
      await expect(
        completeUploadSession(w.uploadDeps, alice, {
          uploadId: id,
          files: [{ path: 'a', size: 3, sha256: sha256('abd') }],
        })
      ).rejects.toThrow(InvalidStateError);
    });

    it("lets only the session's creator or an admin complete it", async () => {
      const w = world();
      const created = await openUpload(w, alice, {
        files: [{ path: 'a', size: 3 }],
      });
      w.bucket.put(`tmp-external-source/${created.uploadId}/a`, 'abc');
      const files = [{ path: 'a', size: 3, sha256: sha256('abc') }];
      await expect(
        completeUploadSession(w.uploadDeps, bob, {
          uploadId: created.uploadId,
          files,
        })
      ).rejects.toThrow(PermissionDeniedError);
      await expect(
        completeUploadSession(w.uploadDeps, admin, {
          uploadId: created.uploadId,
          files,
        })
      ).resolves.toMatchObject({ uploadId: created.uploadId });
      await expect(
        completeUploadSession(w.uploadDeps, alice, {
          uploadId: 'f'.repeat(32),
          files,
        })
      ).rejects.toThrow(ResourceDoesNotExistError);
    });
  });

  describe('createModelVersion from an upload', () => {
    it('creates the version PENDING_REGISTRATION, consumes the upload and queues its registration', async () => {
      // Act
      const w = world();
      const { uploadId, version } = await registered(w, { MLmodel: 'x' });

      // Assess
      expect(version).toMatchObject({
        status: 'PENDING_REGISTRATION',
        statusMessage: 'Copying artifacts',
        source: `stagegate-upload:${uploadId}`,
      });
      expect(w.jobs).toEqual([
        { modelId: version.modelId, version: 1, uploadId },
      ]);
      expect(await w.uploads.get(uploadId)).toMatchObject({
        status: 'CONSUMED',
        consumedBy: { modelId: version.modelId, version: 1 },
      });
    });

    it('registers an upload only into the model it was opened for, by id', async () => {
      // Prepare: an upload for m; m renamed to m2; a new model takes the
      // name m.
      const w = world();
      await createRegisteredModel(w.registry, alice, { name: 'm' });
      await createRegisteredModel(w.registry, alice, { name: 'other' });
      const uploadId = await uploaded(w, { a: 'b' });
      const source = `stagegate-upload:${uploadId}`;
      const create = (name: string) =>
        createModelVersion(w.registry, alice, { name, source });

      // Act
      const intoOther = create('other');
      await renameRegisteredModel(w.registry, { name: 'm', newName: 'm2' });
      await createRegisteredModel(w.registry, alice, { name: 'm' });
      const intoNewM = create('m');
      const intoRenamed = await create('m2');

      // Assess
      await expect(intoOther).rejects.toThrow(InvalidParameterValueError);
      await expect(intoOther).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: `Upload ${uploadId} was opened for another registered model; open an upload for this one.`,
      });
      await expect(intoNewM).rejects.toThrow(InvalidParameterValueError);
      expect(intoRenamed).toMatchObject({
        name: 'm2',
        version: 1,
        status: 'PENDING_REGISTRATION',
      });
      for (const name of ['other', 'm']) {
        await expect(
          getModelVersion(w.registry, { name, version: 1 })
        ).rejects.toThrow(ResourceDoesNotExistError);
      }
    });

    it('refuses an upload used before, not completed, or of someone else', async () => {
      const w = world();
      const { uploadId } = await registered(w, { MLmodel: 'x' });
      const create = (source: string, caller = alice) =>
        createModelVersion(w.registry, caller, { name: 'm', source });
      await expect(create(`stagegate-upload:${uploadId}`)).rejects.toThrow(
        /already registered as version 1/
      );
      const open = await openUpload(w, alice, {
        files: [{ path: 'a', size: 1 }],
      });
      await expect(create(`stagegate-upload:${open.uploadId}`)).rejects.toThrow(
        /not completed/
      );
      const bobs = await uploaded(w, { a: 'b' }, bob);
      await expect(create(`stagegate-upload:${bobs}`)).rejects.toThrow(
        PermissionDeniedError
      );
      // A failed attempt creates no version.
      expect(
        (await getModelVersion(w.registry, { name: 'm', version: 1 })).version
      ).toBe(1);
      await expect(
        getModelVersion(w.registry, { name: 'm', version: 2 })
      ).rejects.toThrow(ResourceDoesNotExistError);
    });

    it('fails the version at once when its registration cannot be queued', async () => {
      const w = world();
      await createRegisteredModel(w.registry, alice, { name: 'm' });
      const uploadId = await uploaded(w, { a: 'b' });
      const broken = {
        ...w.registry,
        artifacts: {
          ...w.registry.artifacts,
          registrations: {
            enqueue: async () => {
              throw new Error('throttled');
            },
          },
        },
      };
      const version = await createModelVersion(broken, alice, {
        name: 'm',
        source: `stagegate-upload:${uploadId}`,
      });
      expect(version.status).toBe('FAILED_REGISTRATION');
      expect(
        (await getModelVersion(w.registry, { name: 'm', version: 1 })).status
      ).toBe('FAILED_REGISTRATION');
    });
  });

  describe('registerArtifacts', () => {
    it('copies every file, writes the manifest and sets READY', async () => {
      // Prepare
      const w = world();
      const { version, uploadId } = await registered(w, {
        MLmodel: 'm',
        'data/x.bin': 'xx',
      });
      const [job] = w.jobs;

      // Act
      const outcome = await registerArtifacts(
        w.registration,
        job as RegistrationJob,
        forever
      );

      // Assess
      expect(outcome).toBe('READY');
      // Announced with the status, in the same write (the outbox).
      expect(
        w.store.outbox
          .all()
          .filter((event) => event.types[0].startsWith('MODEL_VERSION_REG'))
      ).toEqual([
        expect.objectContaining({
          types: ['MODEL_VERSION_REGISTRATION_READY'],
          modelId: version.modelId,
          version: 1,
          status: 'READY',
        }),
      ]);
      const root = `mlflow-registry/${version.modelId}/1/`;
      expect(w.bucket.keys(root)).toEqual([
        `${root}.stagegate-manifest.json`,
        `${root}MLmodel`,
        `${root}data/x.bin`,
      ]);
      expect(w.bucket.data(`${root}data/x.bin`)?.toString()).toBe('xx');
      expect(
        JSON.parse(
          w.bucket.data(`${root}.stagegate-manifest.json`)?.toString() ?? ''
        )
      ).toMatchObject({
        upload_id: uploadId,
        files: [
          { path: 'MLmodel', size: 1, sha256: sha256('m') },
          { path: 'data/x.bin', size: 2, sha256: sha256('xx') },
        ],
      });
      // Pinned to what completion recorded.
      expect(
        w.bucket.copies.every((c) => c.sourceVersionId && c.sourceEtag)
      ).toBe(true);
      expect(
        (await getModelVersion(w.registry, { name: 'm', version: 1 })).status
      ).toBe('READY');
      await expect(
        getModelVersionDownloadUri(w.registry, { name: 'm', version: 1 })
      ).resolves.toBe(`mlflow-artifacts:/mlflow-registry/${version.modelId}/1`);
    });

    it('is idempotent: a repeated job does nothing', async () => {
      const w = world();
      await registered(w, { a: 'b' });
      const job = w.jobs[0] as RegistrationJob;
      await registerArtifacts(w.registration, job, forever);
      await expect(
        registerArtifacts(w.registration, job, forever)
      ).resolves.toBe('SKIPPED');
    });

    it('fails with a message and removes every copy when one copy fails part-way', async () => {
      // Prepare
      const w = world();
      const files = Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [
          `f${String(i).padStart(2, '0')}`,
          `${i}`,
        ])
      );
      const { version, uploadId } = await registered(w, files);
      w.bucket.failCopies.set(
        `tmp-external-source/${uploadId}/f13`,
        new ArtifactTransferError(
          'other',
          'Copying f13 failed: InternalError',
          'InternalError',
          500
        )
      );

      // Act
      const outcome = await registerArtifacts(
        w.registration,
        w.jobs[0] as RegistrationJob,
        {
          ...forever,
          concurrency: 4,
        }
      );

      // Assess
      expect(outcome).toBe('FAILED_REGISTRATION');
      const failed = await getModelVersion(w.registry, {
        name: 'm',
        version: 1,
      });
      expect(failed.status).toBe('FAILED_REGISTRATION');
      expect(failed.statusMessage).toBe(
        'Copying artifacts failed: Copying f13 failed: InternalError.'
      );
      expect(
        w.store.outbox
          .all()
          .filter((event) => event.types[0].startsWith('MODEL_VERSION_REG'))
          .map((event) => [event.types[0], event.statusMessage])
      ).toEqual([
        [
          'MODEL_VERSION_REGISTRATION_FAILED',
          'Copying artifacts failed: Copying f13 failed: InternalError.',
        ],
      ]);
      expect(w.bucket.keys(`mlflow-registry/${version.modelId}/`)).toEqual([]);
      await expect(
        getModelVersionDownloadUri(w.registry, { name: 'm', version: 1 })
      ).rejects.toThrow(InvalidStateError);
      await expect(
        transitionModelVersionStage(w.registry, alice, {
          name: 'm',
          version: 1,
          stage: 'Staging',
          archiveExistingVersions: false,
        })
      ).rejects.toThrow(/FAILED_REGISTRATION/);
    });

    it('catches a copy whose source changed since completion', async () => {
      const w = world();
      const { uploadId } = await registered(w, { 'model.bin': 'abc' });
      w.bucket.failCopies.set(
        `tmp-external-source/${uploadId}/model.bin`,
        new ArtifactTransferError(
          'changed',
          'Copying model.bin failed: PreconditionFailed',
          'PreconditionFailed',
          412
        )
      );
      await registerArtifacts(
        w.registration,
        w.jobs[0] as RegistrationJob,
        forever
      );
      const failed = await getModelVersion(w.registry, {
        name: 'm',
        version: 1,
      });
      expect(failed.statusMessage).toContain(
        'changed after the upload was completed'
      );
    });

    it('hands the rest to a new invocation when time runs short, and finishes there', async () => {
      // Prepare
      const w = world();
      const files = Object.fromEntries(
        Array.from({ length: 10 }, (_, i) => [`f${i}`, 'x'])
      );
      await registered(w, files);
      let left = 200_000;

      // Act
      const first = await registerArtifacts(
        w.registration,
        w.jobs[0] as RegistrationJob,
        {
          remainingMs: () => (left -= 30_000),
          concurrency: 2,
        }
      );
      const continued = w.jobs[1] as RegistrationJob;
      const second = await registerArtifacts(w.registration, continued, {
        ...forever,
        concurrency: 2,
      });

      // Assess
      expect(first).toBe('CONTINUED');
      expect(continued.startAt).toBeGreaterThan(0);
      expect(second).toBe('READY');
      expect(w.bucket.copies).toHaveLength(10);
    });
  });

  describe('verifyCopy', () => {
    const entry = {
      path: 'a',
      size: 3,
      sha256: 'x',
      etag: '0cc175b9c0f1b6a831c399e269772661',
    };

    it('compares ETags of the same kind only', () => {
      expect(verifyCopy(entry, { size: 3, etag: entry.etag })).toBeUndefined();
      expect(verifyCopy(entry, { size: 3, etag: 'ffff' })).toMatch(
        /checksum mismatch/
      );
      expect(verifyCopy(entry, { size: 4, etag: entry.etag })).toMatch(
        /4 bytes/
      );
      // A multipart upload copied by CopyObject gets a plain MD5 on S3.
      expect(
        verifyCopy({ ...entry, etag: 'abc-5' }, { size: 3, etag: 'def' })
      ).toBeUndefined();
    });
  });

  describe('completeUploadSession, the manifest', () => {
    it.each([
      [
        'a path twice',
        [
          { path: 'a', size: 3 },
          { path: 'a', size: 3 },
        ],
        "The path 'a' appears twice.",
      ],
      [
        'a size other than announced',
        [
          { path: 'a', size: 4 },
          { path: 'b', size: 1 },
        ],
        "File 'a' was announced with 3 bytes, but the manifest says 4.",
      ],
      [
        'parts for a file uploaded in one piece',
        [
          { path: 'a', size: 3, parts: [{ partNumber: 1, etag: 'e' }] },
          { path: 'b', size: 1 },
        ],
        "File 'a' was uploaded in one piece; it has no parts.",
      ],
      [
        'fewer files than announced',
        [{ path: 'a', size: 3 }],
        "The manifest lacks 1 file(s) of the upload, first 'b'.",
      ],
    ])('refuses %s, leaving the session open', async (_, files, message) => {
      // Prepare
      const w = world();
      const created = await openUpload(w, alice, {
        files: [
          { path: 'a', size: 3 },
          { path: 'b', size: 1 },
        ],
      });
      w.bucket.put(`tmp-external-source/${created.uploadId}/a`, 'abc');
      w.bucket.put(`tmp-external-source/${created.uploadId}/b`, 'd');

      // Act
      const attempt = completeUploadSession(w.uploadDeps, alice, {
        uploadId: created.uploadId,
        files: files.map((file) => ({ ...file, sha256: sha256('x') })),
      });

      // Assess
      await expect(attempt).rejects.toThrow(InvalidParameterValueError);
      await expect(attempt).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message,
      });
      expect((await w.uploads.get(created.uploadId))?.status).toBe('OPEN');
    });

    it('needs the ETag of every part of a multipart file, each once', async () => {
      // Prepare
      const w = world();
      const { parts, complete } = await uploadedParts(w);

      // Act
      const missingPart = complete(parts.slice(1));
      const repeatedPart = complete(
        [...parts.slice(0, -1), parts[0]].filter((part) => part !== undefined)
      );

      // Assess
      for (const attempt of [missingPart, repeatedPart]) {
        await expect(attempt).rejects.toThrow(InvalidParameterValueError);
        await expect(attempt).rejects.toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
          message: `File 'weights.bin' needs the ETags of its parts 1 to ${parts.length}, each once.`,
        });
      }
    });

    it("refuses ETags that do not match the uploaded parts, naming S3's code", async () => {
      // Prepare
      const w = world();
      const { parts, complete } = await uploadedParts(w);

      // Act
      const attempt = complete(
        parts.map((part) => ({ ...part, etag: '0'.repeat(32) }))
      );

      // Assess
      await expect(attempt).rejects.toThrow(InvalidParameterValueError);
      await expect(attempt).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining(
          "The parts of 'weights.bin' do not match what was uploaded (InvalidPart)"
        ),
      });
    });

    it('finishes a retried completion whose multipart upload the first attempt already completed', async () => {
      // Prepare: the first attempt completes the multipart upload in S3,
      // then fails to record the manifest.
      const w = world();
      const { uploadId, complete } = await uploadedParts(w);
      const record = w.uploads.complete.bind(w.uploads);
      w.uploads.complete = async () => {
        throw new Error('throttled');
      };
      await expect(complete()).rejects.toThrow('throttled');
      w.uploads.complete = record;

      // Act
      const completed = await complete();

      // Assess
      expect(completed).toStrictEqual({
        uploadId,
        source: `stagegate-upload:${uploadId}`,
      });
      expect((await w.uploads.get(uploadId))?.manifest).toEqual([
        expect.objectContaining({
          path: 'weights.bin',
          size: MULTIPART.length,
          sha256: sha256(MULTIPART),
        }),
      ]);
    });

    it('passes other S3 failures through', async () => {
      // Prepare
      const w = world();
      const { complete } = await uploadedParts(w);
      w.bucket.completeMultipartUpload = async () => {
        throw new ArtifactTransferError('other', 'SlowDown', 'SlowDown', 503);
      };

      // Act
      const attempt = complete();

      // Assess
      await expect(attempt).rejects.toThrow(ArtifactTransferError);
      await expect(attempt).rejects.toMatchObject({ failure: 'other' });
    });

    /**
     * An open session of one file `a` ('abc') whose completion another
     * request wins, recording `sha` for `a`, between this one's checks and
     * its write.
     */
    async function completedMeanwhile(sha: string) {
      const w = world();
      const created = await openUpload(w, alice, {
        files: [{ path: 'a', size: 3 }],
      });
      w.bucket.put(`tmp-external-source/${created.uploadId}/a`, 'abc');
      const record = w.uploads.complete.bind(w.uploads);
      w.uploads.complete = async (id, manifest, now) => {
        w.uploads.complete = record;
        await record(
          id,
          manifest.map((entry) => ({ ...entry, sha256: sha })),
          now
        );
        return record(id, manifest, now);
      };
      const complete = () =>
        completeUploadSession(w.uploadDeps, alice, {
          uploadId: created.uploadId,
          files: [{ path: 'a', size: 3, sha256: sha256('abc') }],
        });
      return { uploadId: created.uploadId, complete };
    }

    it('answers the same when a concurrent completion with the same files won', async () => {
      // Prepare
      const { uploadId, complete } = await completedMeanwhile(sha256('abc'));

      // Act
      const completed = await complete();

      // Assess
      expect(completed).toStrictEqual({
        uploadId,
        source: `stagegate-upload:${uploadId}`,
      });
    });

    it('refuses when a concurrent completion with other files won', async () => {
      // Prepare
      const { uploadId, complete } = await completedMeanwhile(sha256('abd'));

      // Act
      const attempt = complete();

      // Assess
      await expect(attempt).rejects.toThrow(InvalidStateError);
      await expect(attempt).rejects.toMatchObject({
        code: 'INVALID_STATE',
        message: `Upload ${uploadId} changed while it was being completed.`,
      });
    });

    it('refuses to complete an expired session', async () => {
      // Prepare
      const w = world();
      const created = await openUpload(w, alice, {
        files: [{ path: 'a', size: 3 }],
      });
      await w.uploads.expire(created.uploadId, w.now());

      // Act
      const attempt = completeUploadSession(w.uploadDeps, alice, {
        uploadId: created.uploadId,
        files: [{ path: 'a', size: 3, sha256: sha256('abc') }],
      });

      // Assess
      await expect(attempt).rejects.toThrow(InvalidStateError);
      await expect(attempt).rejects.toMatchObject({
        code: 'INVALID_STATE',
        message: `Upload ${created.uploadId} has expired; start a new upload.`,
      });
    });

    it('answers 404 for an id that is not an upload id', async () => {
      // Prepare
      const w = world();

      // Act
      const attempt = completeUploadSession(w.uploadDeps, alice, {
        uploadId: '../etc',
        files: [],
      });

      // Assess
      await expect(attempt).rejects.toThrow(ResourceDoesNotExistError);
      await expect(attempt).rejects.toHaveProperty(
        'code',
        'RESOURCE_DOES_NOT_EXIST'
      );
    });
  });

  describe('downloads', () => {
    it('lists one level, presigns GETs of files and answers 404 for others', async () => {
      // Prepare
      const w = world();
      const { version } = await registered(w, {
        MLmodel: 'm',
        'data/x.bin': 'xx',
      });
      await registerArtifacts(
        w.registration,
        w.jobs[0] as RegistrationJob,
        forever
      );
      const root = `mlflow-registry/${version.modelId}/1`;

      // Act & Assess
      expect(await listManagedArtifacts(w.reads, root)).toEqual([
        {
          path: '.stagegate-manifest.json',
          isDir: false,
          fileSize: expect.any(Number),
        },
        { path: 'MLmodel', isDir: false, fileSize: 1 },
        { path: 'data', isDir: true },
      ]);
      expect(await listManagedArtifacts(w.reads, `${root}/data`)).toEqual([
        { path: 'x.bin', isDir: false, fileSize: 2 },
      ]);
      expect(
        (await managedArtifactUrl(w.reads, `${root}/data/x.bin`)).url
      ).toContain(`get/${root}/data/x.bin`);
      await expect(managedArtifactUrl(w.reads, `${root}/nope`)).rejects.toThrow(
        ResourceDoesNotExistError
      );
      await expect(managedArtifactUrl(w.reads, root)).rejects.toThrow(
        ResourceDoesNotExistError
      );
      const listed = await managedVersionFiles(w.reads, {
        name: 'm',
        version: '1',
      });
      expect(listed.files.map((f) => [f.path, f.sha256])).toEqual([
        ['MLmodel', sha256('m')],
        ['data/x.bin', sha256('xx')],
      ]);
    });

    it('answers 409 while the version is not READY', async () => {
      const w = world();
      const { version } = await registered(w, { MLmodel: 'm' });
      await expect(
        listManagedArtifacts(w.reads, `mlflow-registry/${version.modelId}/1`)
      ).rejects.toThrow(/PENDING_REGISTRATION/);
      await expect(
        managedVersionFiles(w.reads, { name: 'm', version: 1 })
      ).rejects.toThrow(InvalidStateError);
    });

    it('answers 404 for a model id, a version or a manifest that does not exist', async () => {
      // Prepare
      const w = world();
      const { version, uploadId } = await registered(w, { MLmodel: 'm' });
      await registerArtifacts(
        w.registration,
        w.jobs[0] as RegistrationJob,
        forever
      );
      const other = 'f'.repeat(32);
      const session = await w.uploads.get(uploadId);
      const withoutManifest = {
        ...w.reads,
        uploads: {
          get: async () => session && { ...session, manifest: undefined },
        },
      };

      // Act
      const attempts = [
        listManagedArtifacts(w.reads, `mlflow-registry/${other}/1`),
        listManagedArtifacts(w.reads, `mlflow-registry/${version.modelId}/2`),
        managedVersionFiles(w.reads, { name: 'missing', version: 1 }),
        managedVersionFiles(w.reads, { name: 'm', version: 2 }),
        managedVersionFiles(withoutManifest, { name: 'm', version: 1 }),
      ];

      // Assess
      const messages = [
        `No artifacts at 'mlflow-registry/${other}/1'.`,
        'Model Version (name=m, version=2) not found',
        'Registered Model with name=missing not found',
        'Model Version (name=m, version=2) not found',
        "The manifest of version 1 of registered model 'm' is missing.",
      ];
      for (const [index, attempt] of attempts.entries()) {
        await expect(attempt).rejects.toThrow(ResourceDoesNotExistError);
        await expect(attempt).rejects.toMatchObject({
          code: 'RESOURCE_DOES_NOT_EXIST',
          message: messages[index],
        });
      }
    });

    it('answers 404 for a version whose files the registry does not manage, and gives its source as the download URI', async () => {
      // Prepare
      const w = world();
      await createRegisteredModel(w.registry, alice, { name: 'm' });
      const version = await createModelVersion(w.registry, alice, {
        name: 'm',
        source: 's3://elsewhere/model',
      });

      // Act
      const listing = listManagedArtifacts(
        w.reads,
        `mlflow-registry/${version.modelId}/1`
      );
      const files = managedVersionFiles(w.reads, { name: 'm', version: 1 });
      const uri = await getModelVersionDownloadUri(w.registry, {
        name: 'm',
        version: 1,
      });

      // Assess
      for (const attempt of [listing, files]) {
        await expect(attempt).rejects.toThrow(ResourceDoesNotExistError);
        await expect(attempt).rejects.toMatchObject({
          code: 'RESOURCE_DOES_NOT_EXIST',
          message:
            "Version 1 of registered model 'm' has no registry-managed artifacts; its source is s3://elsewhere/model.",
        });
      }
      expect(uri).toBe('s3://elsewhere/model');
    });

    it("treats a malformed source in the registry's prefix as unmanaged instead of failing reads", async () => {
      // Prepare: a source the creation checks would refuse today.
      const w = world();
      await createRegisteredModel(w.registry, alice, { name: 'm' });
      const malformed = `s3://${BUCKET}/tmp-external-source/not-an-id/x`;
      const record = await w.store.getModelRecordByName('m');
      if (!record) throw new Error('no model');
      await w.store.createVersion(record, {
        modelId: record.model.id,
        version: 1,
        currentStage: 'None',
        description: '',
        source: malformed,
        runId: '',
        runLink: '',
        status: 'READY',
        statusMessage: '',
        tags: [],
        creationTimestamp: w.now(),
        lastUpdatedTimestamp: w.now(),
        userId: alice.userName,
      });

      // Act
      const uri = await getModelVersionDownloadUri(w.registry, {
        name: 'm',
        version: 1,
      });

      // Assess
      expect(uri).toBe(malformed);
    });
  });

  describe('cleanupUploadSessions', () => {
    const options = {
      maxAgeMs: 24 * HOUR,
      failedRetentionMs: 72 * HOUR,
      registrationDeadlineMs: 6 * HOUR,
      maxSessionsPerRun: 100,
      maxObjectsPerRun: 1000,
    };

    it('removes the temporary copy of a READY version, once', async () => {
      // Prepare
      const w = world();
      const { uploadId } = await registered(w, { a: '1', b: '2' });
      await registerArtifacts(
        w.registration,
        w.jobs[0] as RegistrationJob,
        forever
      );

      // Act
      const first = await cleanupUploadSessions(cleanupDeps(w), options);
      const second = await cleanupUploadSessions(cleanupDeps(w), options);

      // Assess
      expect(first).toMatchObject({
        registeredCleaned: 1,
        objectsDeleted: 2,
        cleanedUploads: [uploadId],
      });
      expect(w.bucket.keys(`tmp-external-source/${uploadId}/`)).toEqual([]);
      expect(second).toMatchObject({ sessionsExamined: 0, objectsDeleted: 0 });
      expect(w.bucket.keys('mlflow-registry/')).toHaveLength(3);
    });

    it('keeps a failed version’s upload for the retention, then removes it', async () => {
      const w = world();
      const { uploadId } = await registered(w, { a: '1' });
      w.bucket.failCopies.set(
        `tmp-external-source/${uploadId}/a`,
        new ArtifactTransferError('other', 'boom')
      );
      await registerArtifacts(
        w.registration,
        w.jobs[0] as RegistrationJob,
        forever
      );
      const deps = cleanupDeps(w);

      expect(await cleanupUploadSessions(deps, options)).toMatchObject({
        failedCleaned: 0,
      });
      w.advance(72 * HOUR);
      expect(await cleanupUploadSessions(deps, options)).toMatchObject({
        failedCleaned: 1,
        cleanedUploads: [uploadId],
      });
    });

    it('fails a registration that never finished, after the deadline', async () => {
      const w = world();
      await registered(w, { a: '1' });
      const deps = cleanupDeps(w);
      expect(await cleanupUploadSessions(deps, options)).toMatchObject({
        stalledFailed: 0,
      });
      w.advance(6 * HOUR);
      expect(await cleanupUploadSessions(deps, options)).toMatchObject({
        stalledFailed: 1,
      });
      const version = await getModelVersion(w.registry, {
        name: 'm',
        version: 1,
      });
      expect(version.status).toBe('FAILED_REGISTRATION');
      expect(version.statusMessage).toMatch(/did not finish within 6 hours/);
    });

    it('expires abandoned uploads with their objects and multipart uploads, and leaves young ones', async () => {
      // Prepare
      const w = world();
      const old = await openUpload(w, alice, {
        files: [
          { path: 'a', size: 1 },
          { path: 'big', size: 70 * MiB },
        ],
      });
      w.bucket.put(`tmp-external-source/${old.uploadId}/a`, 'a');
      w.advance(25 * HOUR);
      const young = await uploaded(w, { b: 'b' });

      // Act
      const report = await cleanupUploadSessions(cleanupDeps(w), options);

      // Assess
      expect(report).toMatchObject({
        abandonedExpired: 1,
        expiredUploads: [old.uploadId],
        objectsDeleted: 1,
      });
      expect(w.bucket.aborted).toHaveLength(1);
      expect(w.bucket.keys(`tmp-external-source/${old.uploadId}/`)).toEqual([]);
      expect(w.bucket.keys(`tmp-external-source/${young}/`)).toEqual([
        `tmp-external-source/${young}/b`,
      ]);
      expect((await w.uploads.get(old.uploadId))?.status).toBe('EXPIRED');
    });

    it('keeps the age-based sweep away from uploads the sessions still own', async () => {
      // Prepare: a failed version's upload (kept for the retention) and an
      // object of no session, both older than the maximum age.
      const w = world();
      const { uploadId } = await registered(w, { a: '1' });
      w.bucket.failCopies.set(
        `tmp-external-source/${uploadId}/a`,
        new ArtifactTransferError('other', 'boom')
      );
      await registerArtifacts(
        w.registration,
        w.jobs[0] as RegistrationJob,
        forever
      );
      w.bucket.put('tmp-external-source/orphan/x', 'x');
      w.advance(48 * HOUR);

      // Act
      const report = await cleanupTemporaryArtifacts(
        {
          artifacts: w.bucket,
          now: w.now,
          retained: retainedUploads(w.uploads),
        },
        { maxAgeMs: 24 * HOUR, maxObjectsPerRun: 100 }
      );

      // Assess
      expect(report).toMatchObject({ examined: 2, deleted: 1 });
      expect(w.bucket.keys('tmp-external-source/')).toEqual([
        `tmp-external-source/${uploadId}/a`,
      ]);
    });

    it('deletes no more objects per run than allowed and finishes on the next run', async () => {
      const w = world();
      const files = Object.fromEntries(
        Array.from({ length: 5 }, (_, i) => [`f${i}`, 'x'])
      );
      const { uploadId } = await registered(w, files);
      await registerArtifacts(
        w.registration,
        w.jobs[0] as RegistrationJob,
        forever
      );
      const deps = cleanupDeps(w);
      const bounded = { ...options, maxObjectsPerRun: 3 };

      expect(await cleanupUploadSessions(deps, bounded)).toMatchObject({
        objectsDeleted: 3,
        registeredCleaned: 0,
      });
      expect(await cleanupUploadSessions(deps, bounded)).toMatchObject({
        objectsDeleted: 2,
        cleanedUploads: [uploadId],
      });
    });
  });
});
