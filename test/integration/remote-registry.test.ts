import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLFLOW, uniqueName } from '../support/api.ts';
import { type OwnRegistry, startOwnRegistry } from './support/own-registry.ts';

/**
 * Seed 002 end to end on the local stack: the MLflow client's remote
 * registry flow exactly as `reference/mlflow-remote-registry.md` gives it
 * (the temporary copy through the DBFS API, registration from it, loading
 * through `list-artifacts` and `get-signed-download-uri`), registration by
 * path from an allow-listed bucket, `models:/` sources, and who may do
 * what. A registry of its own: an allow-list and a short grace period.
 */

const AREA = '/databricks/mlflow/tmp-external-source';
const TEAM_BUCKET = 'team-artifacts';
const CLEANUP_JOB = '/__stagegate/jobs/cleanup';
const SCIM = '/api/2.0/preview/scim/v2';

let registry: OwnRegistry;
/** Can Edit on the model of the flow. */
let editor: { token: string; userName: string };
/** Can Read on it. */
let reader: { token: string; userName: string };
/** No grant at all. */
let stranger: { token: string; userName: string };

beforeAll(async () => {
  registry = await startOwnRegistry('remote', {
    STAGEGATE_DEBUG_ENDPOINTS: 'true',
    // About two seconds: the copy goes on the first cleanup after that.
    TEMPORARY_COPY_GRACE_HOURS: '0.0005',
    EXTERNAL_SOURCE_PREFIXES: `s3://${TEAM_BUCKET}/models/`,
  });
  editor = await userWithToken('editor');
  reader = await userWithToken('reader');
  stranger = await userWithToken('stranger');
});

afterAll(async () => {
  await registry?.stop();
});

async function userWithToken(
  prefix: string
): Promise<{ token: string; userName: string }> {
  const user = await registry.call<{ userName: string }>(
    'POST',
    `${SCIM}/Users`,
    { body: { userName: `${uniqueName(prefix)}@example.com` } }
  );
  expect(user.status).toBe(200);
  const token = await registry.call<{ token_value: string }>(
    'POST',
    '/api/2.0/token-management/on-behalf-of/tokens',
    { body: { user_name: user.body.userName } }
  );
  expect(token.status).toBe(200);
  return { token: token.body.token_value, userName: user.body.userName };
}

async function createModel(name: string, token?: string): Promise<string> {
  const created = await registry.call(
    'POST',
    `${MLFLOW}/registered-models/create`,
    { body: { name }, ...(token ? { token } : {}) }
  );
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const got = await registry.call<{
    registered_model_databricks: { id: string };
  }>('GET', `${MLFLOW}/databricks/registered-models/get`, {
    query: { name },
  });
  return got.body.registered_model_databricks.id;
}

async function grant(
  modelId: string,
  userName: string,
  level: string
): Promise<void> {
  const granted = await registry.call(
    'PATCH',
    `/api/2.0/permissions/registered-models/${modelId}`,
    {
      body: {
        access_control_list: [{ user_name: userName, permission_level: level }],
      },
    }
  );
  expect(granted.status, JSON.stringify(granted.body)).toBe(200);
}

/** `POST /dbfs/<path>` exactly as MLflow sends a file: raw bytes, no type. */
function postFile(
  path: string,
  bytes: Uint8Array,
  token: string
): Promise<Response> {
  return fetch(new URL(`/dbfs${path}`, registry.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: bytes,
  });
}

interface VersionJson {
  version: string;
  status: string;
  status_message?: string;
  source: string;
  current_stage: string;
}

/** Polls `model-versions/get` until the version leaves PENDING_REGISTRATION. */
async function registered(
  name: string,
  version: string,
  token?: string
): Promise<VersionJson> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const got = await registry.call<{ model_version: VersionJson }>(
      'GET',
      `${MLFLOW}/model-versions/get`,
      { query: { name, version }, ...(token ? { token } : {}) }
    );
    expect(got.status).toBe(200);
    if (got.body.model_version.status !== 'PENDING_REGISTRATION') {
      return got.body.model_version;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`version ${version} of ${name} never left PENDING`);
}

