import { describe, expect, it } from 'vitest';
import {
  ConcurrentModificationError,
  InvalidParameterValueError,
  RegisteredModelAlreadyExistsError,
  RegisteredModelDoesNotExistError,
} from '#domain/errors.ts';
import { encodePageToken } from '#domain/pagination.ts';
import type { Principal } from '#domain/principal.ts';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import {
  createRegisteredModel,
  getRegisteredModel,
} from '#domain/registry/models.ts';
import { searchRegisteredModels } from '#domain/registry/search.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';

const NOW = 1_700_000_000_000;

const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: [],
};

function createDeps(): RegistryDependencies & {
  store: MemoryModelRegistryStore;
} {
  let nextId = 0;
  return {
    store: new MemoryModelRegistryStore(),
    now: () => NOW,
    newId: () => (nextId++).toString(16).padStart(32, '0'),
  };
}

async function createModels(
  deps: RegistryDependencies,
  count: number
): Promise<string[]> {
  const names = Array.from(
    { length: count },
    (_, i) => `model-${String(i).padStart(3, '0')}`
  );
  for (const name of names) await createRegisteredModel(deps, alice, { name });
  return names;
}

type Page = Awaited<ReturnType<typeof searchRegisteredModels>>;

function namesOf(page: Page): string[] {
  return page.models.map((view) => view.model.name);
}

/** Follows next_page_token until it is absent, as a client would. */
async function allPages(
  deps: RegistryDependencies,
  maxResults: number
): Promise<Page[]> {
  const pages: Page[] = [];
  let pageToken: string | undefined;
  do {
    const page = await searchRegisteredModels(deps, { maxResults, pageToken });
    pages.push(page);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined && pages.length < 100);
  return pages;
}

