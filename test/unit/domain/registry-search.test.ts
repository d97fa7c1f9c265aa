import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import { encodePageToken } from '#domain/pagination.ts';
import {
  createRegisteredModel,
  deleteRegisteredModel,
  setRegisteredModelTag,
  updateRegisteredModel,
} from '#domain/registry/models.ts';
import {
  searchModelVersions,
  searchRegisteredModels,
  type Visibility,
} from '#domain/registry/search.ts';
import { createModelVersion } from '#domain/registry/versions.ts';
import {
  alice,
  expectRefusal,
  NOW,
  type RegistryWorld,
  registryWorld,
} from './support/registry.ts';

/** Models `name` with versions made from the given runs ('' for none). */
async function modelWithRuns(
  world: RegistryWorld,
  name: string,
  runs: readonly string[]
): Promise<void> {
  await createRegisteredModel(world, alice, { name });
  for (const [index, runId] of runs.entries()) {
    await createModelVersion(world, alice, {
      name,
      source: `s3://bucket/${name}/${index + 1}`,
      runId,
    });
  }
}

const hide =
  (...names: string[]): Visibility =>
  (record) =>
    !names.includes(record.model.name);

function modelNames(page: {
  models: readonly { model: { name: string } }[];
}): string[] {
  return page.models.map((view) => view.model.name);
}

function versionKeys(page: {
  versions: readonly { name: string; version: number }[];
}): string[] {
  return page.versions.map((v) => `${v.name}/${v.version}`);
}