interface ArtifactJson {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** What the MLflow client's Databricks repository lists, recursively. */
async function listRecursively(
  name: string,
  version: string,
  token: string,
  path = ''
): Promise<ArtifactJson[]> {
  const found: ArtifactJson[] = [];
  let pageToken: string | undefined;
  do {
    const page = await registry.call<{
      files?: ArtifactJson[];
      next_page_token?: string;
    }>('GET', `${MLFLOW}/model-versions/list-artifacts`, {
      query: {
        name,
        version,
        path,
        ...(pageToken ? { page_token: pageToken } : {}),
      },
      token,
    });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    for (const entry of page.body.files ?? []) {
      if (entry.is_dir) {
        found.push(
          ...(await listRecursively(name, version, token, entry.path))
        );
      } else {
        found.push(entry);
      }
    }
    pageToken =
      (page.body.files ?? []).length > 0
        ? page.body.next_page_token
        : undefined;
  } while (pageToken);
  return found;
}

/** Each file through `get-signed-download-uri`, then a plain GET of it. */
async function download(
  name: string,
  version: string,
  token: string,
  files: readonly ArtifactJson[]
): Promise<Map<string, Buffer>> {
  const bytes = new Map<string, Buffer>();
  for (const file of files) {
    const signed = await registry.call<{
      signed_uri: string;
      headers: { name: string; value: string }[];
    }>('GET', `${MLFLOW}/model-versions/get-signed-download-uri`, {
      query: { name, version, path: file.path },
      token,
    });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const got = await fetch(signed.body.signed_uri, {
      headers: Object.fromEntries(
        signed.body.headers.map((header) => [header.name, header.value])
      ),
    });
    expect(got.status).toBe(200);
    bytes.set(file.path, Buffer.from(await got.arrayBuffer()));
  }
  return bytes;
}

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A model directory as MLflow logs one: nested folders, an empty file. */
function modelFiles(): Map<string, Buffer> {
  return new Map([
    ['MLmodel', Buffer.from('artifact_path: model\nflavors: {}\n')],
    ['requirements.txt', Buffer.from('mlflow==2.17.2\n')],
    ['data/model.pkl', randomBytes(64 * 1024)],
    ['data/empty.txt', Buffer.alloc(0)],
    ['data/nested/deeper/weights.bin', randomBytes(12 * 1024 * 1024)],
  ]);
}

/** Copies a model directory the way MLflow's client does, file by file. */
async function copyModel(
  runId: string,
  files: ReadonlyMap<string, Buffer>,
  token: string
): Promise<void> {
  for (const [path, bytes] of files) {
    const posted = await postFile(
      `${AREA}//${runId}/model/${path}`,
      bytes,
      token
    );
    expect(posted.status, await posted.clone().text()).toBe(200);
  }
}

describe('the MLflow client remote-registry flow (seed 002)', () => {
  it('registers from a temporary copy and loads byte-identical files; the copy goes after the grace period', async () => {
    // Prepare
    const name = uniqueName('remote');
    const modelId = await createModel(name);
    await grant(modelId, editor.userName, 'CAN_EDIT');
    const runId = randomBytes(16).toString('hex');
    const files = modelFiles();

    // Act: the client's sequence, as the editor
    const before = await registry.call('GET', '/api/2.0/dbfs/list', {
      query: { path: `${AREA}//${runId}` },
      token: editor.token,
    });
    await copyModel(runId, files, editor.token);
    const after = await registry.call<{ files: { path: string }[] }>(
      'GET',
      '/api/2.0/dbfs/list',
      { query: { path: `${AREA}//${runId}` }, token: editor.token }
    );
    const created = await registry.call<{ model_version: VersionJson }>(
      'POST',
      `${MLFLOW}/model-versions/create`,
      {
        body: {
          name,
          source: `dbfs:${AREA}/${runId}/model`,
          run_id: runId,
        },
        token: editor.token,
      }
    );
    const ready = await registered(name, '1', editor.token);
    const latest = await registry.call<{ model_versions: VersionJson[] }>(
      'POST',
      `${MLFLOW}/registered-models/get-latest-versions`,
      { body: { name, stages: ['None'] }, token: editor.token }
    );
    const listed = await listRecursively(name, '1', editor.token);
    const downloaded = await download(name, '1', editor.token, listed);

    // Assess
    expect(before.status).toBe(404);
    expect(before.body).toMatchObject({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
    });
    expect(after.status).toBe(200);
    expect(after.body.files.map((file) => file.path)).toEqual([
      `${AREA}/${runId}/model`,
    ]);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(ready).toMatchObject({
      status: 'READY',
      source: `dbfs:${AREA}/${runId}/model`,
    });
    expect(latest.body.model_versions.map((v) => v.version)).toEqual(['1']);
    expect(
      Object.fromEntries(listed.map((file) => [file.path, file.file_size]))
    ).toEqual(
      Object.fromEntries(
        [...files].map(([path, bytes]) => [path, bytes.length])
      )
    );
    for (const [path, bytes] of files) {
      expect(sha(downloaded.get(path) ?? Buffer.alloc(1)), path).toBe(
        sha(bytes)
      );
    }

    // Act: the cleanup after the grace period
    let gone = false;
    for (let attempt = 0; attempt < 60 && !gone; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const job = await registry.call('POST', CLEANUP_JOB);
      expect(job.status).toBe(200);
      const listing = await registry.call('GET', '/api/2.0/dbfs/list', {
        query: { path: `${AREA}//${runId}` },
        token: editor.token,
      });
      gone = listing.status === 404;
    }

    // Assess: the copy is gone, the version still loads
    expect(gone).toBe(true);
    expect(
      sha(
        (await download(name, '1', editor.token, listed)).get('MLmodel') ??
          Buffer.alloc(1)
      )
    ).toBe(sha(files.get('MLmodel') ?? Buffer.alloc(0)));
  });

  it('serves ranged GETs through the signed URIs', async () => {
    // Prepare
    const name = uniqueName('ranged');
    const modelId = await createModel(name);
    await grant(modelId, editor.userName, 'CAN_EDIT');
    const runId = randomBytes(16).toString('hex');
    const bytes = randomBytes(200_000);
    await copyModel(runId, new Map([['model.bin', bytes]]), editor.token);
    await registry.call('POST', `${MLFLOW}/model-versions/create`, {
      body: { name, source: `dbfs:${AREA}/${runId}/model` },
      token: editor.token,
    });
    await registered(name, '1');
    const signed = await registry.call<{ signed_uri: string }>(
      'GET',
      `${MLFLOW}/model-versions/get-signed-download-uri`,
      { query: { name, version: '1', path: 'model.bin' } }
    );

    // Act
    const part = await fetch(signed.body.signed_uri, {
      headers: { range: 'bytes=1000-1999' },
    });

    // Assess
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(
      bytes.subarray(1000, 2000)
    );
  });

  it('answers list-artifacts for a file path with that file alone, and 404 outside the version', async () => {
    // Prepare
    const name = uniqueName('file-path');
    const modelId = await createModel(name);
    await grant(modelId, editor.userName, 'CAN_EDIT');
    const runId = randomBytes(16).toString('hex');
    await copyModel(runId, modelFiles(), editor.token);
    await registry.call('POST', `${MLFLOW}/model-versions/create`, {
      body: { name, source: `dbfs:${AREA}/${runId}/model` },
      token: editor.token,
    });
    await registered(name, '1');

    // Act
    const file = await registry.call(
      'GET',
      `${MLFLOW}/model-versions/list-artifacts`,
      {
        query: { name, version: '1', path: 'data/model.pkl' },
      }
    );
    const missing = await registry.call(
      'GET',
      `${MLFLOW}/model-versions/list-artifacts`,
      {
        query: { name, version: '1', path: 'nothing/here' },
      }
    );
    const traversal = await registry.call(
      'GET',
      `${MLFLOW}/model-versions/get-signed-download-uri`,
      { query: { name, version: '1', path: '../../other/1/MLmodel' } }
    );
    // A name longer than a local file name may be (S3 takes it).
    const longName = await registry.call(
      'GET',
      `${MLFLOW}/model-versions/get-signed-download-uri`,
      { query: { name, version: '1', path: `data/${'a'.repeat(300)}` } }
    );

    // Assess
    expect(file.body).toEqual({
      files: [{ path: 'data/model.pkl', is_dir: false, file_size: 65_536 }],
    });
    expect(missing.status).toBe(404);
    expect(longName.status).toBe(404);
    expect(longName.body).toMatchObject({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
    });
    expect(traversal.status).toBe(400);
    expect(traversal.body).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
    });
  });

