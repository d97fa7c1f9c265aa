import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { createTokenOperation } from '#handlers/api/tokens/create.ts';
import { listTokensOperation } from '#handlers/api/tokens/list.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler, defineOperation } from '#http/api-handler.ts';
import {
  authorizerContextFor,
  unauthenticatedContext,
} from '#http/auth-context.ts';
import type { IdentityStore } from '#ports/identity-store.ts';
import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import { registeredModelsRoot } from '#roots/api/registered-models.ts';
import { logger } from '#shared/powertools.ts';
import { createTestContext, createTestEvent } from '#test/support/events.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';
import { alice, bob, identitiesWith } from './fixtures.ts';

const MLFLOW = '/api/2.0/mlflow';
const NOW = 1_700_000_000_000;

function registryDeps(
  store: ModelRegistryStore = new MemoryModelRegistryStore()
): RegistryDependencies {
  return { store, now: () => NOW, newId: () => 'f'.repeat(32) };
}

/** The real `registered-models` group, built from its root with fakes. */
async function registeredModelsHandler(
  options: { store?: ModelRegistryStore; identities?: IdentityStore } = {}
) {
  return registeredModelsRoot.build({
    ...registryDeps(options.store),
    identities: options.identities ?? (await identitiesWith(alice, bob)),
  });
}

/**
 * A store whose backend is down: every call fails with a driver error that
 * names internals the API must not reveal.
 */
function unreachableStore(): ModelRegistryStore {
  return new Proxy(new MemoryModelRegistryStore(), {
    get: () => async () => {
      throw new Error(
        'connect ECONNREFUSED 10.0.0.7:8000 (table stagegate-prod)'
      );
    },
  });
}

