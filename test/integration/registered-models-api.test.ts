import { describe, expect, it } from 'vitest';
import { type ApiResponse, call, MLFLOW, uniqueName } from '../support/api.ts';

interface TagJson {
  key: string;
  value: string;
}

interface VersionJson {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  source: string;
  status: string;
  tags?: TagJson[];
  aliases?: string[];
}

interface ModelJson {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  description: string;
  latest_versions?: VersionJson[];
  tags?: TagJson[];
  aliases?: { alias: string; version: string }[];
}

interface ModelDatabricksJson extends ModelJson {
  id: string;
  permission_level: string;
}

interface ModelBody {
  registered_model: ModelJson;
}

interface VersionBody {
  model_version: VersionJson;
}

interface LatestVersionsBody {
  model_versions?: VersionJson[];
}

interface ListPage {
  registered_models?: ModelJson[];
  next_page_token?: string;
}

type Stage = 'None' | 'Staging' | 'Production' | 'Archived';

const SOURCE = 's3://bucket/path';
const MODELS = `${MLFLOW}/registered-models`;

/** Names that need percent-encoding in a query string, as the SDK sends it. */
const awkwardName = () => `${uniqueName('odd')} a+b/c&d=e ünï 模型`;

const api = {
  create: (name: string, extra: Record<string, unknown> = {}) =>
    call<ModelBody>('POST', `${MODELS}/create`, { body: { name, ...extra } }),
  get: (name: string) =>
    call<ModelBody>('GET', `${MODELS}/get`, { query: { name } }),
  getDatabricks: (name: string) =>
    call<{ registered_model_databricks: ModelDatabricksJson }>(
      'GET',
      `${MLFLOW}/databricks/registered-models/get`,
      { query: { name } }
    ),
  update: (body: unknown) =>
    call<ModelBody>('PATCH', `${MODELS}/update`, { body }),
  rename: (name: string, newName: string) =>
    call<ModelBody>('POST', `${MODELS}/rename`, {
      body: { name, new_name: newName },
    }),
  delete: (name: string) =>
    call('DELETE', `${MODELS}/delete`, { body: { name } }),
  setTag: (name: string, key: string, value: string) =>
    call('POST', `${MODELS}/set-tag`, { body: { name, key, value } }),
  deleteTag: (name: string, key: string) =>
    call('DELETE', `${MODELS}/delete-tag`, { body: { name, key } }),
  setAlias: (name: string, alias: string, version: string) =>
    call('POST', `${MODELS}/alias`, { body: { name, alias, version } }),
  deleteAlias: (name: string, alias: string) =>
    call('DELETE', `${MODELS}/alias`, { body: { name, alias } }),
  getByAlias: (name: string, alias: string) =>
    call<VersionBody>('GET', `${MODELS}/alias`, { query: { name, alias } }),
  latest: (body: unknown) =>
    call<LatestVersionsBody>('POST', `${MODELS}/get-latest-versions`, {
      body,
    }),
  createVersion: (name: string) =>
    call<VersionBody>('POST', `${MLFLOW}/model-versions/create`, {
      body: { name, source: SOURCE },
    }),
  getVersion: (name: string, version: string) =>
    call<VersionBody>('GET', `${MLFLOW}/model-versions/get`, {
      query: { name, version },
    }),
  deleteVersion: (name: string, version: string) =>
    call('DELETE', `${MLFLOW}/model-versions/delete`, {
      body: { name, version },
    }),
  transition: (name: string, version: string, stage: Stage) =>
    call<VersionBody>('POST', `${MLFLOW}/model-versions/transition-stage`, {
      body: { name, version, stage, archive_existing_versions: false },
    }),
};

/** A call that must succeed; fails the test with the server's answer otherwise. */
async function ok<T>(pending: Promise<ApiResponse<T>>): Promise<T> {
  const response = await pending;
  if (response.status !== 200) {
    throw new Error(
      `Expected 200, got ${response.status}: ${JSON.stringify(response.body)}`
    );
  }
  return response.body;
}

/**
 * A new model with `versions` versions (1…n), moved to the given stages.
 * @returns its name
 */
async function newModel(
  options: {
    name?: string;
    versions?: number;
    stages?: Record<number, Stage>;
    extra?: Record<string, unknown>;
  } = {}
): Promise<string> {
  const name = options.name ?? uniqueName('rmapi');
  await ok(api.create(name, options.extra));
  for (let i = 0; i < (options.versions ?? 0); i++) {
    await ok(api.createVersion(name));
  }
  for (const [version, stage] of Object.entries(options.stages ?? {})) {
    await ok(api.transition(name, version, stage));
  }
  return name;
}

/**
 * A timestamp from the registry's own clock (the creation time of a new,
 * unrelated model), so timestamp checks never compare two machines' clocks.
 */
async function serverNow(): Promise<number> {
  const body = await ok(api.create(uniqueName('clock')));
  return body.registered_model.creation_timestamp;
}

async function modelOf(name: string): Promise<ModelJson> {
  return (await ok(api.get(name))).registered_model;
}