  it('keeps the DBFS API to the temporary area: anything else is 404 in the Databricks shape', async () => {
    // Act
    const list = await registry.call('GET', '/api/2.0/dbfs/list', {
      query: { path: '/tmp' },
    });
    const status = await registry.call('GET', '/api/2.0/dbfs/get-status', {
      query: { path: '/databricks/mlflow/other' },
    });
    const write = await postFile(
      '/FileStore/x.txt',
      Buffer.from('x'),
      registry.adminToken
    );
    const root = await registry.call('GET', '/api/2.0/dbfs/get-status', {
      query: { path: `${AREA}/` },
    });

    // Assess
    for (const refused of [list, status]) {
      expect(refused.status).toBe(404);
      expect(refused.body).toMatchObject({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: expect.any(String),
      });
    }
    expect(write.status).toBe(404);
    expect(await write.json()).toMatchObject({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
    });
    expect(root.body).toMatchObject({ path: AREA, is_dir: true });
  });
});

describe('who may copy, register and load', () => {
  let name: string;
  let runId: string;

  beforeAll(async () => {
    name = uniqueName('who');
    const modelId = await createModel(name);
    await grant(modelId, editor.userName, 'CAN_EDIT');
    await grant(modelId, reader.userName, 'CAN_READ');
    runId = randomBytes(16).toString('hex');
    await copyModel(runId, modelFiles(), editor.token);
    await registry.call('POST', `${MLFLOW}/model-versions/create`, {
      body: { name, source: `dbfs:${AREA}/${runId}/model` },
      token: editor.token,
    });
    await registered(name, '1');
  });

  it('lets a Can Read user load but not copy or register', async () => {
    // Act
    const copy = await postFile(
      `${AREA}//${randomBytes(16).toString('hex')}/model/MLmodel`,
      Buffer.from('x'),
      reader.token
    );
    const register = await registry.call(
      'POST',
      `${MLFLOW}/model-versions/create`,
      {
        body: { name, source: `dbfs:${AREA}/${runId}/model` },
        token: reader.token,
      }
    );
    const listed = await listRecursively(name, '1', reader.token);
    const downloaded = await download(name, '1', reader.token, listed);

    // Assess
    expect(copy.status).toBe(403);
    expect(await copy.json()).toMatchObject({
      error_code: 'PERMISSION_DENIED',
    });
    expect(register.status).toBe(403);
    expect(listed.length).toBe(5);
    expect(downloaded.size).toBe(5);
  });

  it("lets a user without permissions do neither, nor see another principal's copy", async () => {
    // Prepare: the editor's copy that is not registered yet
    const pending = randomBytes(16).toString('hex');
    await copyModel(
      pending,
      new Map([['MLmodel', Buffer.from('m')]]),
      editor.token
    );
    const own = uniqueName('strangers');
    await createModel(own, stranger.token);

    // Act
    const load = await registry.call(
      'GET',
      `${MLFLOW}/model-versions/list-artifacts`,
      {
        query: { name, version: '1' },
        token: stranger.token,
      }
    );
    const signed = await registry.call(
      'GET',
      `${MLFLOW}/model-versions/get-signed-download-uri`,
      { query: { name, version: '1', path: 'MLmodel' }, token: stranger.token }
    );
    const list = await registry.call('GET', '/api/2.0/dbfs/list', {
      query: { path: `${AREA}//${pending}` },
      token: stranger.token,
    });
    const status = await registry.call('GET', '/api/2.0/dbfs/get-status', {
      query: { path: `${AREA}/${pending}/model/MLmodel` },
      token: stranger.token,
    });
    const steal = await registry.call(
      'POST',
      `${MLFLOW}/model-versions/create`,
      {
        body: { name: own, source: `dbfs:${AREA}/${pending}/model` },
        token: stranger.token,
      }
    );
    const ownerSees = await registry.call('GET', '/api/2.0/dbfs/get-status', {
      query: { path: `${AREA}/${pending}/model/MLmodel` },
      token: editor.token,
    });

    // Assess
    expect(load.status).toBe(403);
    expect(signed.status).toBe(403);
    expect(list.status).toBe(404);
    expect(status.status).toBe(404);
    expect(steal.status).toBe(404);
    expect(steal.body).toMatchObject({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: expect.stringContaining(`dbfs:${AREA}/${pending}/model`),
    });
    expect(ownerSees.body).toMatchObject({ is_dir: false, file_size: 1 });
  });

  it('refuses a copy to a user who may add versions nowhere, and lets one who may', async () => {
    // Act: the stranger owns a model now (the creator's Can Manage)
    const noModel = await userWithToken('nomodel');
    const refused = await postFile(
      `${AREA}//r1/model/MLmodel`,
      Buffer.from('x'),
      noModel.token
    );
    const allowed = await postFile(
      `${AREA}//r1/model/MLmodel`,
      Buffer.from('x'),
      stranger.token
    );

    // Assess
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error_code: 'PERMISSION_DENIED',
      message: expect.stringContaining(
        'CAN_EDIT on at least one registered model'
      ),
    });
    expect(allowed.status).toBe(200);
  });
});

