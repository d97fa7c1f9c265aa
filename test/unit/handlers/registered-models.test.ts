import { describe, expect, it } from 'vitest';
import { authorizerContextFor } from '#http/auth-context.ts';
import { registeredModelsRoot } from '#roots/api/registered-models.ts';
import { createTestContext, createTestEvent } from '#test/support/events.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';
import { alice, bob, identitiesWith } from './fixtures.ts';

const MLFLOW = '/api/2.0/mlflow';
const NOW = 1_700_000_000_000;

async function setup() {
  let nextId = 0;
  const handler = registeredModelsRoot.build({
    store: new MemoryModelRegistryStore(),
    identities: await identitiesWith(alice, bob),
    now: () => NOW,
    newId: () => (nextId++).toString(16).padStart(32, '0'),
  });
  const call = async (options: Parameters<typeof createTestEvent>[0]) => {
    const response = await handler(
      createTestEvent(options),
      createTestContext()
    );
    return {
      status: response.statusCode,
      body: JSON.parse(response.body ?? '') as Record<string, unknown>,
    };
  };
  return {
    create: (body: unknown) =>
      call({
        method: 'POST',
        path: `${MLFLOW}/registered-models/create`,
        body: JSON.stringify(body),
      }),
    get: (rawQueryString: string) =>
      call({
        method: 'GET',
        path: `${MLFLOW}/registered-models/get`,
        rawQueryString,
      }),
    search: (rawQueryString = '', authorizer = authorizerContextFor(alice)) =>
      call({
        method: 'GET',
        path: `${MLFLOW}/registered-models/search`,
        rawQueryString,
        authorizer,
      }),
  };
}

describe('registered-models handler', () => {
  describe('POST /registered-models/create', () => {
    it('answers the created model, leaving out empty tags', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.create({ name: 'fraud-detector' });

      // Assess
      expect(response).toStrictEqual({
        status: 200,
        body: {
          registered_model: {
            name: 'fraud-detector',
            creation_timestamp: NOW,
            last_updated_timestamp: NOW,
            user_id: 'alice@example.com',
            description: '',
          },
        },
      });
    });

    it('answers tags in key order and description, null tag values as ""', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.create({
        name: 'm',
        description: 'Scores payments',
        tags: [
          { key: 'team', value: 'risk' },
          { key: 'flag', value: null },
        ],
      });

      // Assess
      expect(response.body.registered_model).toMatchObject({
        description: 'Scores payments',
        tags: [
          { key: 'flag', value: '' },
          { key: 'team', value: 'risk' },
        ],
      });
    });

    it('answers 400 RESOURCE_ALREADY_EXISTS for a taken name', async () => {
      // Prepare
      const api = await setup();
      await api.create({ name: 'm' });

      // Act
      const response = await api.create({ name: 'm' });

      // Assess
      expect(response).toStrictEqual({
        status: 400,
        body: {
          error_code: 'RESOURCE_ALREADY_EXISTS',
          message: 'Registered Model (name=m) already exists.',
        },
      });
    });

    it('answers 400 for tags that are not a list', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.create({ name: 'm', tags: 'team=risk' });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body).toStrictEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          'Invalid value "team=risk" for parameter \'tags\' supplied. See the API docs at /api/openapi.json for more information about request parameters.',
      });
    });

    it('answers 400 for a domain rule, such as a name too long', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.create({ name: 'm'.repeat(257) });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        error_code: 'INVALID_PARAMETER_VALUE',
      });
    });
  });

  describe('GET /registered-models/get', () => {
    it('answers the model named in the query string', async () => {
      // Prepare
      const api = await setup();
      const created = await api.create({
        name: 'my model é',
        tags: [{ key: 'k', value: 'v' }],
      });

      // Act
      const response = await api.get('name=my+model+%C3%A9');

      // Assess
      expect(response).toStrictEqual({ status: 200, body: created.body });
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown name', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.get('name=missing');

      // Assess
      expect(response).toStrictEqual({
        status: 404,
        body: {
          error_code: 'RESOURCE_DOES_NOT_EXIST',
          message: 'Registered Model with name=missing not found',
        },
      });
    });

    it('answers 400 when the name is missing', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.get('');

      // Assess
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining("required parameter 'name'"),
      });
    });
  });

  describe('GET /registered-models/search', () => {
    it('answers {} when there are no models', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.search();

      // Assess
      expect(response).toStrictEqual({ status: 200, body: {} });
    });

    it('pages with max_results from the query string and next_page_token', async () => {
      // Prepare
      const api = await setup();
      for (const name of ['c', 'a', 'b']) await api.create({ name });

      // Act
      const first = await api.search('max_results=2');
      const second = await api.search(
        `max_results=2&page_token=${first.body.next_page_token}`
      );

      // Assess
      const names = (body: Record<string, unknown>) =>
        (body.registered_models as { name: string }[]).map((m) => m.name);
      expect(names(first.body)).toStrictEqual(['a', 'b']);
      expect(first.body.next_page_token).toEqual(expect.any(String));
      expect(names(second.body)).toStrictEqual(['c']);
      expect(second.body).not.toHaveProperty('next_page_token');
    });

    it('lists only the models the caller can read', async () => {
      // Prepare
      const api = await setup();
      await api.create({ name: 'alices-model' });

      // Act
      const asAlice = await api.search();
      const asBob = await api.search('', authorizerContextFor(bob));

      // Assess
      expect(asAlice.body.registered_models).toHaveLength(1);
      expect(asBob).toStrictEqual({ status: 200, body: {} });
    });

    it.each([
      ['max_results=ten', 'Invalid value "ten" for parameter \'max_results\''],
      ['max_results=1001', 'It must be at most 1000'],
      ['page_token=garbage', 'Invalid page token, could not base64-decode'],
    ])('answers 400 for %s', async (query, message) => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.search(query);

      // Assess
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining(message),
      });
    });
  });
});
