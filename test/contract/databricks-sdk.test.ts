import { ApiError, WorkspaceClient } from '@databricks/sdk-experimental';
import { describe, expect, it } from 'vitest';
import { registry, uniqueName } from '../support/api.ts';

/** The Databricks SDK, unchanged, pointed at the registry under test. */
function client(token = registry().token): WorkspaceClient {
  return new WorkspaceClient({
    host: registry().url,
    token,
    authType: 'pat',
    env: {},
    retryTimeoutSeconds: 10,
  });
}

describe('Databricks SDK 0.17.0 against stagegate', () => {
  describe('modelRegistry.createModel', () => {
    it('creates a model the SDK reads back in its own types', async () => {
      // Prepare
      const name = uniqueName('sdk');

      // Act
      const created = await client().modelRegistry.createModel({
        name,
        description: 'from the SDK',
        tags: [{ key: 'k', value: 'v' }],
      });

      // Assess
      expect(created.registered_model?.name).toBe(name);
      expect(created.registered_model?.description).toBe('from the SDK');
      expect(created.registered_model?.tags).toEqual([
        { key: 'k', value: 'v' },
      ]);
    });

    it('surfaces a duplicate as ApiError RESOURCE_ALREADY_EXISTS', async () => {
      // Prepare
      const name = uniqueName('sdk');
      await client().modelRegistry.createModel({ name });

      // Act
      const failure = await client()
        .modelRegistry.createModel({ name })
        .catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(ApiError);
      expect((failure as ApiError).errorCode).toBe('RESOURCE_ALREADY_EXISTS');
      expect((failure as ApiError).statusCode).toBe(400);
    });

    it('surfaces a bad token as ApiError UNAUTHENTICATED', async () => {
      // Act
      const failure = await client('dapi-not-a-token')
        .modelRegistry.createModel({ name: uniqueName('sdk') })
        .catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(ApiError);
      expect((failure as ApiError).errorCode).toBe('UNAUTHENTICATED');
      expect((failure as ApiError).statusCode).toBe(401);
    });
  });

  describe('modelRegistry.searchModels', () => {
    it('iterates across pages to every model', async () => {
      // Prepare
      const prefix = uniqueName('sdkpage');
      const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
      for (const name of names)
        await client().modelRegistry.createModel({ name });

      // Act
      const seen: string[] = [];
      for await (const model of client().modelRegistry.searchModels({
        max_results: 2,
      })) {
        if (model.name?.startsWith(prefix)) seen.push(model.name);
      }

      // Assess
      expect(seen).toEqual(names);
    });
  });
});