describe('registration by path from an allow-listed bucket', () => {
  it('copies an allow-listed s3:// prefix into the managed prefix', async () => {
    // Prepare: a team's tracking server wrote the model to its bucket
    const s3 = await localS3Client();
    await s3
      .send(new CreateBucketCommand({ Bucket: TEAM_BUCKET }))
      .catch(() => undefined);
    const files = modelFiles();
    const prefix = `models/${randomBytes(8).toString('hex')}/artifacts/model`;
    for (const [path, bytes] of files) {
      await s3.send(
        new PutObjectCommand({
          Bucket: TEAM_BUCKET,
          Key: `${prefix}/${path}`,
          Body: bytes,
        })
      );
    }
    const name = uniqueName('by-path');
    await createModel(name);

    // Act
    const created = await registry.call(
      'POST',
      `${MLFLOW}/model-versions/create`,
      {
        body: { name, source: `s3://${TEAM_BUCKET}/${prefix}` },
      }
    );
    const ready = await registered(name, '1');
    const listed = await listRecursively(name, '1', registry.adminToken);
    const downloaded = await download(name, '1', registry.adminToken, listed);

    // Assess
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(ready.status).toBe('READY');
    for (const [path, bytes] of files) {
      expect(sha(downloaded.get(path) ?? Buffer.alloc(1)), path).toBe(
        sha(bytes)
      );
    }
  });

  it.each([
    ['another bucket', 's3://somebody-elses/models/run/model'],
    ['another prefix of the bucket', `s3://${TEAM_BUCKET}/private/run/model`],
    ['the bucket itself', `s3://${TEAM_BUCKET}`],
  ])('refuses %s with a clear 400', async (_what, source) => {
    // Prepare
    const name = uniqueName('refused');
    await createModel(name);

    // Act
    const created = await registry.call(
      'POST',
      `${MLFLOW}/model-versions/create`,
      {
        body: { name, source },
      }
    );

    // Assess
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining(`s3://${TEAM_BUCKET}/models/`),
    });
  });
});

