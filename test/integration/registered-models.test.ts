import { describe, expect, it } from 'vitest';
import { call, MLFLOW, uniqueName } from '../support/api.ts';

interface ModelJson {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  description: string;
  tags?: { key: string; value: string }[];
}

interface SearchPage {
  registered_models?: ModelJson[];
  next_page_token?: string;
}

const create = (body: unknown) =>
  call<{ registered_model: ModelJson }>(
    'POST',
    `${MLFLOW}/registered-models/create`,
    { body }
  );

const get = (name: string) =>
  call<{ registered_model: ModelJson }>(
    'GET',
    `${MLFLOW}/registered-models/get`,
    {
      query: { name },
    }
  );

describe('Registered models', () => {
  describe('registered-models/create', () => {
    it('creates a model and returns it in the MLflow shape', async () => {
      // Prepare
      const name = uniqueName();
      const before = Date.now();

      // Act
      const response = await create({
        name,
        description: 'first',
        tags: [{ key: 'team', value: 'a' }],
      });

      // Assess
      expect(response.status).toBe(200);
      const model = response.body.registered_model;
      expect(model).toEqual({
        name,
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: model.creation_timestamp,
        user_id: expect.any(String),
        description: 'first',
        tags: [{ key: 'team', value: 'a' }],
      });
      expect(model.creation_timestamp).toBeGreaterThanOrEqual(before - 5000);
    });

    it('returns what get returns afterwards', async () => {
      // Prepare
      const name = uniqueName();
      const created = await create({ name });

      // Act
      const fetched = await get(name);

      // Assess
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(created.body);
      expect(fetched.body.registered_model.tags).toBeUndefined();
    });

    it('keeps names with spaces, plus signs and non-ASCII characters intact', async () => {
      // Prepare
      const name = `${uniqueName()} a+b/é&x=1`;

      // Act
      const created = await create({ name });
      const fetched = await get(name);

      // Assess
      expect(created.status).toBe(200);
      expect(fetched.body.registered_model.name).toBe(name);
    });

    it('refuses a duplicate name with RESOURCE_ALREADY_EXISTS (400, as MLflow)', async () => {
      // Prepare
      const name = uniqueName();
      await create({ name });

      // Act
      const duplicate = await create({ name, description: 'second' });

      // Assess
      expect(duplicate.status).toBe(400);
      expect(duplicate.body as unknown).toEqual({
        error_code: 'RESOURCE_ALREADY_EXISTS',
        message: `Registered Model (name=${name}) already exists.`,
      });
      expect((await get(name)).body.registered_model.description).toBe('');
    });

    it('creates exactly one model when the same name is created concurrently', async () => {
      // Prepare
      const name = uniqueName('race');

      // Act
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => create({ name }))
      );

      // Assess
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 400)).toHaveLength(9);
    });

    it.each([
      ['a missing name', {}, "Missing value for required parameter 'name'"],
      ['an empty name', { name: '' }, 'cannot be empty'],
      ['a number as name', { name: 42 }, "parameter 'name'"],
      ['tags that are not a list', { name: 'x', tags: 'a=b' }, "'tags'"],
      [
        'a tag without key',
        { name: 'x', tags: [{ value: 'v' }] },
        'tags.0.key',
      ],
      [
        'a tag key over 250 characters',
        { name: 'x', tags: [{ key: 'k'.repeat(251), value: 'v' }] },
        'length limit of 250',
      ],
      [
        'a tag value over 5000 characters',
        { name: 'x', tags: [{ key: 'k', value: 'v'.repeat(5001) }] },
        'length limit of 5000',
      ],
      [
        'a tag key with ..',
        { name: 'x', tags: [{ key: 'a/../b', value: 'v' }] },
        'must not resolve',
      ],
      [
        'a name over 256 characters',
        { name: 'n'.repeat(257) },
        'length limit of 256',
      ],
    ])(
      'refuses %s with 400 INVALID_PARAMETER_VALUE',
      async (_case, body, message) => {
        // Act
        const response = await call(
          'POST',
          `${MLFLOW}/registered-models/create`,
          {
            body,
          }
        );

        // Assess
        expect(response.status).toBe(400);
        expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        expect(String(response.body.message)).toContain(message);
      }
    );

    it('refuses invalid input without writing anything', async () => {
      // Prepare
      const name = uniqueName('invalid');

      // Act
      const response = await create({
        name,
        tags: [{ key: 'k'.repeat(251), value: 'v' }],
      });

      // Assess
      expect(response.status).toBe(400);
      expect((await get(name)).status).toBe(404);
    });

    it('refuses a body that is not JSON', async () => {
      // Act
      const response = await call(
        'POST',
        `${MLFLOW}/registered-models/create`,
        {
          rawBody: '{"name": ',
        }
      );

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('refuses a POST that does not declare JSON, as MLflow does', async () => {
      // Act
      const response = await call(
        'POST',
        `${MLFLOW}/registered-models/create`,
        {
          rawBody: 'name=x',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }
      );

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });
  });

  describe('registered-models/get', () => {
    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown name', async () => {
      // Prepare
      const name = uniqueName('missing');

      // Act
      const response = await get(name);

      // Assess
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: `Registered Model with name=${name} not found`,
      });
    });

    it('answers 400 when the name is missing', async () => {
      // Act
      const response = await call('GET', `${MLFLOW}/registered-models/get`);

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });
  });

  describe('registered-models/search', () => {
    it('pages through every model in name order, with no empty or repeated page', async () => {
      // Prepare
      const prefix = uniqueName('page');
      const names = Array.from({ length: 7 }, (_, i) => `${prefix}-${i}`);
      for (const name of names) await create({ name });

      // Act
      const seen: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const response = await call<SearchPage>(
          'GET',
          `${MLFLOW}/registered-models/search`,
          {
            query: {
              max_results: 3,
              ...(pageToken ? { page_token: pageToken } : {}),
            },
          }
        );
        expect(response.status).toBe(200);
        const page = response.body.registered_models ?? [];
        if (response.body.next_page_token) {
          expect(page).toHaveLength(3);
        }
        seen.push(...page.map((m) => m.name));
        pageToken = response.body.next_page_token;
        pages += 1;
      } while (pageToken);

      // Assess
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual(seen);
      expect(seen.filter((n) => n.startsWith(prefix))).toEqual(names);
    });

    it('defaults to 100 results and refuses more than 1000', async () => {
      // Act
      const tooMany = await call('GET', `${MLFLOW}/registered-models/search`, {
        query: { max_results: 1001 },
      });
      const zero = await call('GET', `${MLFLOW}/registered-models/search`, {
        query: { max_results: 0 },
      });
      const notANumber = await call(
        'GET',
        `${MLFLOW}/registered-models/search`,
        {
          query: { max_results: 'ten' },
        }
      );

      // Assess
      for (const response of [tooMany, zero, notANumber]) {
        expect(response.status).toBe(400);
        expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      }
    });

    it('refuses a page token it did not issue', async () => {
      // Act
      const response = await call('GET', `${MLFLOW}/registered-models/search`, {
        query: { page_token: 'not-a-token!' },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'Invalid page token, could not base64-decode',
      });
    });
  });
});