/** Status, `error_code`, and a body that is exactly `{error_code, message}`. */
function expectError(
  response: ApiResponse<unknown>,
  status: number,
  errorCode: string,
  message?: string
): void {
  expect(response.body).toEqual({
    error_code: errorCode,
    message: expect.any(String),
  });
  expect(response.status).toBe(status);
  const text = (response.body as { message: string }).message;
  expect(text).not.toBe('');
  if (message !== undefined) expect(text).toContain(message);
}

describe('Registered models API', () => {
  describe('registered-models/update', () => {
    it('sets the description, bumps last_updated_timestamp and returns the model', async () => {
      // Prepare
      const name = await newModel({ extra: { description: 'old' } });
      const before = await modelOf(name);
      const marker = await serverNow();

      // Act
      const response = await api.update({ name, description: 'new' });

      // Assess
      expect(response.status).toBe(200);
      const model = response.body.registered_model;
      expect(model).toMatchObject({
        name,
        description: 'new',
        creation_timestamp: before.creation_timestamp,
      });
      expect(model.last_updated_timestamp).toBeGreaterThanOrEqual(marker);
      expect(model.last_updated_timestamp).toBeGreaterThanOrEqual(
        before.last_updated_timestamp
      );
      expect(await modelOf(name)).toEqual(model);
    });

    it('answers 400 INVALID_PARAMETER_VALUE to a PATCH without a body, as the Databricks SDK sends it', async () => {
      // Act
      const response = await call('PATCH', `${MODELS}/update`);

      // Assess
      expectError(
        response,
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'name'"
      );
    });

    it('answers 400 INVALID_PARAMETER_VALUE to an empty JSON object', async () => {
      // Act
      const response = await api.update({});

      // Assess
      expectError(
        response,
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'name'"
      );
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown model and creates nothing', async () => {
      // Prepare
      const name = uniqueName('missing');

      // Act
      const response = await api.update({ name, description: 'x' });

      // Assess
      expectError(
        response,
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Registered Model with name=${name} not found`
      );
      expect((await api.get(name)).status).toBe(404);
    });

    it.each([
      ['a description over 5000 characters', { description: 'd'.repeat(5001) }],
      ['a description that is not a string', { description: 42 }],
    ])(
      'refuses %s with 400 and leaves the model unchanged',
      async (_case, fields) => {
        // Prepare
        const name = await newModel({ extra: { description: 'kept' } });
        const before = await modelOf(name);

        // Act
        const response = await api.update({ name, ...fields });

        // Assess
        expectError(response, 400, 'INVALID_PARAMETER_VALUE');
        expect(await modelOf(name)).toEqual(before);
      }
    );
  });

  describe('registered-models/rename', () => {
    it('renames the model with its versions, tags and aliases; the old name is then unknown', async () => {
      // Prepare
      const name = await newModel({
        versions: 2,
        stages: { 1: 'Archived' },
        extra: { description: 'd', tags: [{ key: 'team', value: 'a' }] },
      });
      await ok(api.setAlias(name, 'champion', '2'));
      const before = await modelOf(name);
      const newName = uniqueName('renamed');

      // Act
      const response = await api.rename(name, newName);

      // Assess
      expect(response.status).toBe(200);
      const renamed = response.body.registered_model;
      expect(renamed).toMatchObject({
        name: newName,
        creation_timestamp: before.creation_timestamp,
        description: 'd',
        tags: [{ key: 'team', value: 'a' }],
        aliases: [{ alias: 'champion', version: '2' }],
      });
      expect(renamed.latest_versions?.map((v) => [v.name, v.version])).toEqual([
        [newName, '1'],
        [newName, '2'],
      ]);
      expect(await modelOf(newName)).toEqual(renamed);
      expectError(
        await api.get(name),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Registered Model with name=${name} not found`
      );
      const version = await api.getVersion(newName, '2');
      expect(version.body.model_version).toMatchObject({
        name: newName,
        aliases: ['champion'],
      });
      expect((await api.getVersion(name, '2')).status).toBe(404);
    });

    it('refuses a new name that is taken with 400 RESOURCE_ALREADY_EXISTS and changes neither model', async () => {
      // Prepare
      const name = await newModel({ versions: 1 });
      const taken = await newModel({ extra: { description: 'taken' } });
      const [before, takenBefore] = [await modelOf(name), await modelOf(taken)];

      // Act
      const response = await api.rename(name, taken);

      // Assess
      expectError(response, 400, 'RESOURCE_ALREADY_EXISTS', taken);
      expect(await modelOf(name)).toEqual(before);
      expect(await modelOf(taken)).toEqual(takenBefore);
    });

    it.each(['Staging', 'Production'] as const)(
      'refuses with 409 INVALID_STATE while a version is in %s, and renames nothing',
      async (stage) => {
        // Prepare
        const name = await newModel({ versions: 2, stages: { 2: stage } });
        const before = await modelOf(name);
        const newName = uniqueName('renamed');

        // Act
        const response = await api.rename(name, newName);

        // Assess
        expectError(response, 409, 'INVALID_STATE');
        expect(await modelOf(name)).toEqual(before);
        expect((await api.get(newName)).status).toBe(404);
      }
    );

    it('renames once the active versions are archived', async () => {
      // Prepare
      const name = await newModel({ versions: 1, stages: { 1: 'Production' } });
      await ok(api.transition(name, '1', 'Archived'));
      const newName = uniqueName('renamed');

      // Act
      const response = await api.rename(name, newName);

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.registered_model.name).toBe(newName);
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown model and creates nothing', async () => {
      // Prepare
      const name = uniqueName('missing');
      const newName = uniqueName('renamed');

      // Act
      const response = await api.rename(name, newName);

      // Assess
      expectError(
        response,
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Registered Model with name=${name} not found`
      );
      expect((await api.get(newName)).status).toBe(404);
    });

    it.each([
      ['a missing new_name', {}, "'new_name'"],
      ['an empty new_name', { new_name: '' }, 'cannot be empty'],
      ['a new_name over 256 characters', { new_name: 'n'.repeat(257) }, '256'],
    ])(
      'refuses %s with 400 INVALID_PARAMETER_VALUE and keeps the model',
      async (_case, fields, message) => {
        // Prepare
        const name = await newModel();
        const before = await modelOf(name);

        // Act
        const response = await call('POST', `${MODELS}/rename`, {
          body: { name, ...fields },
        });

        // Assess
        expectError(response, 400, 'INVALID_PARAMETER_VALUE', message);
        expect(await modelOf(name)).toEqual(before);
      }
    );
  });

  describe('registered-models/delete', () => {
    it('deletes a model named in a JSON body (MLflow client)', async () => {
      // Prepare
      const name = await newModel({ versions: 1 });

      // Act
      const response = await api.delete(name);

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({});
      expect((await api.get(name)).status).toBe(404);
      expect((await api.getVersion(name, '1')).status).toBe(404);
    });

    it('deletes a model named in the query string (Databricks SDK)', async () => {
      // Prepare
      const name = await newModel({ name: awkwardName() });

      // Act
      const response = await call('DELETE', `${MODELS}/delete`, {
        query: { name },
      });

      // Assess
      expect(response.status).toBe(200);
      expect((await api.get(name)).status).toBe(404);
    });

    it('removes versions, tags and aliases: the same name then starts afresh at version 1', async () => {
      // Prepare
      const name = await newModel({
        versions: 3,
        stages: { 1: 'Archived' },
        extra: { tags: [{ key: 'team', value: 'a' }] },
      });
      await ok(api.setAlias(name, 'champion', '2'));
      await ok(api.delete(name));

      // Act
      const recreated = await api.create(name);
      const version = await api.createVersion(name);

      // Assess
      expect(recreated.status).toBe(200);
      expect(version.body.model_version.version).toBe('1');
      const model = await modelOf(name);
      expect(model.tags).toBeUndefined();
      expect(model.aliases).toBeUndefined();
      expect(model.latest_versions?.map((v) => v.version)).toEqual(['1']);
      expect((await api.getVersion(name, '2')).status).toBe(404);
      expectError(
        await api.getByAlias(name, 'champion'),
        400,
        'INVALID_PARAMETER_VALUE'
      );
    });

    it.each(['Staging', 'Production'] as const)(
      'refuses with 409 INVALID_STATE while a version is in %s, and deletes nothing',
      async (stage) => {
        // Prepare
        const name = await newModel({ versions: 2, stages: { 1: stage } });
        const before = await modelOf(name);

        // Act
        const response = await api.delete(name);

        // Assess
        expectError(response, 409, 'INVALID_STATE');
        expect(await modelOf(name)).toEqual(before);
        expect(
          (await api.getVersion(name, '1')).body.model_version
        ).toMatchObject({ current_stage: stage });
        expect((await api.getVersion(name, '2')).status).toBe(200);
      }
    );

    it('deletes a model with more items than one batch write removes', async () => {
      // Prepare
      const name = await newModel({ versions: 26 });

      // Act
      const response = await api.delete(name);

      // Assess
      expect(response.status).toBe(200);
      expect((await api.get(name)).status).toBe(404);
      await ok(api.create(name));
      expect((await ok(api.createVersion(name))).model_version.version).toBe(
        '1'
      );
      expect((await api.getVersion(name, '26')).status).toBe(404);
    });

    it('deletes a model whose versions are all in None or Archived', async () => {
      // Prepare
      const name = await newModel({ versions: 2, stages: { 1: 'Archived' } });

      // Act
      const response = await api.delete(name);

      // Assess
      expect(response.status).toBe(200);
      expect((await api.get(name)).status).toBe(404);
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown model', async () => {
      // Prepare
      const name = uniqueName('missing');

      // Act
      const response = await api.delete(name);

      // Assess
      expectError(
        response,
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Registered Model with name=${name} not found`
      );
    });

    it('answers 400 INVALID_PARAMETER_VALUE without a name', async () => {
      // Act
      const response = await call('DELETE', `${MODELS}/delete`);

      // Assess
      expectError(
        response,
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'name'"
      );
    });
  });

  describe('registered-models/list', () => {
    it('lists every model once across its pages', async () => {
      // Prepare
      const names = [await newModel(), await newModel(), await newModel()];

      // Act
      const seen: string[] = [];
      let pageToken: string | undefined;
      do {
        const response = await call<ListPage>('GET', `${MODELS}/list`, {
          query: {
            max_results: 1000,
            ...(pageToken ? { page_token: pageToken } : {}),
          },
        });
        expect(response.status).toBe(200);
        seen.push(
          ...(response.body.registered_models ?? []).map((m) => m.name)
        );
        pageToken = response.body.next_page_token;
      } while (pageToken);

      // Assess
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expect.arrayContaining(names));
    });

    it('honours max_results and continues after the page token', async () => {
      // Prepare
      await newModel();
      await newModel();
      await newModel();

      // Act
      const first = await call<ListPage>('GET', `${MODELS}/list`, {
        query: { max_results: 2 },
      });
      const second = await call<ListPage>('GET', `${MODELS}/list`, {
        query: { max_results: 2, page_token: first.body.next_page_token ?? '' },
      });

      // Assess
      expect(first.status).toBe(200);
      expect(first.body.registered_models).toHaveLength(2);
      expect(first.body.next_page_token).toEqual(expect.any(String));
      expect(second.status).toBe(200);
      const firstNames = (first.body.registered_models ?? []).map(
        (m) => m.name
      );
      const secondNames = (second.body.registered_models ?? []).map(
        (m) => m.name
      );
      expect(secondNames.length).toBeGreaterThan(0);
      expect(secondNames.filter((n) => firstNames.includes(n))).toEqual([]);
    });

    it.each([
      ['more than 1000 results', { max_results: 1001 }],
      ['zero results', { max_results: 0 }],
      ['a page token it did not issue', { page_token: 'not-a-token!' }],
    ])('refuses %s with 400 INVALID_PARAMETER_VALUE', async (_case, query) => {
      // Act
      const response = await call('GET', `${MODELS}/list`, { query });

      // Assess
      expectError(response, 400, 'INVALID_PARAMETER_VALUE');
    });
  });

  describe('registered-models/get-latest-versions', () => {
    /** v1 Archived, v2 Production, v3 Staging, v4 and v5 None; read only. */
    let stagedName: Promise<string> | undefined;
    const staged = () => {
      stagedName ??= newModel({
        versions: 5,
        stages: { 1: 'Archived', 2: 'Production', 3: 'Staging' },
      });
      return stagedName;
    };

    it('answers POST with the latest version of each requested stage, stages in any case', async () => {
      // Prepare
      const name = await staged();

      // Act
      const response = await api.latest({
        name,
        stages: ['production', 'NONE'],
      });

      // Assess
      expect(response.status).toBe(200);
      const versions = response.body.model_versions ?? [];
      expect(versions.map((v) => [v.version, v.current_stage]).sort()).toEqual([
        ['2', 'Production'],
        ['5', 'None'],
      ]);
      expect(versions[0]).toMatchObject({ name, source: SOURCE });
    });

    it('answers GET with stages as repeated query keys', async () => {
      // Prepare
      const name = await staged();

      // Act
      const response = await call<LatestVersionsBody>(
        'GET',
        `${MODELS}/get-latest-versions`,
        { query: { name, stages: ['Staging', 'archived'] } }
      );

      // Assess
      expect(response.status).toBe(200);
      expect(
        (response.body.model_versions ?? [])
          .map((v) => [v.version, v.current_stage])
          .sort()
      ).toEqual([
        ['1', 'Archived'],
        ['3', 'Staging'],
      ]);
    });

    it("answers without stages with every stage's latest version, in latest_versions order", async () => {
      // Prepare
      const name = await staged();
      const model = await modelOf(name);

      // Act
      const post = await api.latest({ name });
      const get = await call<LatestVersionsBody>(
        'GET',
        `${MODELS}/get-latest-versions`,
        { query: { name } }
      );

      // Assess
      expect(post.status).toBe(200);
      expect(post.body.model_versions?.map((v) => v.version)).toEqual([
        '1',
        '2',
        '3',
        '5',
      ]);
      expect(post.body.model_versions).toEqual(model.latest_versions);
      expect(get.body).toEqual(post.body);
    });

    it('omits model_versions when no version matches', async () => {
      // Prepare
      const empty = await newModel();
      const unstaged = await newModel({ versions: 1 });

      // Act
      const none = await api.latest({ name: empty });
      const noneInStage = await api.latest({
        name: unstaged,
        stages: ['Production'],
      });

      // Assess
      expect(none.status).toBe(200);
      expect(none.body).toEqual({});
      expect(noneInStage.status).toBe(200);
      expect(noneInStage.body).toEqual({});
    });

    it('refuses an unknown stage with 400 INVALID_PARAMETER_VALUE on POST and GET', async () => {
      // Prepare
      const name = await newModel({ versions: 1 });

      // Act
      const post = await api.latest({ name, stages: ['Bogus'] });
      const get = await call('GET', `${MODELS}/get-latest-versions`, {
        query: { name, stages: ['None', 'Bogus'] },
      });

      // Assess
      expectError(
        post,
        400,
        'INVALID_PARAMETER_VALUE',
        'Invalid Model Version stage: Bogus'
      );
      expectError(get, 400, 'INVALID_PARAMETER_VALUE', 'Bogus');
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown model', async () => {
      // Prepare
      const name = uniqueName('missing');

      // Act
      const response = await api.latest({ name });

      // Assess
      expectError(
        response,
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Registered Model with name=${name} not found`
      );
    });

    it('answers 400 INVALID_PARAMETER_VALUE without a name', async () => {
      // Act
      const response = await api.latest({ stages: ['None'] });

      // Assess
      expectError(response, 400, 'INVALID_PARAMETER_VALUE', "'name'");
    });
  });

  describe('registered-models/set-tag', () => {
    it('adds and replaces tags without touching last_updated_timestamp', async () => {
      // Prepare
      const name = await newModel({
        extra: { tags: [{ key: 'team', value: 'a' }] },
      });
      const before = await modelOf(name);

      // Act
      const added = await api.setTag(name, 'owner', 'alice');
      const replaced = await api.setTag(name, 'team', 'b');

      // Assess
      expect(added.status).toBe(200);
      expect(added.body).toEqual({});
      expect(replaced.status).toBe(200);
      const model = await modelOf(name);
      expect(model.tags).toEqual([
        { key: 'owner', value: 'alice' },
        { key: 'team', value: 'b' },
      ]);
      expect(model.last_updated_timestamp).toBe(before.last_updated_timestamp);
    });

    it('accepts a key of 250 characters and a value of 5000', async () => {
      // Prepare
      const name = await newModel();
      const key = 'k'.repeat(250);
      const value = 'v'.repeat(5000);

      // Act
      const response = await api.setTag(name, key, value);

      // Assess
      expect(response.status).toBe(200);
      expect((await modelOf(name)).tags).toEqual([{ key, value }]);
    });

    it.each([
      [
        'a key over 250 characters',
        { key: 'k'.repeat(251), value: 'v' },
        '250',
      ],
      [
        'a value over 5000 characters',
        { key: 'k', value: 'v'.repeat(5001) },
        '5000',
      ],
      ['an empty key', { key: '', value: 'v' }, 'empty'],
      [
        'a key that climbs out with ..',
        { key: 'a/../b', value: 'v' },
        'must not resolve',
      ],
      ['a missing key', { value: 'v' }, "'key'"],
      ['a missing value', { key: 'k' }, "'value'"],
    ])(
      'refuses %s with 400 INVALID_PARAMETER_VALUE and writes nothing',
      async (_case, fields, message) => {
        // Prepare
        const name = await newModel();

        // Act
        const response = await call('POST', `${MODELS}/set-tag`, {
          body: { name, ...fields },
        });

        // Assess
        expectError(response, 400, 'INVALID_PARAMETER_VALUE', message);
        expect((await modelOf(name)).tags).toBeUndefined();
      }
    );

    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown model and creates nothing', async () => {
      // Prepare
      const name = uniqueName('missing');

      // Act
      const response = await api.setTag(name, 'k', 'v');

      // Assess
      expectError(
        response,
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Registered Model with name=${name} not found`
      );
      expect((await api.get(name)).status).toBe(404);
    });
  });

  describe('registered-models/delete-tag', () => {
    it('deletes a tag named in a JSON body without touching last_updated_timestamp', async () => {
      // Prepare
      const name = await newModel({
        extra: {
          tags: [
            { key: 'a', value: '1' },
            { key: 'b', value: '2' },
          ],
        },
      });
      const before = await modelOf(name);

      // Act
      const response = await api.deleteTag(name, 'a');

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({});
      const model = await modelOf(name);
      expect(model.tags).toEqual([{ key: 'b', value: '2' }]);
      expect(model.last_updated_timestamp).toBe(before.last_updated_timestamp);
    });

    it('deletes a tag named in the query string and omits the emptied tags', async () => {
      // Prepare
      const name = await newModel({
        name: awkwardName(),
        extra: { tags: [{ key: 'a b+c', value: '1' }] },
      });

      // Act
      const response = await call('DELETE', `${MODELS}/delete-tag`, {
        query: { name, key: 'a b+c' },
      });

      // Assess
      expect(response.status).toBe(200);
      expect((await modelOf(name)).tags).toBeUndefined();
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for a tag the model does not have', async () => {
      // Prepare
      const name = await newModel({
        extra: { tags: [{ key: 'a', value: '1' }] },
      });

      // Act
      const response = await api.deleteTag(name, 'missing');

      // Assess
      expectError(response, 404, 'RESOURCE_DOES_NOT_EXIST', 'missing');
      expect((await modelOf(name)).tags).toEqual([{ key: 'a', value: '1' }]);
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown model', async () => {
      // Prepare
      const name = uniqueName('missing');

      // Act
      const response = await api.deleteTag(name, 'a');

      // Assess
      expectError(
        response,
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Registered Model with name=${name} not found`
      );
    });

    it('answers 400 INVALID_PARAMETER_VALUE without a key', async () => {
      // Prepare
      const name = await newModel({
        extra: { tags: [{ key: 'a', value: '1' }] },
      });

      // Act
      const response = await call('DELETE', `${MODELS}/delete-tag`, {
        body: { name },
      });

      // Assess
      expectError(response, 400, 'INVALID_PARAMETER_VALUE', "'key'");
      expect((await modelOf(name)).tags).toEqual([{ key: 'a', value: '1' }]);
    });
  });

  describe('registered-models/alias', () => {
    it('points an alias at a version, shown on the model and the version, without touching timestamps', async () => {
      // Prepare
      const name = await newModel({ versions: 2 });
      const before = await modelOf(name);

      // Act
      const set = await api.setAlias(name, 'champion', '1');
      const byAlias = await api.getByAlias(name, 'champion');

      // Assess
      expect(set.status).toBe(200);
      expect(set.body).toEqual({});
      expect(byAlias.status).toBe(200);
      expect(byAlias.body.model_version).toMatchObject({
        name,
        version: '1',
        aliases: ['champion'],
      });
      const model = await modelOf(name);
      expect(model.aliases).toEqual([{ alias: 'champion', version: '1' }]);
      expect(model.last_updated_timestamp).toBe(before.last_updated_timestamp);
      // As MLflow: versions carry their aliases only when fetched themselves.
      expect(model.latest_versions?.[0]?.aliases).toBeUndefined();
      expect(
        (await api.getVersion(name, '1')).body.model_version.aliases
      ).toEqual(['champion']);
      expect(
        (await api.getVersion(name, '2')).body.model_version.aliases
      ).toBeUndefined();
    });

    it('moves an alias that is set again to another version', async () => {
      // Prepare
      const name = await newModel({ versions: 2 });
      await ok(api.setAlias(name, 'champion', '1'));

      // Act
      const response = await api.setAlias(name, 'champion', '2');

      // Assess
      expect(response.status).toBe(200);
      expect(
        (await api.getByAlias(name, 'champion')).body.model_version.version
      ).toBe('2');
      expect((await modelOf(name)).aliases).toEqual([
        { alias: 'champion', version: '2' },
      ]);
      expect(
        (await api.getVersion(name, '1')).body.model_version.aliases
      ).toBeUndefined();
    });

    it('accepts letters, digits, underscores and hyphens up to 255 characters', async () => {
      // Prepare
      const name = await newModel({ versions: 1 });
      const aliases = ['Prod_2-b', 'a'.repeat(255), 'v1x', 'latest-1'];

      // Act
      const responses = await Promise.all(
        aliases.map((alias) => api.setAlias(name, alias, '1'))
      );

      // Assess
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect((await modelOf(name)).aliases?.map((a) => a.alias).sort()).toEqual(
        [...aliases].sort()
      );
    });

    it.each([
      ['latest', "'latest' alias name (case insensitive) is reserved."],
      ['Latest', "'latest' alias name (case insensitive) is reserved."],
      ['v3', "Version alias name 'v3' is reserved."],
      ['bad alias', "Invalid alias name 'bad alias'"],
      ['dot.ted', "Invalid alias name 'dot.ted'"],
      ['', 'Invalid alias name'],
      ['a'.repeat(256), 'length limit of 255'],
    ])(
      'refuses the alias %j with 400 INVALID_PARAMETER_VALUE and sets nothing',
      async (alias, message) => {
        // Prepare
        const name = await newModel({ versions: 1 });

        // Act
        const response = await api.setAlias(name, alias, '1');

        // Assess
        expectError(response, 400, 'INVALID_PARAMETER_VALUE', message);
        expect((await modelOf(name)).aliases).toBeUndefined();
      }
    );

    it('refuses a version that is not an integer with 400 INVALID_PARAMETER_VALUE', async () => {
      // Prepare
      const name = await newModel({ versions: 1 });

      // Act
      const response = await api.setAlias(name, 'champion', 'abc');

      // Assess
      expectError(
        response,
        400,
        'INVALID_PARAMETER_VALUE',
        "Model version must be an integer, got 'abc'"
      );
      expect((await modelOf(name)).aliases).toBeUndefined();
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for a version the model does not have', async () => {
      // Prepare
      const name = await newModel({ versions: 1 });

      // Act
      const response = await api.setAlias(name, 'champion', '2');

      // Assess
      expectError(
        response,
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Model Version (name=${name}, version=2) not found`
      );
      expect((await modelOf(name)).aliases).toBeUndefined();
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for a deleted version', async () => {
      // Prepare
      const name = await newModel({ versions: 2 });
      await ok(api.deleteVersion(name, '1'));

      // Act
      const response = await api.setAlias(name, 'champion', '1');

      // Assess
      expectError(
        response,
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Model Version (name=${name}, version=1) not found`
      );
      expect((await modelOf(name)).aliases).toBeUndefined();
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown model', async () => {
      // Prepare
      const name = uniqueName('missing');

      // Act
      const set = await api.setAlias(name, 'champion', '1');
      const get = await api.getByAlias(name, 'champion');
      const deleted = await api.deleteAlias(name, 'champion');

      // Assess
      for (const response of [set, get, deleted]) {
        expectError(
          response,
          404,
          'RESOURCE_DOES_NOT_EXIST',
          `Registered Model with name=${name} not found`
        );
      }
    });

    it('answers a missing alias with 400 INVALID_PARAMETER_VALUE, as MLflow', async () => {
      // Prepare
      const name = await newModel({ versions: 1 });

      // Act
      const response = await api.getByAlias(name, 'nobody');

      // Assess
      expect(response.status).toBe(400);
      expect(response.body as unknown).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'Registered model alias nobody not found.',
      });
    });

    it('deletes an alias named in a JSON body', async () => {
      // Prepare
      const name = await newModel({ versions: 1 });
      await ok(api.setAlias(name, 'champion', '1'));
      await ok(api.setAlias(name, 'challenger', '1'));
      const before = await modelOf(name);

      // Act
      const response = await api.deleteAlias(name, 'champion');

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({});
      const model = await modelOf(name);
      expect(model.aliases).toEqual([{ alias: 'challenger', version: '1' }]);
      expect(model.last_updated_timestamp).toBe(before.last_updated_timestamp);
      expectError(
        await api.getByAlias(name, 'champion'),
        400,
        'INVALID_PARAMETER_VALUE'
      );
      expect(
        (await api.getVersion(name, '1')).body.model_version.aliases
      ).toEqual(['challenger']);
    });

    it('deletes an alias named in the query string and omits the emptied aliases', async () => {
      // Prepare
      const name = await newModel({ name: awkwardName(), versions: 1 });
      await ok(api.setAlias(name, 'champion', '1'));

      // Act
      const response = await call('DELETE', `${MODELS}/alias`, {
        query: { name, alias: 'champion' },
      });

      // Assess
      expect(response.status).toBe(200);
      expect((await modelOf(name)).aliases).toBeUndefined();
    });

    it('removes the aliases of a version when the version is deleted', async () => {
      // Prepare
      const name = await newModel({ versions: 2 });
      await ok(api.setAlias(name, 'champion', '1'));
      await ok(api.setAlias(name, 'challenger', '2'));

      // Act
      const response = await api.deleteVersion(name, '1');

      // Assess
      expect(response.status).toBe(200);
      expect((await modelOf(name)).aliases).toEqual([
        { alias: 'challenger', version: '2' },
      ]);
      expectError(
        await api.getByAlias(name, 'champion'),
        400,
        'INVALID_PARAMETER_VALUE',
        'Registered model alias champion not found.'
      );
    });

    it('answers 400 INVALID_PARAMETER_VALUE without an alias', async () => {
      // Prepare
      const name = await newModel({ versions: 1 });

      // Act
      const set = await call('POST', `${MODELS}/alias`, {
        body: { name, version: '1' },
      });
      const get = await call('GET', `${MODELS}/alias`, { query: { name } });

      // Assess
      expectError(set, 400, 'INVALID_PARAMETER_VALUE', "'alias'");
      expectError(get, 400, 'INVALID_PARAMETER_VALUE', "'alias'");
    });
  });

  describe('databricks/registered-models/get', () => {
    it('returns the model with a stable 32-hex id and CAN_MANAGE for an admin', async () => {
      // Prepare
      const name = await newModel({
        versions: 1,
        extra: { description: 'd', tags: [{ key: 'k', value: 'v' }] },
      });
      const model = await modelOf(name);

      // Act
      const response = await api.getDatabricks(name);

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        registered_model_databricks: {
          ...model,
          id: expect.stringMatching(/^[0-9a-f]{32}$/),
          permission_level: 'CAN_MANAGE',
          stage_policy: {
            protected_stages: ['Production'],
            required_approvals: 1,
          },
        },
      });
    });

    it('keeps the id across a rename and gives each model its own', async () => {
      // Prepare
      const name = await newModel();
      const other = await newModel();
      const id = (await ok(api.getDatabricks(name))).registered_model_databricks
        .id;
      const newName = uniqueName('renamed');
      await ok(api.rename(name, newName));

      // Act
      const response = await api.getDatabricks(newName);

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.registered_model_databricks.id).toBe(id);
      expect(
        (await ok(api.getDatabricks(other))).registered_model_databricks.id
      ).not.toBe(id);
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown model', async () => {
      // Prepare
      const name = uniqueName('missing');

      // Act
      const response = await api.getDatabricks(name);

      // Assess
      expectError(
        response,
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Registered Model with name=${name} not found`
      );
    });
  });

  describe('registered-models/get', () => {
    it('omits latest_versions, tags and aliases when the model has none', async () => {
      // Prepare
      const name = await newModel();

      // Act
      const response = await api.get(name);

      // Assess
      expect(response.status).toBe(200);
      const model = response.body.registered_model;
      expect(Object.keys(model)).not.toContain('latest_versions');
      expect(Object.keys(model)).not.toContain('tags');
      expect(Object.keys(model)).not.toContain('aliases');
    });

    it('lists the highest version of each stage present, stages ordered by their lowest version', async () => {
      // Prepare: None {1, 4}, Production {2}, Staging {3}
      const name = await newModel({
        versions: 4,
        stages: { 2: 'Production', 3: 'Staging' },
      });

      // Act
      const response = await api.get(name);

      // Assess
      expect(response.status).toBe(200);
      expect(
        response.body.registered_model.latest_versions?.map((v) => [
          v.current_stage,
          v.version,
        ])
      ).toEqual([
        ['None', '4'],
        ['Production', '2'],
        ['Staging', '3'],
      ]);
    });

    it('reorders latest_versions when the lowest version changes stage', async () => {
      // Prepare: Archived {1}, Production {2}, Staging {3}, None {4}
      const name = await newModel({
        versions: 4,
        stages: { 1: 'Archived', 2: 'Production', 3: 'Staging' },
      });

      // Act
      const response = await api.get(name);

      // Assess
      const latest = response.body.registered_model.latest_versions ?? [];
      expect(latest.map((v) => [v.current_stage, v.version])).toEqual([
        ['Archived', '1'],
        ['Production', '2'],
        ['Staging', '3'],
        ['None', '4'],
      ]);
      for (const version of latest) {
        expect(version).toMatchObject({
          name,
          version: expect.any(String),
          status: 'READY',
          source: SOURCE,
        });
      }
    });
  });

  describe('latest_versions after version deletes', () => {
    it('falls back to the next lower version of the stage, and is omitted once no version is left', async () => {
      // Prepare
      const name = await newModel({ versions: 3, stages: { 1: 'Archived' } });

      // Act
      await ok(api.deleteVersion(name, '3'));
      const afterFirst = await modelOf(name);
      await ok(api.deleteVersion(name, '2'));
      await ok(api.deleteVersion(name, '1'));
      const afterAll = await modelOf(name);

      // Assess
      expect(
        afterFirst.latest_versions?.map((v) => [v.current_stage, v.version])
      ).toEqual([
        ['Archived', '1'],
        ['None', '2'],
      ]);
      expect(Object.keys(afterAll)).not.toContain('latest_versions');
      expect((await api.latest({ name })).body).toEqual({});
    });
  });

  describe('last_updated_timestamp', () => {
    it('is bumped by creating, transitioning and deleting a version', async () => {
      // Prepare
      const name = await newModel();

      // Act
      const created = (await ok(api.createVersion(name))).model_version;
      const afterCreate = await modelOf(name);
      const moved = (await ok(api.transition(name, '1', 'Staging')))
        .model_version;
      const afterTransition = await modelOf(name);
      await ok(api.createVersion(name));
      const beforeDelete = (await modelOf(name)).last_updated_timestamp;
      const marker = await serverNow();
      await ok(api.deleteVersion(name, '2'));
      const afterDelete = await modelOf(name);

      // Assess
      expect(afterCreate.last_updated_timestamp).toBe(
        created.creation_timestamp
      );
      expect(afterTransition.last_updated_timestamp).toBe(
        moved.last_updated_timestamp
      );
      expect(moved.last_updated_timestamp).toBeGreaterThanOrEqual(
        created.creation_timestamp
      );
      expect(afterDelete.last_updated_timestamp).toBeGreaterThanOrEqual(marker);
      expect(afterDelete.last_updated_timestamp).toBeGreaterThanOrEqual(
        beforeDelete
      );
      expect(afterDelete.creation_timestamp).toBe(
        afterCreate.creation_timestamp
      );
    });

    it('is not bumped by tag and alias operations', async () => {
      // Prepare
      const name = await newModel({ versions: 1 });
      const before = await modelOf(name);

      // Act
      await ok(api.setTag(name, 'k', 'v'));
      await ok(api.setAlias(name, 'champion', '1'));
      await ok(api.deleteAlias(name, 'champion'));
      await ok(api.deleteTag(name, 'k'));

      // Assess
      expect(await modelOf(name)).toEqual(before);
    });
  });

  describe('names in query strings', () => {
    it('finds a model whose name has spaces, +, /, &, = and non-ASCII in every GET', async () => {
      // Prepare
      const name = await newModel({ name: awkwardName(), versions: 1 });
      await ok(api.setAlias(name, 'champion', '1'));

      // Act
      const get = await api.get(name);
      const databricks = await api.getDatabricks(name);
      const latest = await call<LatestVersionsBody>(
        'GET',
        `${MODELS}/get-latest-versions`,
        { query: { name, stages: ['None'] } }
      );
      const byAlias = await api.getByAlias(name, 'champion');

      // Assess
      expect(get.status).toBe(200);
      expect(get.body.registered_model.name).toBe(name);
      expect(databricks.body.registered_model_databricks.name).toBe(name);
      expect(latest.body.model_versions?.map((v) => v.name)).toEqual([name]);
      expect(byAlias.body.model_version.name).toBe(name);
    });

    it('renames to and from such a name', async () => {
      // Prepare
      const name = await newModel({ name: awkwardName() });
      const newName = awkwardName();

      // Act
      const response = await api.rename(name, newName);

      // Assess
      expect(response.status).toBe(200);
      expect((await modelOf(newName)).name).toBe(newName);
      expect((await api.get(name)).status).toBe(404);
    });
  });

  describe('authentication', () => {
    it.each([
      ['PATCH', 'update'],
      ['POST', 'rename'],
      ['DELETE', 'delete'],
      ['GET', 'list'],
      ['POST', 'get-latest-versions'],
      ['POST', 'set-tag'],
      ['DELETE', 'delete-tag'],
      ['POST', 'alias'],
      ['DELETE', 'alias'],
      ['GET', 'alias'],
    ])(
      'answers %s %s without a token with 401 UNAUTHENTICATED and changes nothing',
      async (method, operation) => {
        // Prepare
        const name = await newModel({
          extra: { tags: [{ key: 'k', value: 'v' }] },
        });
        const before = await modelOf(name);

        // Act
        const response = await call(method, `${MODELS}/${operation}`, {
          token: null,
          ...(method === 'GET' || method === 'DELETE'
            ? { query: { name, alias: 'a', key: 'k' } }
            : {
                body: {
                  name,
                  new_name: `${name}-x`,
                  key: 'k',
                  value: 'v',
                  alias: 'a',
                  version: '1',
                },
              }),
        });

        // Assess
        expectError(response, 401, 'UNAUTHENTICATED');
        expect(await modelOf(name)).toEqual(before);
      }
    );
  });
});