describe('registry search', () => {
  describe('searchRegisteredModels', () => {
    it('finds one model by exact name, with its latest versions', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithRuns(world, 'fraud', ['r1', 'r2']);
      await createRegisteredModel(world, alice, { name: 'fraud-2' });

      // Act
      const page = await searchRegisteredModels(world, {
        filter: "name = 'fraud'",
      });

      // Assess
      expect(modelNames(page)).toStrictEqual(['fraud']);
      expect(page.nextPageToken).toBeUndefined();
      expect(page.models[0]?.latestVersions.map((v) => v.version)).toEqual([2]);
    });

    it('answers nothing for an exact name that is hidden, does not match the rest of the filter, is too long, or is asked past the first page', async () => {
      // Prepare
      const world = registryWorld();
      await createRegisteredModel(world, alice, { name: 'fraud' });
      const token = encodePageToken({ o: 'name ASC', p: 'a' });

      // Act
      const pages = await Promise.all([
        searchRegisteredModels(
          world,
          { filter: "name = 'fraud'" },
          hide('fraud')
        ),
        searchRegisteredModels(world, {
          filter: "name = 'fraud' AND tags.team = 'risk'",
        }),
        searchRegisteredModels(world, {
          filter: `name = '${'x'.repeat(limits.modelNameLength + 1)}'`,
        }),
        searchRegisteredModels(world, {
          filter: "name = 'fraud'",
          pageToken: token,
        }),
      ]);

      // Assess
      expect(pages.map(modelNames)).toStrictEqual([[], [], [], []]);
    });

    it("walks the name index from a LIKE filter's prefix, keeping only matches", async () => {
      // Prepare
      const world = registryWorld();
      for (const name of [
        'churn',
        'fraud-a',
        'fraud-b',
        'fraudulent',
        'zeta',
      ]) {
        await createRegisteredModel(world, alice, { name });
      }

      // Act
      const page = await searchRegisteredModels(world, {
        filter: "name LIKE 'fraud-%'",
      });

      // Assess
      expect(modelNames(page)).toStrictEqual(['fraud-a', 'fraud-b']);
    });

    it('answers nothing, without reading the store, for a prefix longer than any name', async () => {
      // Prepare
      const world = registryWorld();
      world.store.listModels = async () => {
        throw new Error('the store must not be asked');
      };

      // Act
      const page = await searchRegisteredModels(world, {
        filter: `name LIKE '${'x'.repeat(limits.modelNameLength + 1)}%'`,
      });

      // Assess
      expect(page).toStrictEqual({ models: [] });
    });

    it('orders by last update, newest first, and pages in that order', async () => {
      // Prepare
      const world = registryWorld();
      for (const [offset, name] of ['a', 'b', 'c'].entries()) {
        world.clock.now = NOW + offset;
        await createRegisteredModel(world, alice, { name });
      }
      world.clock.now = NOW + 10;
      await updateRegisteredModel(world, { name: 'a', description: 'new' });
      const search = {
        orderBy: ['last_updated_timestamp DESC'],
        maxResults: 2,
      };

      // Act
      const first = await searchRegisteredModels(world, search);
      const second = await searchRegisteredModels(world, {
        ...search,
        pageToken: first.nextPageToken,
      });

      // Assess
      expect(modelNames(first)).toStrictEqual(['a', 'c']);
      expect(modelNames(second)).toStrictEqual(['b']);
      expect(second.nextPageToken).toBeUndefined();
    });

    it('leaves out the models the caller may not see, keeping pages full', async () => {
      // Prepare
      const world = registryWorld();
      for (const name of ['a', 'b', 'c', 'd', 'e']) {
        await createRegisteredModel(world, alice, { name });
      }
      const visible = hide('b', 'c');

      // Act
      const first = await searchRegisteredModels(
        world,
        { maxResults: 2 },
        visible
      );
      const second = await searchRegisteredModels(
        world,
        { maxResults: 2, pageToken: first.nextPageToken },
        visible
      );

      // Assess
      expect(modelNames(first)).toStrictEqual(['a', 'd']);
      expect(modelNames(second)).toStrictEqual(['e']);
      expect(second.nextPageToken).toBeUndefined();
    });

    it('filters by tag', async () => {
      // Prepare
      const world = registryWorld();
      for (const name of ['a', 'b']) {
        await createRegisteredModel(world, alice, { name });
      }
      await setRegisteredModelTag(world, {
        name: 'b',
        key: 'team',
        value: 'risk',
      });

      // Act
      const page = await searchRegisteredModels(world, {
        filter: "tags.team = 'risk'",
      });

      // Assess
      expect(modelNames(page)).toStrictEqual(['b']);
    });

    it('refuses a page token holding a position no index issues', async () => {
      // Prepare
      const world = registryWorld();
      const token = encodePageToken({ o: 'name ASC', p: 'x'.repeat(1025) });

      // Act
      const attempt = searchRegisteredModels(world, { pageToken: token });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        'Invalid page token'
      );
    });
  });

  describe('searchModelVersions', () => {
    it('reads one model for an exact name, in the default order: newest update first', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithRuns(world, 'fraud', ['', '']);
      await modelWithRuns(world, 'churn', ['']);

      // Act
      const page = await searchModelVersions(world, {
        filter: "name = 'fraud'",
      });

      // Assess
      expect(versionKeys(page)).toStrictEqual(['fraud/2', 'fraud/1']);
      expect(page.nextPageToken).toBeUndefined();
    });

    it('answers nothing for an unknown, hidden or impossibly long exact name', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithRuns(world, 'fraud', ['']);

      // Act
      const pages = await Promise.all([
        searchModelVersions(world, { filter: "name = 'missing'" }),
        searchModelVersions(world, { filter: "name = 'fraud'" }, hide('fraud')),
        searchModelVersions(world, {
          filter: `name = '${'x'.repeat(limits.modelNameLength + 1)}'`,
        }),
      ]);

      // Assess
      expect(pages.map(versionKeys)).toStrictEqual([[], [], []]);
    });

    it('finds the versions of runs through the run index, across models, without the hidden ones', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithRuns(world, 'fraud', ['r1', 'r2', 'r3']);
      await modelWithRuns(world, 'churn', ['r1']);
      await modelWithRuns(world, 'secret', ['r1']);
      world.store.listModels = async () => {
        throw new Error('a run search must not walk the models');
      };

      // Act
      const byOne = await searchModelVersions(
        world,
        { filter: "run_id = 'r1'", orderBy: ['name ASC'] },
        hide('secret')
      );
      const byMany = await searchModelVersions(world, {
        filter: "run_id IN ('r2', 'r3')",
        orderBy: ['version_number ASC'],
      });

      // Assess
      expect(versionKeys(byOne)).toStrictEqual(['churn/1', 'fraud/1']);
      expect(versionKeys(byMany)).toStrictEqual(['fraud/2', 'fraud/3']);
    });

    it('leaves out versions of a run whose model is gone', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithRuns(world, 'fraud', ['r1']);
      await modelWithRuns(world, 'churn', ['r1']);
      const versionsOfRun = world.store.listVersionsByRunId.bind(world.store);
      const before = await versionsOfRun('r1');
      await deleteRegisteredModel(world, { name: 'churn' });
      // The run index still lists the deleted model's version (its purge
      // is not done yet).
      world.store.listVersionsByRunId = async () => before;

      // Act
      const page = await searchModelVersions(world, {
        filter: "run_id = 'r1'",
      });

      // Assess
      expect(versionKeys(page)).toStrictEqual(['fraud/1']);
    });

    it("walks every model for a run_id = '' filter, which the run index cannot answer", async () => {
      // Prepare
      const world = registryWorld();
      await modelWithRuns(world, 'fraud', ['', 'r1']);
      await modelWithRuns(world, 'churn', ['']);

      // Act
      const page = await searchModelVersions(world, {
        filter: "run_id = ''",
        orderBy: ['name ASC'],
      });

      // Assess
      expect(versionKeys(page)).toStrictEqual(['churn/1', 'fraud/1']);
    });

    it('walks only the models of a name prefix, and the visible ones', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithRuns(world, 'fraud-a', ['']);
      await modelWithRuns(world, 'fraud-b', ['', '']);
      await modelWithRuns(world, 'fraud-c', ['']);
      await modelWithRuns(world, 'churn', ['']);

      // Act
      const page = await searchModelVersions(
        world,
        {
          filter: "name LIKE 'fraud-%'",
          orderBy: ['name ASC', 'version_number ASC'],
        },
        hide('fraud-c')
      );

      // Assess
      expect(versionKeys(page)).toStrictEqual([
        'fraud-a/1',
        'fraud-b/1',
        'fraud-b/2',
      ]);
    });

    it('answers nothing for a name prefix longer than any name', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithRuns(world, 'fraud', ['']);

      // Act
      const page = await searchModelVersions(world, {
        filter: `name LIKE '${'x'.repeat(limits.modelNameLength + 1)}%'`,
      });

      // Assess
      expect(page).toStrictEqual({ versions: [] });
    });

    it('pages through every version without repeats or gaps, the last page without a token', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithRuns(world, 'a', ['', '', '']);
      await modelWithRuns(world, 'b', ['', '']);
      const search = {
        orderBy: ['name ASC', 'version_number ASC'],
        maxResults: 2,
      };

      // Act
      const pages = [await searchModelVersions(world, search)];
      for (let token = pages[0]?.nextPageToken; token !== undefined; ) {
        const page = await searchModelVersions(world, {
          ...search,
          pageToken: token,
        });
        pages.push(page);
        token = page.nextPageToken;
      }

      // Assess
      expect(pages.map(versionKeys)).toStrictEqual([
        ['a/1', 'a/2'],
        ['a/3', 'b/1'],
        ['b/2'],
      ]);
    });

    it('filters on version attributes and tags in memory', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithRuns(world, 'fraud', ['', '', '']);

      // Act
      const page = await searchModelVersions(world, {
        filter: "name = 'fraud' AND version_number >= 2",
        orderBy: ['version_number ASC'],
      });

      // Assess
      expect(versionKeys(page)).toStrictEqual(['fraud/2', 'fraud/3']);
    });

    it.each([
      [
        'of a search with another order',
        encodePageToken({ o: 'name ASC', k: JSON.stringify({ name: 'a' }) }),
        'Invalid page token: it belongs to a search with another order_by.',
      ],
      [
        'without a sort key',
        encodePageToken({
          o: 'last_updated_timestamp DESC,name ASC,version_number DESC',
        }),
        'Invalid page token: it belongs to a search with another order_by.',
      ],
      [
        'whose sort key is not JSON',
        encodePageToken({
          o: 'last_updated_timestamp DESC,name ASC,version_number DESC',
          k: '{',
        }),
        'Invalid page token, could not base64-decode',
      ],
      [
        'whose sort key has no name',
        encodePageToken({
          o: 'last_updated_timestamp DESC,name ASC,version_number DESC',
          k: '{}',
        }),
        'Invalid page token, could not base64-decode',
      ],
    ])('refuses a page token %s', async (_, pageToken, message) => {
      // Prepare
      const world = registryWorld();

      // Act
      const attempt = searchModelVersions(world, { pageToken });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        message
      );
    });

    it('refuses max_results above 10000', async () => {
      // Prepare
      const world = registryWorld();

      // Act
      const attempt = searchModelVersions(world, { maxResults: 10_001 });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE'
      );
    });
  });
});