describe('registry service', () => {
  describe('createRegisteredModel', () => {
    it('stamps both timestamps with now and user_id with the caller', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const model = await createRegisteredModel(deps, alice, {
        name: 'fraud-detector',
        description: 'Scores payments',
        tags: [{ key: 'team', value: 'risk' }],
      });

      // Assess
      expect(model).toStrictEqual({
        id: '00000000000000000000000000000000',
        name: 'fraud-detector',
        description: 'Scores payments',
        creationTimestamp: NOW,
        lastUpdatedTimestamp: NOW,
        userId: 'alice@example.com',
        tags: [{ key: 'team', value: 'risk' }],
        aliases: [],
      });
      expect(
        (await deps.store.getModelRecordByName('fraud-detector'))?.model
      ).toStrictEqual(model);
    });

    it('grants the creator Can Manage on the new model', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      await createRegisteredModel(deps, alice, { name: 'm' });

      // Assess
      expect(
        (await deps.store.getModelRecordByName('m'))?.grants
      ).toStrictEqual([
        {
          grantee: { kind: 'user', name: 'alice@example.com' },
          level: 'CAN_MANAGE',
        },
      ]);
    });

    it('defaults to an empty description and no tags', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const model = await createRegisteredModel(deps, alice, { name: 'm' });

      // Assess
      expect(model).toMatchObject({ description: '', tags: [], aliases: [] });
    });

    it('orders tags by key and keeps the last value of a repeated key', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const model = await createRegisteredModel(deps, alice, {
        name: 'm',
        tags: [
          { key: 'stage', value: 'dev' },
          { key: 'Team', value: 'risk' },
          { key: 'stage', value: 'prod' },
        ],
      });

      // Assess
      expect(model.tags).toStrictEqual([
        { key: 'Team', value: 'risk' },
        { key: 'stage', value: 'prod' },
      ]);
      expect(
        (await deps.store.getModelRecordByName('m'))?.model.tags
      ).toStrictEqual(model.tags);
    });

    it('refuses an invalid name without storing anything', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const attempt = createRegisteredModel(deps, alice, { name: '' });

      // Assess
      await expect(attempt).rejects.toThrow(InvalidParameterValueError);
      await expect(attempt).rejects.toHaveProperty(
        'code',
        'INVALID_PARAMETER_VALUE'
      );
      expect((await searchRegisteredModels(deps, {})).models).toStrictEqual([]);
    });

    it('refuses a name that is taken', async () => {
      // Prepare
      const deps = createDeps();
      await createRegisteredModel(deps, alice, { name: 'm' });

      // Act
      const attempt = createRegisteredModel(deps, alice, { name: 'm' });

      // Assess
      await expect(attempt).rejects.toThrow(RegisteredModelAlreadyExistsError);
      await expect(attempt).rejects.toHaveProperty(
        'code',
        'RESOURCE_ALREADY_EXISTS'
      );
    });

    it('tries again after a collision that wrote nothing, until the store answers', async () => {
      // Prepare: the store's first two attempts collide with concurrent
      // writes (on AWS, a transaction conflict on the name item).
      const deps = createDeps();
      const store = deps.store;
      let collisions = 2;
      const create = store.createRegisteredModel.bind(store);
      store.createRegisteredModel = async (model, grants) => {
        if (collisions > 0) {
          collisions -= 1;
          throw new ConcurrentModificationError('Transaction conflict');
        }
        return create(model, grants);
      };

      // Act
      const model = await createRegisteredModel(
        { ...deps, sleep: async () => {} },
        alice,
        { name: 'm' }
      );

      // Assess
      expect(collisions).toBe(0);
      expect((await store.getModelRecordByName('m'))?.model).toStrictEqual(
        model
      );
    });
  });

  describe('getRegisteredModel', () => {
    it('returns the stored model, without versions yet', async () => {
      // Prepare
      const deps = createDeps();
      const created = await createRegisteredModel(deps, alice, { name: 'm' });

      // Act
      const view = await getRegisteredModel(deps, 'm');

      // Assess
      expect(view).toStrictEqual({ model: created, latestVersions: [] });
    });

    it("refuses an unknown name with MLflow's message", async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const attempt = getRegisteredModel(deps, 'missing');

      // Assess
      await expect(attempt).rejects.toThrow(RegisteredModelDoesNotExistError);
      await expect(attempt).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
        message: 'Registered Model with name=missing not found',
      });
    });

    it('refuses an empty name as invalid, not as missing', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const attempt = getRegisteredModel(deps, '');

      // Assess
      await expect(attempt).rejects.toThrow(InvalidParameterValueError);
      await expect(attempt).rejects.toHaveProperty(
        'code',
        'INVALID_PARAMETER_VALUE'
      );
    });
  });

  describe('searchRegisteredModels', () => {
    it('returns one empty final page for an empty registry', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const pages = await allPages(deps, 3);

      // Assess
      expect(pages).toStrictEqual([{ models: [] }]);
    });

    it('pages through every model in name order, the last page partial', async () => {
      // Prepare
      const deps = createDeps();
      const names = await createModels(deps, 7);

      // Act
      const pages = await allPages(deps, 3);

      // Assess
      expect(pages.map((page) => page.models.length)).toStrictEqual([3, 3, 1]);
      expect(pages.flatMap(namesOf)).toStrictEqual(names);
      expect(pages.at(-1)).not.toHaveProperty('nextPageToken');
    });

    it('gives no next token when the last page is exactly full', async () => {
      // Prepare
      const deps = createDeps();
      await createModels(deps, 6);

      // Act
      const pages = await allPages(deps, 3);

      // Assess
      expect(pages.map((page) => page.models.length)).toStrictEqual([3, 3]);
      expect(pages[0]?.nextPageToken).toEqual(expect.any(String));
      expect(pages[1]).not.toHaveProperty('nextPageToken');
    });

    it('gives no next token when everything fits on one page', async () => {
      // Prepare
      const deps = createDeps();
      await createModels(deps, 3);

      // Act
      const page = await searchRegisteredModels(deps, { maxResults: 3 });

      // Assess
      expect(page.models).toHaveLength(3);
      expect(page).not.toHaveProperty('nextPageToken');
    });

    it('never answers an empty page with a next token, whatever the page size', async () => {
      // Prepare
      const deps = createDeps();
      await createModels(deps, 12);

      // Act
      const walks = await Promise.all(
        [1, 2, 3, 4, 5, 6, 11, 12, 13].map((size) => allPages(deps, size))
      );

      // Assess
      for (const pages of walks) {
        for (const page of pages.slice(0, -1)) {
          expect(page.models.length).toBeGreaterThan(0);
          expect(page.nextPageToken).toEqual(expect.any(String));
        }
        expect(pages.at(-1)).not.toHaveProperty('nextPageToken');
        expect(pages.flatMap(namesOf)).toHaveLength(12);
      }
    });

    it('defaults to 100 models per page', async () => {
      // Prepare
      const deps = createDeps();
      await createModels(deps, 101);

      // Act
      const page = await searchRegisteredModels(deps, {});

      // Assess
      expect(page.models).toHaveLength(100);
      expect(page.nextPageToken).toEqual(expect.any(String));
    });

    it('treats an empty page token as the first page', async () => {
      // Prepare
      const deps = createDeps();
      const names = await createModels(deps, 2);

      // Act
      const page = await searchRegisteredModels(deps, { pageToken: '' });

      // Assess
      expect(namesOf(page)).toStrictEqual(names);
    });

    it('neither repeats nor skips models created between pages', async () => {
      // Prepare
      const deps = createDeps();
      await createModels(deps, 4);
      const first = await searchRegisteredModels(deps, { maxResults: 2 });
      await createRegisteredModel(deps, alice, { name: 'a-before-cursor' });
      await createRegisteredModel(deps, alice, { name: 'model-001-after' });

      // Act
      const second = await searchRegisteredModels(deps, {
        maxResults: 2,
        pageToken: first.nextPageToken,
      });

      // Assess
      expect(namesOf(first)).toStrictEqual(['model-000', 'model-001']);
      expect(namesOf(second)).toStrictEqual(['model-001-after', 'model-002']);
    });

    it('leaves out prompts unless the filter asks about them', async () => {
      // Prepare
      const deps = createDeps();
      await createRegisteredModel(deps, alice, { name: 'model' });
      await createRegisteredModel(deps, alice, {
        name: 'prompt',
        tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
      });

      // Act
      const page = await searchRegisteredModels(deps, {});

      // Assess
      expect(namesOf(page)).toStrictEqual(['model']);
    });

    it("refuses a garbage page token with MLflow's message", async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const attempt = searchRegisteredModels(deps, {
        pageToken: 'not-a-token',
      });

      // Assess
      await expect(attempt).rejects.toThrow(InvalidParameterValueError);
      await expect(attempt).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: 'Invalid page token, could not base64-decode',
      });
    });

    it('refuses a page token of a search with another order', async () => {
      // Prepare
      const deps = createDeps();
      await createModels(deps, 3);
      const first = await searchRegisteredModels(deps, { maxResults: 1 });

      // Act
      const failures = [
        await searchRegisteredModels(deps, {
          orderBy: ['last_updated_timestamp DESC'],
          pageToken: first.nextPageToken,
        }).catch((error: unknown) => error),
        await searchRegisteredModels(deps, {
          pageToken: encodePageToken({ after: 'model-000' }),
        }).catch((error: unknown) => error),
      ];

      // Assess
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(InvalidParameterValueError);
        expect(failure).toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
          message:
            'Invalid page token: it belongs to a search with another order_by.',
        });
      }
    });

    it('refuses max_results above 1000', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const attempt = searchRegisteredModels(deps, { maxResults: 1001 });

      // Assess
      await expect(attempt).rejects.toThrow(InvalidParameterValueError);
      await expect(attempt).rejects.toHaveProperty(
        'code',
        'INVALID_PARAMETER_VALUE'
      );
    });
  });
});
