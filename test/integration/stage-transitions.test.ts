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
  tags?: { key: string; value: string }[];
  run_link: string;
  aliases?: string[];
}

interface ActivityJson {
  id: string;
  activity_type: string;
  from_stage?: string;
  to_stage?: string;
  user_id: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  comment?: string;
  system_comment?: string;
}

const S3 = 's3://bucket/path/model';
const ACTIVITY_ID = /^[0-9a-f]{32}$/;

async function createModel(prefix = 'stage'): Promise<string> {
  const name = uniqueName(prefix);
  const response = await call('POST', `${MLFLOW}/registered-models/create`, {
    body: { name },
  });
  expect(response.status).toBe(200);
  return name;
}

/** Creates versions 1..count of `name`, one after the other. */
async function createVersions(name: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await call('POST', `${MLFLOW}/model-versions/create`, {
      body: { name, source: `${S3}-${i + 1}` },
    });
    expect(response.status).toBe(200);
  }
}

const transition = (body: Record<string, unknown>) =>
  call<{ model_version: VersionJson }>(
    'POST',
    `${MLFLOW}/model-versions/transition-stage`,
    { body }
  );

const transitionDatabricks = (body: Record<string, unknown>) =>
  call<{
    model_version_databricks: VersionJson & { permission_level: string };
  }>('POST', `${MLFLOW}/databricks/model-versions/transition-stage`, { body });

/** Moves a version, asserting success. */
async function moveTo(
  name: string,
  version: string,
  stage: string,
  archive = false
): Promise<VersionJson> {
  const response = await transition({
    name,
    version,
    stage,
    archive_existing_versions: archive,
  });
  expect(response.status).toBe(200);
  return response.body.model_version;
}

const getVersion = (name: string, version: string) =>
  call<{ model_version: VersionJson }>('GET', `${MLFLOW}/model-versions/get`, {
    query: { name, version },
  });

async function activities(
  name: string,
  version: string
): Promise<ActivityJson[]> {
  const response = await call<{ activities?: ActivityJson[] }>(
    'GET',
    '/api/2.0/stagegate/activities/list',
    { query: { name, version } }
  );
  expect(response.status).toBe(200);
  return response.body.activities ?? [];
}

/** Stage of every version of a model, by version number. */
async function stagesOf(name: string): Promise<Record<string, string>> {
  const response = await call<{
    model_versions?: VersionJson[];
    next_page_token?: string;
  }>('GET', `${MLFLOW}/model-versions/search`, {
    query: { filter: `name='${name}'` },
  });
  expect(response.status).toBe(200);
  expect(response.body.next_page_token).toBeUndefined();
  return Object.fromEntries(
    (response.body.model_versions ?? []).map((v) => [
      v.version,
      v.current_stage,
    ])
  );
}

/** Runs `task` over `items` with at most `limit` calls in flight. */
async function pool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

