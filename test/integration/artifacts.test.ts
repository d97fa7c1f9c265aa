import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, MLFLOW, registry, uniqueName } from '../support/api.ts';
import {
  createServicePrincipalWithToken,
  grant,
  granteeOf,
  modelId,
  type ServicePrincipalWithToken,
} from './support/principals.ts';

/**
 * Artifacts over HTTP on the registry under test: upload sessions with
 * presigned PUTs (multipart above 64 MiB), asynchronous registration into
 * the managed prefix, MLflow's artifact endpoints (listing, redirect to a
 * presigned GET), the files extension, access checks, presigned URLs the
 * S3 server refuses, failed registrations, the cleanup job, and the
 * gateway's byte counters showing that no artifact byte reached a handler.
 */

const UPLOADS = '/api/2.0/stagegate/uploads';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';
const FILES = '/api/2.0/stagegate/model-versions/files';
/** Debug endpoints of the local gateway (STAGEGATE_DEBUG_ENDPOINTS=true). */
const TRAFFIC = '/__stagegate/gateway-traffic';
const CLEANUP_JOB = '/__stagegate/jobs/cleanup';
/** The debug endpoints exist only on the local stack. */
const local = process.env.STAGEGATE_URL === undefined;
const MiB = 1024 * 1024;

interface LocalFile {
  readonly path: string;
  readonly data: Buffer;
}

type Target =
  | { path: string; url: string }
  | {
      path: string;
      multipart_upload_id: string;
      part_size: number;
      parts: { part_number: number; url: string }[];
    };

interface CreatedUpload {
  upload_id: string;
  files: Target[];
  expires_at: number;
}

interface VersionJson {
  version: string;
  status: string;
  status_message?: string;
  source: string;
}

interface RouteTraffic {
  requests: number;
  requestBytes: number;
  responseBytes: number;
  maxRequestBytes: number;
  maxResponseBytes: number;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `size` deterministic pseudo-random bytes (xorshift32 from `seed`). */
function deterministicBytes(size: number, seed: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i += 1) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return Buffer.from(words.buffer, 0, size);
}

function expectOk(response: { status: number; body: unknown }, what: string) {
  expect(response.status, `${what}: ${JSON.stringify(response.body)}`).toBe(
    200
  );
}

