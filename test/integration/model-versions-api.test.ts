import { describe, expect, it } from 'vitest';
import { call, MLFLOW, uniqueName } from '../support/api.ts';

interface VersionJson {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  current_stage: string;
  description: string;
  source: string;
  run_id: string;
  status: string;
  status_message?: string;
  tags?: { key: string; value: string }[];
  run_link: string;
  aliases?: string[];
}

interface ModelJson {
  name: string;
  last_updated_timestamp: number;
}

interface ErrorJson {
  error_code: string;
  message: string;
}

const S3 = 's3://bucket/path/model';

async function createModel(prefix = 'mv'): Promise<string> {
  const name = uniqueName(prefix);
  const response = await call('POST', `${MLFLOW}/registered-models/create`, {
    body: { name },
  });
  expect(response.status).toBe(200);
  return name;
}

const createVersion = (body: Record<string, unknown>) =>
  call<{ model_version: VersionJson }>(
    'POST',
    `${MLFLOW}/model-versions/create`,
    { body }
  );

/** Creates `count` versions one after the other; returns the last one. */
async function createVersions(name: string, count: number) {
  let last: VersionJson | undefined;
  for (let i = 0; i < count; i++) {
    const response = await createVersion({ name, source: `${S3}-${i + 1}` });
    expect(response.status).toBe(200);
    last = response.body.model_version;
  }
  return last;
}

const getVersion = (name: string, version: string) =>
  call<{ model_version: VersionJson }>('GET', `${MLFLOW}/model-versions/get`, {
    query: { name, version },
  });

const getModel = (name: string) =>
  call<{ registered_model: ModelJson }>(
    'GET',
    `${MLFLOW}/registered-models/get`,
    { query: { name } }
  );

const transition = (name: string, version: string, stage: string) =>
  call<{ model_version: VersionJson }>(
    'POST',
    `${MLFLOW}/model-versions/transition-stage`,
    { body: { name, version, stage, archive_existing_versions: false } }
  );

const deleteVersion = (name: string, version: string) =>
  call('DELETE', `${MLFLOW}/model-versions/delete`, {
    body: { name, version },
  });

function notFound(name: string, version: string): ErrorJson {
  return {
    error_code: 'RESOURCE_DOES_NOT_EXIST',
    message: `Model Version (name=${name}, version=${version}) not found`,
  };
}