describe('Stage transitions', () => {
  describe('model-versions/transition-stage', () => {
    it('moves a version and returns it with its new stage', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);
      const before = (await getVersion(name, '1')).body.model_version;

      // Act
      const response = await transition({
        name,
        version: '1',
        stage: 'Staging',
        archive_existing_versions: false,
      });

      // Assess
      expect(response.status).toBe(200);
      const moved = response.body.model_version;
      expect(moved).toEqual({
        ...before,
        current_stage: 'Staging',
        last_updated_timestamp: expect.any(Number),
      });
      expect(moved.last_updated_timestamp).toBeGreaterThan(
        before.last_updated_timestamp
      );
      expect((await getVersion(name, '1')).body).toEqual(response.body);
    });

    it('bumps the model last_updated_timestamp', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);
      const model = async () =>
        (
          await call<{ registered_model: { last_updated_timestamp: number } }>(
            'GET',
            `${MLFLOW}/registered-models/get`,
            { query: { name } }
          )
        ).body.registered_model.last_updated_timestamp;
      const before = await model();

      // Act
      const moved = await moveTo(name, '1', 'Production');

      // Assess
      const after = await model();
      expect(after).toBeGreaterThan(before);
      expect(after).toBe(moved.last_updated_timestamp);
    });

    it('defaults archive_existing_versions to false', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 2);
      await moveTo(name, '1', 'Production');

      // Act
      const response = await transition({
        name,
        version: '2',
        stage: 'Production',
      });

      // Assess
      expect(response.status).toBe(200);
      expect(await stagesOf(name)).toEqual({
        '1': 'Production',
        '2': 'Production',
      });
    });

    it.each([
      ['production', 'Production'],
      ['STAGING', 'Staging'],
      ['archived', 'Archived'],
      ['none', 'None'],
      ['pRoDuCtIoN', 'Production'],
    ])(
      'reads stage %s case-insensitively and answers %s',
      async (input, canonical) => {
        // Prepare
        const name = await createModel();
        await createVersions(name, 1);

        // Act
        const moved = await moveTo(name, '1', input);

        // Assess
        expect(moved.current_stage).toBe(canonical);
        expect(
          (await getVersion(name, '1')).body.model_version.current_stage
        ).toBe(canonical);
      }
    );

    it('refuses an unknown stage with 400 and MLflow message', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);

      // Act
      const response = await transition({
        name,
        version: '1',
        stage: 'Bogus',
        archive_existing_versions: false,
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body as unknown).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          'Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived.',
      });
      expect(
        (await getVersion(name, '1')).body.model_version.current_stage
      ).toBe('None');
    });

    it.each(['None', 'Archived'])(
      'refuses archive_existing_versions with target %s with 400',
      async (stage) => {
        // Prepare
        const name = await createModel();
        await createVersions(name, 2);
        await moveTo(name, '1', 'Production');
        await moveTo(name, '2', 'Production');

        // Act
        const response = await transition({
          name,
          version: '2',
          stage,
          archive_existing_versions: true,
        });

        // Assess
        expect(response.status).toBe(400);
        expect(response.body as unknown).toEqual({
          error_code: 'INVALID_PARAMETER_VALUE',
          message: expect.any(String),
        });
        expect(await stagesOf(name)).toEqual({
          '1': 'Production',
          '2': 'Production',
        });
      }
    );

    it.each([
      ['name', { version: '1', stage: 'Staging' }],
      ['version', { name: 'x', stage: 'Staging' }],
      ['stage', { name: 'x', version: '1' }],
    ])('refuses a request without %s with 400', async (field, body) => {
      // Act
      const response = await transition(body);

      // Assess
      expect(response.status).toBe(400);
      expect(response.body as unknown).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining(
          `Missing value for required parameter '${field}'`
        ),
      });
    });

    it('answers 400 for a version that is not an integer', async () => {
      // Prepare
      const name = await createModel();

      // Act
      const response = await transition({
        name,
        version: 'abc',
        stage: 'Staging',
      });

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
      await createVersions(name, 1);

      // Act
      const response = await transition({
        name,
        version: '2',
        stage: 'Staging',
        archive_existing_versions: true,
      });

      // Assess
      expect(response.status).toBe(404);
      expect(response.body as unknown).toEqual({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: `Model Version (name=${name}, version=2) not found`,
      });
    });

    it('archives every other version of the target stage, and only those', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 5);
      await moveTo(name, '1', 'Production');
      await moveTo(name, '2', 'Production');
      await moveTo(name, '3', 'Staging');
      const before = (await getVersion(name, '1')).body.model_version;

      // Act
      const moved = await moveTo(name, '5', 'Production', true);

      // Assess
      expect(moved.current_stage).toBe('Production');
      expect(await stagesOf(name)).toEqual({
        '1': 'Archived',
        '2': 'Archived',
        '3': 'Staging',
        '4': 'None',
        '5': 'Production',
      });
      const archived = (await getVersion(name, '1')).body.model_version;
      expect(archived.last_updated_timestamp).toBeGreaterThan(
        before.last_updated_timestamp
      );
    });

    it('keeps the version itself in the stage when it is already there', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 2);
      await moveTo(name, '1', 'Staging');
      await moveTo(name, '2', 'Staging');

      // Act
      const moved = await moveTo(name, '2', 'Staging', true);

      // Assess
      expect(moved.current_stage).toBe('Staging');
      expect(await stagesOf(name)).toEqual({ '1': 'Archived', '2': 'Staging' });
    });

    it('makes get-latest-versions name the new Production version', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 3);
      await moveTo(name, '3', 'Production');

      // Act
      await moveTo(name, '2', 'Production', true);

      // Assess
      const latest = await call<{ model_versions?: VersionJson[] }>(
        'POST',
        `${MLFLOW}/registered-models/get-latest-versions`,
        { body: { name, stages: ['Production'] } }
      );
      expect(latest.status).toBe(200);
      expect(
        latest.body.model_versions?.map((v) => [v.version, v.current_stage])
      ).toEqual([['2', 'Production']]);
    });
  });

  describe('activities', () => {
    it('records an APPLIED_TRANSITION per transition, oldest first', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);
      const before = Date.now();

      // Act
      await moveTo(name, '1', 'Staging');
      await moveTo(name, '1', 'production');

      // Assess
      const feed = await activities(name, '1');
      expect(feed).toEqual([
        {
          id: expect.stringMatching(ACTIVITY_ID),
          activity_type: 'APPLIED_TRANSITION',
          from_stage: 'None',
          to_stage: 'Staging',
          user_id: expect.any(String),
          creation_timestamp: expect.any(Number),
          last_updated_timestamp: expect.any(Number),
        },
        {
          id: expect.stringMatching(ACTIVITY_ID),
          activity_type: 'APPLIED_TRANSITION',
          from_stage: 'Staging',
          to_stage: 'Production',
          user_id: expect.any(String),
          creation_timestamp: expect.any(Number),
          last_updated_timestamp: expect.any(Number),
          // The admin moved it into a protected stage directly.
          system_comment: expect.stringContaining(
            'Protected-stage policy bypassed'
          ),
        },
      ]);
      const [first, second] = feed;
      expect(first?.id).not.toBe(second?.id);
      expect(first?.user_id).not.toBe('');
      // Epoch milliseconds, not seconds.
      expect(first?.creation_timestamp).toBeGreaterThanOrEqual(before - 5000);
      expect(second?.creation_timestamp).toBeLessThanOrEqual(Date.now() + 5000);
      expect(second?.creation_timestamp).toBeGreaterThanOrEqual(
        first?.creation_timestamp ?? Number.POSITIVE_INFINITY
      );
    });

    it('records a SYSTEM_TRANSITION with a system comment on each archived version', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 3);
      await moveTo(name, '1', 'Production');
      await moveTo(name, '2', 'Production');

      const before = Date.now();

      // Act
      const moved = await moveTo(name, '3', 'Production', true);

      // Assess
      for (const version of ['1', '2']) {
        const feed = await activities(name, version);
        expect(feed.map((a) => a.activity_type)).toEqual([
          'APPLIED_TRANSITION',
          'SYSTEM_TRANSITION',
        ]);
        expect(feed[1]).toEqual({
          id: expect.stringMatching(ACTIVITY_ID),
          activity_type: 'SYSTEM_TRANSITION',
          from_stage: 'Production',
          to_stage: 'Archived',
          user_id: expect.any(String),
          creation_timestamp: expect.any(Number),
          last_updated_timestamp: expect.any(Number),
          system_comment: expect.stringMatching(/\S/),
        });
        expect(feed[1]?.creation_timestamp).toBeGreaterThanOrEqual(
          before - 5000
        );
        expect(feed[1]?.creation_timestamp).toBeLessThanOrEqual(
          moved.last_updated_timestamp
        );
      }
      const own = await activities(name, '3');
      expect(own).toEqual([
        expect.objectContaining({
          activity_type: 'APPLIED_TRANSITION',
          from_stage: 'None',
          to_stage: 'Production',
        }),
      ]);
    });

    it('records nothing for a refused transition', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);

      // Act
      const response = await transition({
        name,
        version: '1',
        stage: 'Archived',
        archive_existing_versions: true,
      });

      // Assess
      expect(response.status).toBe(400);
      expect(await activities(name, '1')).toEqual([]);
    });

    it('answers 404 for a version that does not exist', async () => {
      // Prepare
      const name = await createModel();

      // Act
      const response = await call('GET', '/api/2.0/stagegate/activities/list', {
        query: { name, version: '1' },
      });

      // Assess
      expect(response.status).toBe(404);
      expect(response.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('databricks/model-versions/transition-stage', () => {
    it('answers model_version_databricks with the caller permission level', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);
      const before = (await getVersion(name, '1')).body.model_version;

      // Act
      const response = await transitionDatabricks({
        name,
        version: '1',
        stage: 'staging',
        archive_existing_versions: false,
        comment: 'ready for QA',
      });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        model_version_databricks: {
          ...before,
          current_stage: 'Staging',
          last_updated_timestamp: expect.any(Number),
          permission_level: 'CAN_MANAGE',
        },
      });
    });

    it('keeps the comment on the APPLIED_TRANSITION activity', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);

      // Act
      await transitionDatabricks({
        name,
        version: '1',
        stage: 'Production',
        archive_existing_versions: false,
        comment: 'approved by the board',
      });

      // Assess
      expect(await activities(name, '1')).toEqual([
        expect.objectContaining({
          activity_type: 'APPLIED_TRANSITION',
          from_stage: 'None',
          to_stage: 'Production',
          comment: 'approved by the board',
        }),
      ]);
    });

    it('archives the other versions of the stage when asked', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 3);
      await moveTo(name, '1', 'Staging');
      await moveTo(name, '2', 'Staging');

      // Act
      const response = await transitionDatabricks({
        name,
        version: '3',
        stage: 'Staging',
        archive_existing_versions: true,
      });

      // Assess
      expect(response.status).toBe(200);
      expect(await stagesOf(name)).toEqual({
        '1': 'Archived',
        '2': 'Archived',
        '3': 'Staging',
      });
      expect((await activities(name, '1')).at(-1)).toMatchObject({
        activity_type: 'SYSTEM_TRANSITION',
        from_stage: 'Staging',
        to_stage: 'Archived',
      });
    });

    it('refuses a request without archive_existing_versions with 400', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);

      // Act
      const response = await transitionDatabricks({
        name,
        version: '1',
        stage: 'Staging',
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body as unknown).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining(
          "Missing value for required parameter 'archive_existing_versions'"
        ),
      });
      expect(
        (await getVersion(name, '1')).body.model_version.current_stage
      ).toBe('None');
    });

    it('refuses archive_existing_versions with target None with 400', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);
      await moveTo(name, '1', 'Staging');

      // Act
      const response = await transitionDatabricks({
        name,
        version: '1',
        stage: 'None',
        archive_existing_versions: true,
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body as unknown).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.any(String),
      });
      expect(
        (await getVersion(name, '1')).body.model_version.current_stage
      ).toBe('Staging');
    });

    it('refuses an unknown stage with 400', async () => {
      // Prepare
      const name = await createModel();
      await createVersions(name, 1);

      // Act
      const response = await transitionDatabricks({
        name,
        version: '1',
        stage: 'Bogus',
        archive_existing_versions: false,
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body as unknown).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          'Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived.',
      });
    });
  });

  describe('archival of many versions', () => {
    it('archives 100 Production versions when a new one is promoted', async () => {
      // Prepare
      const name = await createModel('archive-100');
      const numbers = Array.from({ length: 100 }, (_, i) => String(i + 1));
      await createVersions(name, 100);
      // Every transition of one model commits against the model's revision,
      // so more calls in flight mostly buy optimistic retries.
      await pool(numbers, 3, (version) => moveTo(name, version, 'Production'));
      expect(
        Object.values(await stagesOf(name)).filter((s) => s === 'Production')
      ).toHaveLength(100);
      const created = await call<{ model_version: VersionJson }>(
        'POST',
        `${MLFLOW}/model-versions/create`,
        { body: { name, source: S3 } }
      );
      const promoted = created.body.model_version.version;
      expect(promoted).toBe('101');

      // Act
      const response = await transition({
        name,
        version: promoted,
        stage: 'Production',
        archive_existing_versions: true,
      });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.model_version.current_stage).toBe('Production');
      const stages = await stagesOf(name);
      expect(Object.keys(stages)).toHaveLength(101);
      expect(
        Object.entries(stages).filter(([, stage]) => stage === 'Production')
      ).toEqual([[promoted, 'Production']]);
      expect(
        Object.entries(stages).filter(([, stage]) => stage === 'Archived')
      ).toHaveLength(100);
      const feeds = await pool(numbers, 10, (version) =>
        activities(name, version)
      );
      for (const feed of feeds) {
        expect(
          feed.filter((a) => a.activity_type === 'SYSTEM_TRANSITION')
        ).toEqual([
          expect.objectContaining({
            from_stage: 'Production',
            to_stage: 'Archived',
            system_comment: expect.stringMatching(/\S/),
          }),
        ]);
      }
      const latest = await call<{ model_versions?: VersionJson[] }>(
        'POST',
        `${MLFLOW}/registered-models/get-latest-versions`,
        { body: { name, stages: ['Production'] } }
      );
      expect(latest.body.model_versions?.map((v) => v.version)).toEqual([
        promoted,
      ]);
      expect(await activities(name, promoted)).toEqual([
        expect.objectContaining({
          activity_type: 'APPLIED_TRANSITION',
          from_stage: 'None',
          to_stage: 'Production',
        }),
      ]);
    });
  });
});