/** Opens an upload for a version of model `name`. */
async function createUpload(
  name: string,
  files: readonly LocalFile[],
  options: { token?: string; expiresInSeconds?: number } = {}
): Promise<CreatedUpload> {
  const created = await call<CreatedUpload>('POST', `${UPLOADS}/create`, {
    body: {
      name,
      files: files.map((file) => ({ path: file.path, size: file.data.length })),
      ...(options.expiresInSeconds === undefined
        ? {}
        : { expires_in_seconds: options.expiresInSeconds }),
    },
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  expectOk(created, 'uploads/create');
  return created.body;
}

/** PUTs every file to its presigned URL(s); answers what completion needs. */
async function putFiles(upload: CreatedUpload, files: readonly LocalFile[]) {
  const byPath = new Map(files.map((file) => [file.path, file]));
  const completed: {
    path: string;
    size: number;
    sha256: string;
    parts?: { part_number: number; etag: string }[];
  }[] = [];
  const queue = [...upload.files];
  const worker = async () => {
    for (let target = queue.shift(); target; target = queue.shift()) {
      const file = byPath.get(target.path);
      if (!file) throw new Error(`no local file ${target.path}`);
      const entry = {
        path: file.path,
        size: file.data.length,
        sha256: sha256(file.data),
      };
      if ('url' in target) {
        const put = await fetch(target.url, { method: 'PUT', body: file.data });
        expect(put.status, await put.text()).toBe(200);
        completed.push(entry);
        continue;
      }
      const parts: { part_number: number; etag: string }[] = [];
      for (const part of target.parts) {
        const start = (part.part_number - 1) * target.part_size;
        const put = await fetch(part.url, {
          method: 'PUT',
          body: file.data.subarray(start, start + target.part_size),
        });
        expect(put.status, await put.text()).toBe(200);
        parts.push({
          part_number: part.part_number,
          etag: put.headers.get('etag') ?? '',
        });
      }
      completed.push({ ...entry, parts });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return completed;
}

async function completeUpload(
  uploadId: string,
  files: Awaited<ReturnType<typeof putFiles>>,
  token?: string
) {
  return call<{ upload_id: string; source: string; error_code?: string }>(
    'POST',
    `${UPLOADS}/complete`,
    {
      body: { upload_id: uploadId, files },
      ...(token === undefined ? {} : { token }),
    }
  );
}

/** Create, PUT and complete for model `name`; answers the upload and its source. */
async function upload(name: string, files: readonly LocalFile[]) {
  const created = await createUpload(name, files);
  const completed = await completeUpload(
    created.upload_id,
    await putFiles(created, files)
  );
  expectOk(completed, 'uploads/complete');
  return { created, source: completed.body.source };
}

async function createModel(): Promise<string> {
  const name = uniqueName('artifacts');
  expectOk(
    await call('POST', `${MLFLOW}/registered-models/create`, {
      body: { name },
    }),
    'create model'
  );
  return name;
}

async function createVersion(name: string, source: string) {
  const created = await call<{ model_version: VersionJson }>(
    'POST',
    `${MLFLOW}/model-versions/create`,
    { body: { name, source } }
  );
  expectOk(created, 'model-versions/create');
  return created.body.model_version;
}

/** Polls until the version leaves PENDING_REGISTRATION (or 60 s pass). */
async function settled(name: string, version: string): Promise<VersionJson> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await call<{ model_version: VersionJson }>(
      'GET',
      `${MLFLOW}/model-versions/get`,
      { query: { name, version } }
    );
    expectOk(got, 'model-versions/get');
    const current = got.body.model_version;
    if (current.status !== 'PENDING_REGISTRATION' || Date.now() > deadline) {
      return current;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function downloadUri(name: string, version: string, token?: string) {
  return call<{ artifact_uri: string; error_code?: string }>(
    'GET',
    `${MLFLOW}/model-versions/get-download-uri`,
    { query: { name, version }, ...(token === undefined ? {} : { token }) }
  );
}

/** The artifact endpoint's redirect, not followed. */
async function artifactRedirect(path: string, token?: string) {
  const { url, token: admin } = registry();
  return fetch(`${url}${ARTIFACTS}/${path}`, {
    headers: { authorization: `Bearer ${token ?? admin}` },
    redirect: 'manual',
  });
}

async function traffic(): Promise<Record<string, RouteTraffic>> {
  const response = await call<{ routes: Record<string, RouteTraffic> }>(
    'GET',
    TRAFFIC,
    { token: null }
  );
  expectOk(response, 'gateway traffic');
  return response.body.routes;
}

function sum(
  counters: Record<string, RouteTraffic>,
  pick: (route: RouteTraffic) => number
): number {
  return Object.values(counters).reduce((total, c) => total + pick(c), 0);
}

describe('artifacts', () => {
  const directory: LocalFile[] = [
    { path: 'MLmodel', data: Buffer.from('flavors:\n  python_function: {}\n') },
    { path: 'conda.yaml', data: deterministicBytes(3000, 1) },
    { path: 'data/model.pkl', data: deterministicBytes(2 * MiB + 17, 2) },
    // Above 64 MiB: uploaded in parts.
    { path: 'data/weights.bin', data: deterministicBytes(70 * MiB + 5, 3) },
  ];
  let name: string;
  let root: string;
  let readyUploadId: string;
  let before: Record<string, RouteTraffic> | undefined;
  let movedBytes = 0;

  beforeAll(async () => {
    if (local) before = await traffic();
    name = await createModel();
    const { created, source } = await upload(name, directory);
    readyUploadId = created.upload_id;
    movedBytes += directory.reduce((total, f) => total + f.data.length, 0);
    expect(source).toBe(`stagegate-upload:${created.upload_id}`);
    const version = await createVersion(name, source);
    expect(version).toMatchObject({
      version: '1',
      status: 'PENDING_REGISTRATION',
      status_message: 'Copying artifacts',
      source,
    });
  }, 120_000);

  describe('upload and registration', () => {
    it('hands out part URLs for the file above 64 MiB and single URLs for the rest', async () => {
      // Act
      const created = await createUpload(name, directory);

      // Assess
      const byPath = new Map(created.files.map((f) => [f.path, f]));
      expect(byPath.get('MLmodel')).toEqual({
        path: 'MLmodel',
        url: expect.stringContaining(
          `tmp-external-source/${created.upload_id}/MLmodel`
        ),
      });
      const weights = byPath.get('data/weights.bin');
      expect(weights).toMatchObject({
        multipart_upload_id: expect.any(String),
        part_size: 16 * MiB,
      });
      expect(weights && 'parts' in weights ? weights.parts : []).toHaveLength(
        5
      );
      // No checksum of an empty body in the URL (real S3 would refuse it).
      for (const target of created.files) {
        const urls =
          'url' in target ? [target.url] : target.parts.map((p) => p.url);
        for (const url of urls) expect(url).not.toMatch(/x-amz-checksum/i);
      }
      expect(created.expires_at).toBeGreaterThan(Date.now() + 14 * 60_000);
      expect(created.expires_at).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
    });

    it('makes the version READY with a download URI in the managed prefix', async () => {
      // Act
      const version = await settled(name, '1');
      const uri = await downloadUri(name, '1');

      // Assess
      expect(version.status).toBe('READY');
      expectOk(uri, 'get-download-uri');
      expect(uri.body.artifact_uri).toMatch(
        /^mlflow-artifacts:\/mlflow-registry\/[0-9a-f]{32}\/1$/
      );
      root = uri.body.artifact_uri.replace('mlflow-artifacts:/', '');
    });

    it("lists the version's files as MLflow's artifact endpoint does", async () => {
      // Act
      const top = await call('GET', ARTIFACTS, { query: { path: root } });
      const data = await call('GET', ARTIFACTS, {
        query: { path: `${root}/data` },
      });

      // Assess
      expectOk(top, 'list root');
      expect(top.body).toEqual({
        files: [
          {
            path: '.stagegate-manifest.json',
            is_dir: false,
            file_size: expect.any(Number),
          },
          {
            path: 'MLmodel',
            is_dir: false,
            file_size: directory[0]?.data.length,
          },
          { path: 'conda.yaml', is_dir: false, file_size: 3000 },
          { path: 'data', is_dir: true },
        ],
      });
      expect(data.body).toEqual({
        files: [
          { path: 'model.pkl', is_dir: false, file_size: 2 * MiB + 17 },
          { path: 'weights.bin', is_dir: false, file_size: 70 * MiB + 5 },
        ],
      });
    });

    it('redirects downloads to presigned GETs that return byte-identical files', async () => {
      for (const file of directory) {
        // Act
        const redirect = await artifactRedirect(`${root}/${file.path}`);
        const location = redirect.headers.get('location') ?? '';
        const got = Buffer.from(await (await fetch(location)).arrayBuffer());
        movedBytes += got.length;

        // Assess
        expect(redirect.status, file.path).toBe(302);
        expect(location).toContain(`${root}/${file.path}`);
        expect(sha256(got), file.path).toBe(sha256(file.data));
      }
    });

    it('lists every file with its SHA-256 and a working URL (files extension)', async () => {
      // Act
      const listed = await call<{
        files: { path: string; size: number; sha256: string; url: string }[];
        expires_at: number;
      }>('GET', FILES, { query: { name, version: '1' } });

      // Assess
      expectOk(listed, 'files');
      expect(listed.body.files.map((f) => [f.path, f.size, f.sha256])).toEqual(
        directory.map((f) => [f.path, f.data.length, sha256(f.data)])
      );
      const small = listed.body.files.find((f) => f.path === 'conda.yaml');
      const got = Buffer.from(
        await (await fetch(small?.url ?? '')).arrayBuffer()
      );
      expect(got.equals(directory[1]?.data ?? Buffer.alloc(0))).toBe(true);
    });

    it('writes the manifest next to the files', async () => {
      // Act
      const redirect = await artifactRedirect(
        `${root}/.stagegate-manifest.json`
      );
      const manifest = (await (
        await fetch(redirect.headers.get('location') ?? '')
      ).json()) as { files: { path: string; size: number; sha256: string }[] };

      // Assess
      expect(manifest).toMatchObject({
        format: 'stagegate-manifest/1',
        version: '1',
        upload_id: readyUploadId,
      });
      expect(manifest.files).toEqual(
        directory.map((f) => ({
          path: f.path,
          size: f.data.length,
          sha256: sha256(f.data),
        }))
      );
    });

    it('answers 404 for paths that are not files of a managed version', async () => {
      // Act
      const missing = await artifactRedirect(`${root}/nope.bin`);
      const outside = await call('GET', ARTIFACTS, {
        query: { path: 'tmp-external-source' },
      });
      const traversal = await call('GET', ARTIFACTS, {
        query: { path: `${root}/../2` },
      });

      // Assess
      expect(missing.status).toBe(404);
      expect(outside.status).toBe(404);
      expect(traversal.status).toBe(400);
    });

    it('registers each upload once: a second version from it is refused', async () => {
      // Act
      const again = await call('POST', `${MLFLOW}/model-versions/create`, {
        body: { name, source: `stagegate-upload:${readyUploadId}` },
      });

      // Assess
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ error_code: 'INVALID_STATE' });
    });

    it('keeps unmanaged sources as MLflow records them', async () => {
      // Act
      const version = await createVersion(name, 's3://another-bucket/model');
      const uri = await downloadUri(name, version.version);

      // Assess
      expect(version.status).toBe('READY');
      expect(uri.body.artifact_uri).toBe('s3://another-bucket/model');
    });

    it.runIf(local)(
      'never passed artifact bytes through the gateway or a handler',
      async () => {
        // Act
        const after = await traffic();
        const delta = (key: string, pick: (r: RouteTraffic) => number) =>
          pick(after[key] ?? emptyTraffic()) -
          pick(before?.[key] ?? emptyTraffic());
        const artifactRoutes = Object.keys(after).filter(
          (key) =>
            key.includes('/stagegate/uploads/') ||
            key.includes('/mlflow-artifacts/') ||
            key.includes('/stagegate/model-versions/files')
        );
        const artifactBytes = artifactRoutes.reduce(
          (total, key) =>
            total +
            delta(key, (r) => r.requestBytes) +
            delta(key, (r) => r.responseBytes),
          0
        );
        const largestBody = Math.max(
          ...Object.values(after).map((r) =>
            Math.max(r.maxRequestBytes, r.maxResponseBytes)
          )
        );
        console.info(
          `artifact bytes moved through S3: ${movedBytes}; bytes through the artifact routes: ${artifactBytes}; largest body the gateway ever carried: ${largestBody}; all routes: ${sum(after, (r) => r.requestBytes + r.responseBytes)}`
        );

        // Assess
        expect(movedBytes).toBeGreaterThan(140 * MiB);
        expect(artifactBytes).toBeLessThan(movedBytes / 1000);
        // Not one body the size of the smallest multipart file part.
        expect(largestBody).toBeLessThan(MiB);
      }
    );
  });

  describe('stage transitions', () => {
    it('refuses Production while PENDING_REGISTRATION (409) and allows it once READY', async () => {
      // Prepare: many small files, so the copy visibly takes a while.
      const model = await createModel();
      const files = Array.from({ length: 200 }, (_, i) => ({
        path: `shards/${String(i).padStart(4, '0')}.bin`,
        data: deterministicBytes(64, i + 10),
      }));
      const { source } = await upload(model, files);
      const created = await createVersion(model, source);

      // Act
      const early = await call(
        'POST',
        `${MLFLOW}/model-versions/transition-stage`,
        {
          body: {
            name: model,
            version: created.version,
            stage: 'Production',
            archive_existing_versions: false,
          },
        }
      );
      const ready = await settled(model, created.version);
      const late = await call(
        'POST',
        `${MLFLOW}/model-versions/transition-stage`,
        {
          body: {
            name: model,
            version: created.version,
            stage: 'Production',
            archive_existing_versions: false,
          },
        }
      );

      // Assess
      expect(early.status, JSON.stringify(early.body)).toBe(409);
      expect(early.body).toMatchObject({ error_code: 'INVALID_STATE' });
      expect(String(early.body.message)).toContain('PENDING_REGISTRATION');
      expect(ready.status).toBe('READY');
      expect(late.status, JSON.stringify(late.body)).toBe(200);
    });
  });

  describe('access', () => {
    let robot: ServicePrincipalWithToken;

    beforeAll(async () => {
      robot = await createServicePrincipalWithToken();
    });

    it('answers 403 to a principal without Read for download URIs, listings, downloads and files', async () => {
      // Act
      const uri = await downloadUri(name, '1', robot.token);
      const listing = await call('GET', ARTIFACTS, {
        query: { path: root },
        token: robot.token,
      });
      const file = await artifactRedirect(`${root}/MLmodel`, robot.token);
      const files = await call('GET', FILES, {
        query: { name, version: '1' },
        token: robot.token,
      });

      // Assess
      expect(uri.status).toBe(403);
      expect(uri.body).toMatchObject({ error_code: 'PERMISSION_DENIED' });
      expect(listing.status).toBe(403);
      expect(listing.body).toMatchObject({ error_code: 'PERMISSION_DENIED' });
      expect(file.status).toBe(403);
      expect(file.headers.get('location')).toBeNull();
      expect(files.status).toBe(403);
    });

    it("refuses to complete someone else's upload", async () => {
      // Prepare
      const files = [{ path: 'a.txt', data: Buffer.from('a') }];
      const created = await createUpload(name, files);
      const put = await putFiles(created, files);

      // Act
      const theirs = await completeUpload(created.upload_id, put, robot.token);

      // Assess
      expect(theirs.status).toBe(403);
      expect(theirs.body).toMatchObject({ error_code: 'PERMISSION_DENIED' });
    });

    it('signs the files and parts of an open upload again: the fresh URLs take the bytes, only for its creator', async () => {
      // Prepare
      const files = [directory[0], directory[3]].filter(
        (file): file is LocalFile => file !== undefined
      );
      const created = await createUpload(name, files);
      const sign = (token?: string) =>
        call<CreatedUpload & { error_code?: string }>(
          'POST',
          `${UPLOADS}/sign`,
          {
            body: {
              upload_id: created.upload_id,
              files: files.map((file) => ({ path: file.path })),
            },
            ...(token === undefined ? {} : { token }),
          }
        );

      // Act
      const theirs = await sign(robot.token);
      const signed = await sign();
      expectOk(signed, 'uploads/sign');
      const put = await putFiles(signed.body, files);
      const completed = await completeUpload(created.upload_id, put);
      const afterCompletion = await sign();

      // Assess
      expect(theirs.status).toBe(403);
      expect(theirs.body).toMatchObject({ error_code: 'PERMISSION_DENIED' });
      const weights = signed.body.files.find((f) => 'parts' in f);
      expect(weights && 'parts' in weights ? weights.parts : []).toHaveLength(
        5
      );
      expect(signed.body.expires_at).toBeGreaterThan(Date.now());
      expectOk(completed, 'uploads/complete');
      expect(afterCompletion.status).toBe(409);
      expect(afterCompletion.body).toMatchObject({
        error_code: 'INVALID_STATE',
      });
    });

    it.each([
      ['CAN_READ', 403],
      ['CAN_EDIT', 200],
    ] as const)(
      'opens an upload for a principal with %s on the model: %i',
      async (level, status) => {
        // Prepare
        const model = await createModel();
        const uploader = await createServicePrincipalWithToken();
        expectOk(
          await grant(
            await modelId(model),
            [{ ...granteeOf(uploader), permission_level: level }],
            'PATCH'
          ),
          'grant'
        );

        // Act
        const opened = await call<CreatedUpload>('POST', `${UPLOADS}/create`, {
          body: {
            name: model,
            files: [{ path: 'big.bin', size: 5 * 1024 ** 3 }],
          },
          token: uploader.token,
        });

        // Assess
        expect(opened.status, JSON.stringify(opened.body)).toBe(status);
        if (status === 403) {
          expect(opened.body).toEqual({
            error_code: 'PERMISSION_DENIED',
            message: expect.any(String),
          });
        } else {
          expect(opened.body.files).toHaveLength(1);
        }
      }
    );

    it('refuses an upload for a model that does not exist', async () => {
      // Act
      const opened = await call('POST', `${UPLOADS}/create`, {
        body: {
          name: uniqueName('no-such-model'),
          files: [{ path: 'a', size: 1 }],
        },
      });

      // Assess
      expect(opened.status).toBe(404);
      expect(opened.body).toMatchObject({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
      });
    });

    it('registers an upload only into the model it was opened for, renamed or not', async () => {
      // Prepare
      const model = await createModel();
      const other = await createModel();
      const { source } = await upload(model, [
        { path: 'MLmodel', data: Buffer.from('flavors: {}\n') },
      ]);
      const renamed = `${model}-renamed`;

      // Act
      const intoOther = await call('POST', `${MLFLOW}/model-versions/create`, {
        body: { name: other, source },
      });
      expectOk(
        await call('POST', `${MLFLOW}/registered-models/rename`, {
          body: { name: model, new_name: renamed },
        }),
        'rename'
      );
      const intoRenamed = await createVersion(renamed, source);

      // Assess
      expect(intoOther.status).toBe(400);
      expect(intoOther.body).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('opened for another registered model'),
      });
      expect(intoRenamed).toMatchObject({ version: '1', source });
    });

    it('requires a token to upload', async () => {
      // Act
      const anonymous = await call('POST', `${UPLOADS}/create`, {
        body: { name, files: [{ path: 'a', size: 1 }] },
        token: null,
      });

      // Assess
      expect(anonymous.status).toBe(401);
    });
  });

  describe('presigned URLs', () => {
    it('are refused by the S3 server when a character of the signature changes', async () => {
      // Prepare
      const files = [{ path: 'x.bin', data: Buffer.from('payload') }];
      const created = await createUpload(name, files);
      const target = created.files[0];
      const url = new URL(target && 'url' in target ? target.url : '');
      const signature = url.searchParams.get('X-Amz-Signature') ?? '';
      const flipped = signature.startsWith('0') ? '1' : '0';
      url.searchParams.set('X-Amz-Signature', flipped + signature.slice(1));

      // Act
      const tampered = await fetch(url, { method: 'PUT', body: 'evil' });

      // Assess
      expect(tampered.status).toBe(403);
      expect(await tampered.text()).toContain('SignatureDoesNotMatch');
    });

    it('are refused by the S3 server once expired', async () => {
      // Prepare
      const files = [{ path: 'late.bin', data: Buffer.from('late') }];
      const created = await createUpload(name, files, {
        expiresInSeconds: 1,
      });
      const target = created.files[0];
      await new Promise((resolve) => setTimeout(resolve, 2500));

      // Act
      const late = await fetch(target && 'url' in target ? target.url : '', {
        method: 'PUT',
        body: 'late',
      });

      // Assess
      expect(created.expires_at).toBeLessThanOrEqual(Date.now());
      expect(late.status).toBe(403);
      expect(await late.text()).toMatch(/expired/i);
    });
  });

  describe('failures', () => {
    it('refuses to complete an upload whose sizes do not match what was stored', async () => {
      // Prepare
      const files = [{ path: 'model.bin', data: deterministicBytes(1000, 7) }];
      const created = await createUpload(name, files);
      const target = created.files[0];
      await fetch(target && 'url' in target ? target.url : '', {
        method: 'PUT',
        body: deterministicBytes(999, 7),
      });

      // Act
      const completed = await completeUpload(created.upload_id, [
        {
          path: 'model.bin',
          size: 1000,
          sha256: sha256(files[0]?.data ?? Buffer.alloc(0)),
        },
      ]);

      // Assess
      expect(completed.status).toBe(400);
      expect(completed.body).toMatchObject({
        error_code: 'INVALID_PARAMETER_VALUE',
      });
    });

    it.each([
      ['another size', deterministicBytes(2000, 9), /2000 bytes/],
      ['the same size', deterministicBytes(1000, 9), /checksum mismatch/],
    ])(
      'fails the registration of a file overwritten after completion (%s)',
      async (_case, overwrite, message) => {
        // Prepare: complete, then PUT other bytes through the still-valid URL.
        const model = await createModel();
        const files = [
          { path: 'ok.txt', data: Buffer.from('fine') },
          { path: 'model.bin', data: deterministicBytes(1000, 8) },
        ];
        const created = await createUpload(model, files);
        const completed = await completeUpload(
          created.upload_id,
          await putFiles(created, files)
        );
        expectOk(completed, 'complete');
        const target = created.files.find((f) => f.path === 'model.bin');
        await fetch(target && 'url' in target ? target.url : '', {
          method: 'PUT',
          body: overwrite,
        });

        // Act
        const pending = await createVersion(model, completed.body.source);
        const version = await settled(model, pending.version);
        const uri = await downloadUri(model, version.version);

        // Assess
        if (version.status === 'READY') {
          // A versioned bucket (AWS): the registry copied the version that
          // was completed, so the overwrite never reached the managed copy.
          const listed = await call<{ files: { path: string; url: string }[] }>(
            'GET',
            FILES,
            { query: { name: model, version: version.version } }
          );
          const copy = listed.body.files.find((f) => f.path === 'model.bin');
          const got = Buffer.from(
            await (await fetch(copy?.url ?? '')).arrayBuffer()
          );
          expect(sha256(got)).toBe(sha256(files[1]?.data ?? Buffer.alloc(0)));
          return;
        }
        expect(version.status).toBe('FAILED_REGISTRATION');
        expect(version.status_message).toContain('model.bin');
        expect(version.status_message).toMatch(message);
        expect(uri.status).toBe(409);
        const modelId = (
          await call<{ registered_model_databricks: { id: string } }>(
            'GET',
            `${MLFLOW}/databricks/registered-models/get`,
            { query: { name: model } }
          )
        ).body.registered_model_databricks.id;
        const listing = await call('GET', ARTIFACTS, {
          query: { path: `mlflow-registry/${modelId}/${version.version}` },
        });
        expect(listing.status).toBe(409);
      }
    );
  });

  describe.runIf(local)('cleanup job', () => {
    it("removes a READY version's temporary copy and leaves an upload in progress alone", async () => {
      // Prepare: an upload whose file is stored but that is not completed.
      const files = [{ path: 'wip.bin', data: Buffer.from('in progress') }];
      const inProgress = await createUpload(name, files);
      const put = await putFiles(inProgress, files);

      // Act
      const job = await call<{
        report: {
          sessions: { cleanedUploads: string[]; expiredUploads: string[] };
        };
      }>('POST', CLEANUP_JOB, { token: null });
      const rerun = await call<{
        report: { sessions: { cleanedUploads: string[] } };
      }>('POST', CLEANUP_JOB, { token: null });

      // Assess
      expectOk(job, 'cleanup job');
      expect(job.body.report.sessions.cleanedUploads).toContain(readyUploadId);
      expect(job.body.report.sessions.expiredUploads).not.toContain(
        inProgress.upload_id
      );
      expect(rerun.body.report.sessions.cleanedUploads).not.toContain(
        readyUploadId
      );
      // The in-progress file is still there: completing it finds it.
      expectOk(
        await completeUpload(inProgress.upload_id, put),
        'complete after cleanup'
      );
      // The registered copy is untouched.
      const redirect = await artifactRedirect(`${root}/MLmodel`);
      expect(redirect.status).toBe(302);
    });
  });
});

function emptyTraffic(): RouteTraffic {
  return {
    requests: 0,
    requestBytes: 0,
    responseBytes: 0,
    maxRequestBytes: 0,
    maxResponseBytes: 0,
  };
}