describe('Model versions', () => {
  describe('model-versions/create', () => {
    it('registers version 1 and returns it in the MLflow shape', async () => {
      // Prepare
      const name = await createModel();
      const before = Date.now();

      // Act
      const response = await createVersion({
        name,
        source: S3,
        run_id: '998c2cf90d95491682d3f05fcfe49dd4',
        run_link: 'https://tracking.example.com/runs/998c',
        description: 'v1 desc',
        tags: [{ key: 'k', value: 'v' }],
      });

      // Assess
      expect(response.status).toBe(200);
      const version = response.body.model_version;
      expect(version).toEqual({
        name,
        version: '1',
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: version.creation_timestamp,
        user_id: expect.any(String),
        current_stage: 'None',
        description: 'v1 desc',
        source: S3,
        run_id: '998c2cf90d95491682d3f05fcfe49dd4',
        status: 'READY',
        tags: [{ key: 'k', value: 'v' }],
        run_link: 'https://tracking.example.com/runs/998c',
      });
      expect(version.creation_timestamp).toBeGreaterThanOrEqual(before - 5000);
      expect(version.creation_timestamp).toBeLessThanOrEqual(Date.now() + 5000);
    });

    it('answers empty run_id, run_link and description when they are not given', async () => {
      // Prepare
      const name = await createModel();

      // Act
      const response = await createVersion({ name, source: S3 });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.model_version).toMatchObject({
        version: '1',
        current_stage: 'None',
        status: 'READY',
        run_id: '',
        run_link: '',
        description: '',
      });
      expect(response.body.model_version.tags).toBeUndefined();
      expect(response.body.model_version.aliases).toBeUndefined();
    });

    it('numbers versions 1, 2, 3 per model, as strings', async () => {
      // Prepare
      const first = await createModel();
      const second = await createModel();

      // Act
      const numbers: string[] = [];
      for (const name of [first, first, second, first, second]) {
        const response = await createVersion({ name, source: S3 });
        expect(response.status).toBe(200);
        numbers.push(response.body.model_version.version);
      }

      // Assess
      expect(numbers).toEqual(['1', '2', '1', '3', '2']);
    });

    it('bumps the model last_updated_timestamp', async () => {
      // Prepare
      const name = await createModel();
      const before = (await getModel(name)).body.registered_model;

      // Act
      const created = await createVersion({ name, source: S3 });

      // Assess
      const after = (await getModel(name)).body.registered_model;
      expect(after.last_updated_timestamp).toBe(
        created.body.model_version.creation_timestamp
      );
      expect(after.last_updated_timestamp).toBeGreaterThan(
        before.last_updated_timestamp
      );
    });

    it('returns what get returns afterwards', async () => {
      // Prepare
      const name = await createModel();
      const created = await createVersion({
        name,
        source: S3,
        tags: [{ key: 'b', value: '2' }],
      });

      // Act
      const fetched = await getVersion(name, '1');

      // Assess
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(created.body);
    });

    it.each([
      ['an s3:// URI', 's3://bucket/models/m/1'],
      ['a runs:/ URI', 'runs:/998c2cf90d95491682d3f05fcfe49dd4/model'],
      ['a name with dots that is no traversal', 's3://bucket/a..b/model'],
    ])('accepts %s as source', async (_case, source) => {
      // Prepare
      const name = await createModel();

      // Act
      const response = await createVersion({ name, source });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.model_version.source).toBe(source);
    });

    it('resolves a models:/ URI at creation, keeping it as the source', async () => {
      // Prepare
      const original = await createModel();
      await createVersion({ name: original, source: S3 });
      const name = await createModel();

      // Act
      const response = await createVersion({
        name,
        source: `models:/${original}/1`,
      });
      const missing = await createVersion({
        name,
        source: 'models:/no-such-model-anywhere/3',
      });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.model_version.source).toBe(`models:/${original}/1`);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
      });
    });

    it.each([
      ['a local absolute path', '/tmp/x'],
      ['a relative path', 'some/model'],
      ['a file:// URI', 'file:///x'],
      ['a .. segment', 's3://bucket/models/../secrets'],
      ['a leading .. segment in a runs:/ URI', 'runs:/../other-run/model'],
      ['a %2f-encoded traversal', 's3://bucket/models/..%2f..%2fsecrets'],
      ['a %2F-encoded separator', 's3://bucket/models%2F..%2Fsecrets'],
      ['a NUL character', 's3://bucket/models/m\u0000x'],
      ['a %2e-encoded .. segment', 's3://bucket/models/%2e%2e/secrets'],
      ['a double-encoded .. segment', 's3://bucket/models/%252e%252e/secrets'],
      [
        'a double-encoded %2f traversal',
        's3://bucket/models/..%252f..%252fsecrets',
      ],
      ['a %00-encoded NUL', 's3://bucket/models/m%00x'],
      ['a double-encoded NUL', 's3://bucket/models/m%2500x'],
      [
        'an encoded .. segment behind a malformed escape',
        's3://bucket/%zz/%2e%2e/secrets',
      ],
      ['an empty string', ''],
    ])(
      'refuses %s as source with 400, creating nothing',
      async (_case, source) => {
        // Prepare
        const name = await createModel();

        // Act
        const response = await createVersion({ name, source });

        // Assess
        expect(response.status).toBe(400);
        expect(response.body as unknown).toEqual({
          error_code: 'INVALID_PARAMETER_VALUE',
          message: expect.any(String),
        });
        const next = await createVersion({ name, source: S3 });
        expect(next.body.model_version.version).toBe('1');
      }
    );

    it.each([
      ['name', { source: S3 }],
      ['source', { name: 'exists' }],
    ])('refuses a request without %s with 400', async (field, body) => {
      // Prepare
      const name = await createModel();

      // Act
      const response = await createVersion(
        'name' in body ? { ...body, name } : body
      );

      // Assess
      expect(response.status).toBe(400);
      expect(response.body as unknown).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining(
          `Missing value for required parameter '${field}'`
        ),
      });
    });

    it.each([
      ['a run_id of 5000 characters', { run_id: 'r'.repeat(5000) }],
      [
        'a source of 500 000 characters',
        { source: `s3://bucket/${'y'.repeat(500_000)}` },
      ],
      [
        'a run_link of 500 000 characters',
        { run_link: `https://tracking.example.com/${'h'.repeat(500_000)}` },
      ],
    ])('refuses %s with 400, not a server error', async (_case, fields) => {
      // Prepare
      const name = await createModel();

      // Act
      const response = await createVersion({ name, source: S3, ...fields });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body as unknown).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.any(String),
      });
      const next = await createVersion({ name, source: S3 });
      expect(next.body.model_version.version).toBe('1');
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown model', async () => {
      // Prepare
      const name = uniqueName('missing');

      // Act
      const response = await createVersion({ name, source: S3 });

      // Assess
      expect(response.status).toBe(404);
      expect(response.body as unknown).toEqual({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: `Registered Model with name=${name} not found`,
      });
    });
  });

  describe('model-versions/get', () => {
    it('answers 400 for a version that is not an integer', async () => {
      // Prepare
      const name = await createModel();
      await createVersion({ name, source: S3 });

      // Act
      const response = await getVersion(name, 'abc');

      // Assess
      expect(response.status).toBe(400);
      expect(response.body as unknown).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: "Model version must be an integer, got 'abc'",
      });
    });

    it('answers 404 for a version that does not exist', async () => {
      // Prepare
      const name = await createModel();
      await createVersion({ name, source: S3 });

      // Act
      const response = await getVersion(name, '2');

      // Assess
      expect(response.status).toBe(404);
      expect(response.body as unknown).toEqual(notFound(name, '2'));
    });

    it('answers 404 for an unknown model', async () => {
      // Prepare
      const name = uniqueName('missing');

      // Act
      const response = await getVersion(name, '1');

      // Assess
      expect(response.status).toBe(404);
      expect(response.body.model_version).toBeUndefined();
      expect((response.body as unknown as ErrorJson).error_code).toBe(
        'RESOURCE_DOES_NOT_EXIST'
      );
    });

    it('answers 400 when the version is missing', async () => {
      // Prepare
      const name = await createModel();

      // Act
      const response = await call('GET', `${MLFLOW}/model-versions/get`, {
        query: { name },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('lists the aliases that point at the version', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 2);
      const alias = await call('POST', `${MLFLOW}/registered-models/alias`, {
        body: { name, alias: 'champion', version: '2' },
      });
      expect(alias.status).toBe(200);

      // Act
      const withAlias = await getVersion(name, '2');
      const withoutAlias = await getVersion(name, '1');

      // Assess
      expect(withAlias.body.model_version.aliases).toEqual(['champion']);
      expect(withoutAlias.body.model_version.aliases).toBeUndefined();
    });
  });

  describe('model-versions/update', () => {
    it('changes the description and bumps the version last_updated_timestamp only', async () => {
      // Prepare
      const name = await createModel();
      const created = (await createVersion({ name, source: S3 })).body
        .model_version;
      const modelBefore = (await getModel(name)).body.registered_model;

      // Act
      const response = await call<{ model_version: VersionJson }>(
        'PATCH',
        `${MLFLOW}/model-versions/update`,
        { body: { name, version: '1', description: 'new v1 desc' } }
      );

      // Assess
      expect(response.status).toBe(200);
      const updated = response.body.model_version;
      expect(updated).toEqual({
        ...created,
        description: 'new v1 desc',
        last_updated_timestamp: expect.any(Number),
      });
      expect(updated.last_updated_timestamp).toBeGreaterThan(
        created.last_updated_timestamp
      );
      expect((await getVersion(name, '1')).body).toEqual(response.body);
      const modelAfter = (await getModel(name)).body.registered_model;
      expect(modelAfter.last_updated_timestamp).toBe(
        modelBefore.last_updated_timestamp
      );
    });

    it('answers 404 for a version that does not exist', async () => {
      // Prepare
      const name = await createModel();

      // Act
      const response = await call('PATCH', `${MLFLOW}/model-versions/update`, {
        body: { name, version: '1', description: 'x' },
      });

      // Assess
      expect(response.status).toBe(404);
      expect(response.body as unknown).toEqual(notFound(name, '1'));
    });
  });

  describe('model-versions/delete', () => {
    it('deletes a version named in the JSON body', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 2);

      // Act
      const response = await deleteVersion(name, '1');

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({});
      expect((await getVersion(name, '1')).body as unknown).toEqual(
        notFound(name, '1')
      );
      expect((await getVersion(name, '2')).status).toBe(200);
    });

    it('deletes a version named in the query string', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);

      // Act
      const response = await call('DELETE', `${MLFLOW}/model-versions/delete`, {
        query: { name, version: '1' },
      });

      // Assess
      expect(response.status).toBe(200);
      expect((await getVersion(name, '1')).status).toBe(404);
    });

    it('never reuses a deleted number', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 3);

      // Act
      await deleteVersion(name, '2');
      const fourth = await createVersion({ name, source: S3 });
      await deleteVersion(name, '4');
      const fifth = await createVersion({ name, source: S3 });

      // Assess
      expect(fourth.body.model_version.version).toBe('4');
      expect(fifth.body.model_version.version).toBe('5');
      expect((await getVersion(name, '2')).status).toBe(404);
      expect((await getVersion(name, '4')).status).toBe(404);
    });

    it('bumps the model last_updated_timestamp', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 2);
      const before = (await getModel(name)).body.registered_model;

      // Act
      await deleteVersion(name, '1');

      // Assess
      const after = (await getModel(name)).body.registered_model;
      expect(after.last_updated_timestamp).toBeGreaterThan(
        before.last_updated_timestamp
      );
    });

    it.each(['Staging', 'Production'])(
      'refuses a version in %s with 409 INVALID_STATE',
      async (stage) => {
        // Prepare
        const name = await createModel();
        await createVersions(name, 1);
        expect((await transition(name, '1', stage)).status).toBe(200);

        // Act
        const response = await deleteVersion(name, '1');

        // Assess
        expect(response.status).toBe(409);
        expect(response.body as unknown).toEqual({
          error_code: 'INVALID_STATE',
          message: expect.any(String),
        });
        const kept = await getVersion(name, '1');
        expect(kept.body.model_version.current_stage).toBe(stage);
      }
    );

    it('deletes an Archived version', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);
      await transition(name, '1', 'Production');
      await transition(name, '1', 'Archived');

      // Act
      const response = await deleteVersion(name, '1');

      // Assess
      expect(response.status).toBe(200);
      expect((await getVersion(name, '1')).status).toBe(404);
    });

    it('leaves a deleted version out of search and get-latest-versions', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 2);

      // Act
      await deleteVersion(name, '2');

      // Assess
      const search = await call<{ model_versions?: VersionJson[] }>(
        'GET',
        `${MLFLOW}/model-versions/search`,
        { query: { filter: `name='${name}'` } }
      );
      expect(search.body.model_versions?.map((v) => v.version)).toEqual(['1']);
      const latest = await call<{ model_versions?: VersionJson[] }>(
        'POST',
        `${MLFLOW}/registered-models/get-latest-versions`,
        { body: { name } }
      );
      expect(latest.body.model_versions?.map((v) => v.version)).toEqual(['1']);
    });

    it('answers 404 for a version that was already deleted', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);
      await deleteVersion(name, '1');

      // Act
      const response = await deleteVersion(name, '1');

      // Assess
      expect(response.status).toBe(404);
      expect(response.body as unknown).toEqual(notFound(name, '1'));
    });
  });

  describe('model-versions/set-tag and delete-tag', () => {
    it('sets, overwrites and deletes a tag', async () => {
      // Prepare
      const name = await createModel();
      await createVersion({
        name,
        source: S3,
        tags: [{ key: 'a', value: '1' }],
      });

      // Act
      const set = await call('POST', `${MLFLOW}/model-versions/set-tag`, {
        body: { name, version: '1', key: 'validated', value: 'false' },
      });
      const overwrite = await call('POST', `${MLFLOW}/model-versions/set-tag`, {
        body: { name, version: '1', key: 'validated', value: 'true' },
      });
      const afterSet = await getVersion(name, '1');
      const removed = await call(
        'DELETE',
        `${MLFLOW}/model-versions/delete-tag`,
        { body: { name, version: '1', key: 'a' } }
      );
      const afterDelete = await getVersion(name, '1');

      // Assess
      expect(set.status).toBe(200);
      expect(set.body).toEqual({});
      expect(overwrite.status).toBe(200);
      expect(afterSet.body.model_version.tags).toEqual([
        { key: 'a', value: '1' },
        { key: 'validated', value: 'true' },
      ]);
      expect(removed.status).toBe(200);
      expect(removed.body).toEqual({});
      expect(afterDelete.body.model_version.tags).toEqual([
        { key: 'validated', value: 'true' },
      ]);
    });

    it('answers 404 when deleting a tag the version does not have', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);

      // Act
      const response = await call(
        'DELETE',
        `${MLFLOW}/model-versions/delete-tag`,
        { query: { name, version: '1', key: 'nope' } }
      );

      // Assess
      expect(response.status).toBe(404);
      expect(response.body as unknown).toEqual({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: expect.any(String),
      });
    });

    it('answers 404 when tagging a version that does not exist', async () => {
      // Prepare
      const name = await createModel();

      // Act
      const response = await call('POST', `${MLFLOW}/model-versions/set-tag`, {
        body: { name, version: '7', key: 'k', value: 'v' },
      });

      // Assess
      expect(response.status).toBe(404);
      expect(response.body as unknown).toEqual(notFound(name, '7'));
    });
  });

  describe('model-versions/get-download-uri', () => {
    it('answers the source as artifact_uri', async () => {
      // Prepare
      const name = await createModel();
      const source = 'runs:/998c2cf90d95491682d3f05fcfe49dd4/model';
      await createVersion({ name, source });

      // Act
      const response = await call(
        'GET',
        `${MLFLOW}/model-versions/get-download-uri`,
        { query: { name, version: '1' } }
      );

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ artifact_uri: source });
    });

    it('answers 404 for a version that does not exist', async () => {
      // Prepare
      const name = await createModel();

      // Act
      const response = await call(
        'GET',
        `${MLFLOW}/model-versions/get-download-uri`,
        { query: { name, version: '1' } }
      );

      // Assess
      expect(response.status).toBe(404);
      expect(response.body as unknown).toEqual(notFound(name, '1'));
    });
  });
});