function bodyOf(response: { body?: string }): unknown {
  return JSON.parse(response.body ?? '');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createApiHandler', () => {
  describe('construction', () => {
    it('refuses a group whose route has no operation', async () => {
      // Prepare
      const identities = await identitiesWith(alice);

      // Act & Assess
      expect(() =>
        createApiHandler({
          group: 'tokens',
          deps: { identities, now: () => NOW },
          guard: createRouteGuard({ identities }),
          operations: [createTokenOperation, listTokensOperation],
        })
      ).toThrow('No operation deleteToken for POST /api/2.0/token/delete');
    });

    it('refuses an operation that no route of the group serves', async () => {
      // Prepare
      const identities = await identitiesWith(alice);
      const orphan = defineOperation<
        Record<string, never>,
        Record<string, never>,
        RegistryDependencies
      >({
        operation: 'archiveRegisteredModel',
        summary: 'Archive a registered model',
        input: z.object({}),
        output: z.object({}),
        run: async () => ({}),
      });

      // Act & Assess
      expect(() =>
        createApiHandler({
          group: 'registered-models',
          deps: registryDeps(),
          guard: createRouteGuard({ identities }),
          operations: [...registeredModelsRoot.operations, orphan],
        })
      ).toThrow('Operations without a route: archiveRegisteredModel');
    });

    it('builds a handler when routes and operations agree', async () => {
      // Act
      const handler = await registeredModelsHandler();

      // Assess
      expect(typeof handler).toBe('function');
    });
  });

  describe('answers held to the output schema (STAGEGATE_CHECK_RESPONSES)', () => {
    async function tokensAnswering(answer: unknown) {
      const identities = await identitiesWith(alice);
      const operation = (name: string) =>
        defineOperation({
          operation: name,
          summary: name,
          input: z.object({}),
          output: z.object({ token_infos: z.array(z.string()) }),
          run: async () => answer as { token_infos: string[] },
        });
      const handler = createApiHandler({
        group: 'tokens',
        deps: {},
        guard: createRouteGuard({ identities }),
        operations: ['createToken', 'listTokens', 'deleteToken'].map(operation),
      });
      return handler(
        createTestEvent({
          method: 'GET',
          path: '/api/2.0/token/list',
          authorizer: authorizerContextFor(alice),
        }),
        createTestContext()
      );
    }

    it('sends an answer that fits', async () => {
      // Act
      const response = await tokensAnswering({ token_infos: ['a'] });

      // Assess
      expect(response.statusCode).toBe(200);
    });

    it.each([
      ['a field of the wrong type', { token_infos: 'a' }],
      ['a field the schema does not name', { token_infos: [], secret: 'x' }],
    ])('fails as a 500 on %s', async (_case, answer) => {
      // Prepare
      vi.spyOn(logger, 'error').mockImplementation(() => undefined);

      // Act
      const response = await tokensAnswering(answer);

      // Assess
      expect(response.statusCode).toBe(500);
      expect(bodyOf(response)).toEqual({
        error_code: 'INTERNAL_ERROR',
        message: expect.not.stringContaining('secret'),
      });
    });
  });

  describe('dispatch', () => {
    it('runs the operation of the event routeKey', async () => {
      // Prepare
      const handler = await registeredModelsHandler();
      await handler(
        createTestEvent({
          method: 'POST',
          path: `${MLFLOW}/registered-models/create`,
          body: JSON.stringify({ name: 'fraud-detector' }),
        }),
        createTestContext()
      );

      // Act
      const response = await handler(
        createTestEvent({
          method: 'GET',
          path: `${MLFLOW}/registered-models/get`,
          rawQueryString: 'name=fraud-detector',
        }),
        createTestContext()
      );

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers).toStrictEqual({
        'content-type': 'application/json',
      });
      expect(bodyOf(response)).toMatchObject({
        registered_model: { name: 'fraud-detector' },
      });
    });

    it('dispatches on routeKey, not on the raw path', async () => {
      // Prepare
      const handler = await registeredModelsHandler();

      // Act
      const response = await handler(
        createTestEvent({
          method: 'GET',
          path: '/some/proxy/prefix/search',
          routeKey: `GET ${MLFLOW}/registered-models/search`,
        }),
        createTestContext()
      );

      // Assess
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toStrictEqual({});
    });

    it.each([
      ['a route of another group', 'GET', '/api/2.0/token/list'],
      ['no route at all', 'DELETE', `${MLFLOW}/experiments/delete`],
    ])(
      'answers 404 ENDPOINT_NOT_FOUND for %s',
      async (_label, method, path) => {
        // Prepare
        const handler = await registeredModelsHandler();

        // Act
        const response = await handler(
          createTestEvent({ method, path }),
          createTestContext()
        );

        // Assess
        expect(response.statusCode).toBe(404);
        expect(bodyOf(response)).toStrictEqual({
          error_code: 'ENDPOINT_NOT_FOUND',
          message: `No API endpoint for ${method} ${path}`,
        });
      }
    );
  });

  describe('authentication', () => {
    it("answers 401 with the authorizer's reason when it set authError", async () => {
      // Prepare
      const store = new MemoryModelRegistryStore();
      const handler = await registeredModelsHandler({ store });

      // Act
      const response = await handler(
        createTestEvent({
          method: 'POST',
          path: `${MLFLOW}/registered-models/create`,
          body: JSON.stringify({ name: 'm' }),
          authorizer: unauthenticatedContext('Invalid access token.'),
        }),
        createTestContext()
      );

      // Assess
      expect(response.statusCode).toBe(401);
      expect(bodyOf(response)).toStrictEqual({
        error_code: 'UNAUTHENTICATED',
        message: 'Invalid access token.',
      });
      expect(await store.getModelRecordByName('m')).toBeUndefined();
    });

    it('answers 401 when the event carries no authorizer context', async () => {
      // Prepare
      const handler = await registeredModelsHandler();

      // Act
      const response = await handler(
        createTestEvent({
          path: `${MLFLOW}/registered-models/search`,
          authorizer: null,
        }),
        createTestContext()
      );

      // Assess
      expect(response.statusCode).toBe(401);
      expect(bodyOf(response)).toMatchObject({ error_code: 'UNAUTHENTICATED' });
    });

    it('answers 401 when the principal no longer exists', async () => {
      // Prepare
      const handler = await registeredModelsHandler({
        identities: await identitiesWith(bob),
      });

      // Act
      const response = await handler(
        createTestEvent({ path: `${MLFLOW}/registered-models/search` }),
        createTestContext()
      );

      // Assess
      expect(response.statusCode).toBe(401);
      expect(bodyOf(response)).toStrictEqual({
        error_code: 'UNAUTHENTICATED',
        message: 'The principal no longer exists.',
      });
    });
  });

  describe('authorization', () => {
    it('answers 403 to a caller without the ability on the model', async () => {
      // Prepare
      const store = new MemoryModelRegistryStore();
      const handler = await registeredModelsHandler({ store });
      await handler(
        createTestEvent({
          method: 'POST',
          path: `${MLFLOW}/registered-models/create`,
          body: JSON.stringify({ name: 'fraud-detector' }),
        }),
        createTestContext()
      );

      // Act
      const response = await handler(
        createTestEvent({
          method: 'DELETE',
          path: `${MLFLOW}/registered-models/delete`,
          body: JSON.stringify({ name: 'fraud-detector' }),
          authorizer: authorizerContextFor(bob),
        }),
        createTestContext()
      );

      // Assess
      expect(response.statusCode).toBe(403);
      expect(bodyOf(response)).toMatchObject({
        error_code: 'PERMISSION_DENIED',
      });
      expect(await store.getModelRecordByName('fraud-detector')).toBeDefined();
    });
  });

  describe('errors', () => {
    it("answers 400 with MLflow's wording when validation fails", async () => {
      // Prepare
      const handler = await registeredModelsHandler();

      // Act
      const response = await handler(
        createTestEvent({
          method: 'POST',
          path: `${MLFLOW}/registered-models/create`,
          body: JSON.stringify({ description: 'no name' }),
        }),
        createTestContext()
      );

      // Assess
      expect(response.statusCode).toBe(400);
      expect(response.headers).toStrictEqual({
        'content-type': 'application/json',
      });
      expect(bodyOf(response)).toStrictEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          "Missing value for required parameter 'name'. See the API docs at /api/openapi.json for more information about request parameters.",
      });
    });

    it('answers 400 for a body that is not JSON', async () => {
      // Prepare
      const handler = await registeredModelsHandler();

      // Act
      const response = await handler(
        createTestEvent({
          method: 'POST',
          path: `${MLFLOW}/registered-models/create`,
          body: '{"name":',
        }),
        createTestContext()
      );

      // Assess
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response)).toStrictEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'Malformed request body: it is not valid JSON.',
      });
    });

    it('answers a failing adapter with a generic 500 and logs the error', async () => {
      // Prepare
      const logged = vi.spyOn(logger, 'error').mockImplementation(() => {});
      const handler = await registeredModelsHandler({
        store: unreachableStore(),
      });

      // Act
      const response = await handler(
        createTestEvent({
          method: 'GET',
          path: `${MLFLOW}/registered-models/get`,
          rawQueryString: 'name=m',
        }),
        createTestContext()
      );

      // Assess
      expect(response.statusCode).toBe(500);
      expect(bodyOf(response)).toStrictEqual({
        error_code: 'INTERNAL_ERROR',
        message: 'Internal error. The request was not completed.',
      });
      expect(response.body).not.toContain('ECONNREFUSED');
      expect(response.body).not.toContain('stagegate-prod');
      expect(logged).toHaveBeenCalledWith(
        'Unhandled error',
        expect.objectContaining({
          message: expect.stringContaining('ECONNREFUSED'),
          stack: expect.any(String),
        })
      );
    });

    it('does not log a known error as unhandled', async () => {
      // Prepare
      const logged = vi.spyOn(logger, 'error').mockImplementation(() => {});
      const handler = await registeredModelsHandler();

      // Act
      const response = await handler(
        createTestEvent({
          method: 'GET',
          path: `${MLFLOW}/registered-models/get`,
          rawQueryString: 'name=missing',
        }),
        createTestContext()
      );

      // Assess
      expect(response.statusCode).toBe(404);
      expect(logged).not.toHaveBeenCalled();
    });
  });
});