describe('models:/ sources', () => {
  it('copies the referenced version: after archive and delete of the original, the copy still loads', async () => {
    // Prepare
    const original = uniqueName('original');
    const originalId = await createModel(original);
    await grant(originalId, editor.userName, 'CAN_EDIT');
    const runId = randomBytes(16).toString('hex');
    const files = modelFiles();
    await copyModel(runId, files, editor.token);
    await registry.call('POST', `${MLFLOW}/model-versions/create`, {
      body: { name: original, source: `dbfs:${AREA}/${runId}/model` },
      token: editor.token,
    });
    await registered(original, '1');
    const copy = uniqueName('copy');
    const copyId = await createModel(copy);

    // Act: MLflow's copy_model_version
    const created = await registry.call(
      'POST',
      `${MLFLOW}/model-versions/create`,
      {
        body: { name: copy, source: `models:/${original}/1` },
      }
    );
    await registered(copy, '1');
    const archived = await registry.call(
      'POST',
      `${MLFLOW}/model-versions/transition-stage`,
      {
        body: {
          name: original,
          version: '1',
          stage: 'Archived',
          archive_existing_versions: false,
        },
      }
    );
    const deleted = await registry.call(
      'DELETE',
      `${MLFLOW}/model-versions/delete`,
      {
        query: { name: original, version: '1' },
      }
    );
    const uri = await registry.call<{ artifact_uri: string }>(
      'GET',
      `${MLFLOW}/model-versions/get-download-uri`,
      { query: { name: copy, version: '1' } }
    );
    const listed = await listRecursively(copy, '1', registry.adminToken);
    const downloaded = await download(copy, '1', registry.adminToken, listed);

    // Assess
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(archived.status).toBe(200);
    expect(deleted.status).toBe(200);
    expect(uri.body.artifact_uri).toBe(
      `mlflow-artifacts:/mlflow-registry/${copyId}/1`
    );
    for (const [path, bytes] of files) {
      expect(sha(downloaded.get(path) ?? Buffer.alloc(1)), path).toBe(
        sha(bytes)
      );
    }
  });

  it('records where an unmanaged version loads from, and keeps answering it after the original is gone', async () => {
    // Prepare
    const original = uniqueName('unmanaged');
    await createModel(original);
    await registry.call('POST', `${MLFLOW}/model-versions/create`, {
      body: { name: original, source: 'runs:/0123456789abcdef/model' },
    });
    const copy = uniqueName('unmanaged-copy');
    await createModel(copy);

    // Act
    const created = await registry.call<{ model_version: VersionJson }>(
      'POST',
      `${MLFLOW}/model-versions/create`,
      { body: { name: copy, source: `models:/${original}/latest` } }
    );
    await registry.call('DELETE', `${MLFLOW}/model-versions/delete`, {
      query: { name: original, version: '1' },
    });
    const uri = await registry.call<{ artifact_uri: string }>(
      'GET',
      `${MLFLOW}/model-versions/get-download-uri`,
      { query: { name: copy, version: '1' } }
    );

    // Assess
    expect(created.body.model_version).toMatchObject({
      status: 'READY',
      source: `models:/${original}/latest`,
    });
    expect(uri.body.artifact_uri).toBe('runs:/0123456789abcdef/model');
  });

  it.each([
    ['a missing version', (m: string) => `models:/${m}/99`, 404],
    ['a missing model', () => 'models:/no-such-model-here/1', 404],
    ['an empty stage', (m: string) => `models:/${m}/Production`, 404],
    ['a URI without a version', (m: string) => `models:/${m}`, 400],
    [
      'another registry',
      (m: string) => `models://profile@databricks/${m}/1`,
      400,
    ],
  ])(
    'refuses %s with a 4xx naming it, never a 500',
    async (_what, source, status) => {
      // Prepare
      const original = uniqueName('ref');
      await createModel(original);
      await registry.call('POST', `${MLFLOW}/model-versions/create`, {
        body: { name: original, source: 'runs:/abc/model' },
      });
      const copy = uniqueName('ref-copy');
      await createModel(copy);

      // Act
      const created = await registry.call(
        'POST',
        `${MLFLOW}/model-versions/create`,
        {
          body: { name: copy, source: source(original) },
        }
      );

      // Assess
      expect(created.status).toBe(status);
      expect(created.body).toMatchObject({
        message: expect.stringContaining(source(original)),
      });
    }
  );

  it('refuses a reference to a model the caller may not read', async () => {
    // Prepare
    const secret = uniqueName('secret');
    await createModel(secret);
    await registry.call('POST', `${MLFLOW}/model-versions/create`, {
      body: { name: secret, source: 'runs:/abc/model' },
    });
    const own = uniqueName('mine');
    await createModel(own, stranger.token);

    // Act
    const created = await registry.call(
      'POST',
      `${MLFLOW}/model-versions/create`,
      {
        body: { name: own, source: `models:/${secret}/1` },
        token: stranger.token,
      }
    );

    // Assess
    expect(created.status).toBe(403);
    expect(created.body).toMatchObject({ error_code: 'PERMISSION_DENIED' });
  });
});

/** An S3 client on the local S3 server, with the data directory's key. */
async function localS3Client(): Promise<S3Client> {
  const credentials = JSON.parse(
    readFileSync(join(registry.dataDir, 'credentials'), 'utf8')
  ) as { accessKeyId: string; secretAccessKey: string };
  // The S3 server's address, from a presigned URL the registry hands out.
  const name = uniqueName('endpoint');
  await createModel(name);
  const upload = await registry.call<{ files: { url: string }[] }>(
    'POST',
    '/api/2.0/stagegate/uploads/create',
    { body: { name, files: [{ path: 'x', size: 1 }] } }
  );
  const endpoint = new URL(upload.body.files[0]?.url ?? '').origin;
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
