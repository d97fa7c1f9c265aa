import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, MLFLOW, uniqueName } from '../support/api.ts';

interface VersionJson {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  source: string;
  run_id: string;
  tags?: { key: string; value: string }[];
  aliases?: string[];
}

interface SearchPage {
  model_versions?: VersionJson[];
  next_page_token?: string;
}

const search = (query: Record<string, string | number | string[]>) =>
  call<SearchPage>('GET', `${MLFLOW}/model-versions/search`, { query });

/** `model:version` of each result, in answer order. */
const keysOf = (page: SearchPage) =>
  (page.model_versions ?? []).map((v) => `${v.name}:${v.version}`);

async function createModel(name: string): Promise<void> {
  const response = await call('POST', `${MLFLOW}/registered-models/create`, {
    body: { name },
  });
  expect(response.status).toBe(200);
}

async function createVersion(body: Record<string, unknown>) {
  const response = await call<{ model_version: VersionJson }>(
    'POST',
    `${MLFLOW}/model-versions/create`,
    { body }
  );
  expect(response.status).toBe(200);
  return response.body.model_version;
}

/** Every page of a search, following next_page_token to the end. */
async function allPages(query: Record<string, string | number | string[]>) {
  const pages: SearchPage[] = [];
  let pageToken: string | undefined;
  do {
    const response = await search({
      ...query,
      ...(pageToken ? { page_token: pageToken } : {}),
    });
    expect(response.status).toBe(200);
    pages.push(response.body);
    pageToken = response.body.next_page_token;
  } while (pageToken && pages.length < 50);
  return pages;
}

const runId = () => randomBytes(16).toString('hex');

/**
 * Read-only fixture shared by the filter and order tests: two models whose
 * names differ in case after a common prefix, versions with and without
 * run ids, tags and an alias, and a third model to page through.
 */
const prefix = uniqueName('vsearch');
const A = `${prefix}-a-model`;
const B = `${prefix}-b-Model`;
const PAGED = `${prefix}-c-paged`;
const runA = runId();
const runB = runId();
const runC = runId();
const src = (path: string) => `s3://bucket/${prefix}/${path}`;
const inFixture = `name LIKE '${prefix}%'`;

beforeAll(async () => {
  await createModel(A);
  await createModel(B);
  await createModel(PAGED);
  await createVersion({
    name: A,
    source: src('a/1'),
    run_id: runA,
    tags: [{ key: 'env', value: 'prod' }],
  });
  await createVersion({
    name: A,
    source: src('a/2'),
    run_id: runB,
    tags: [{ key: 'env', value: 'dev' }],
  });
  await createVersion({ name: A, source: `runs:/${runA}/model`, run_id: runA });
  await createVersion({
    name: A,
    source: src('a/4'),
    tags: [{ key: 'env', value: 'Prod' }],
  });
  await createVersion({
    name: B,
    source: src('b/1'),
    run_id: runC,
    tags: [
      { key: 'env', value: 'prod' },
      { key: 'team', value: 'x' },
    ],
  });
  await createVersion({ name: B, source: src('b/2'), run_id: runB });
  for (let i = 1; i <= 6; i++) {
    await createVersion({ name: PAGED, source: src(`c/${i}`) });
  }
  const alias = await call('POST', `${MLFLOW}/registered-models/alias`, {
    body: { name: A, alias: 'champion', version: '1' },
  });
  expect(alias.status).toBe(200);
});

describe('Model version search', () => {
  describe('model-versions/search filter', () => {
    it.each([
      ['name =', `name = '${A}'`, [`${A}:4`, `${A}:3`, `${A}:2`, `${A}:1`]],
      [
        'name != (with AND)',
        `name != '${A}' AND name LIKE '${prefix}-%-%odel'`,
        [`${B}:2`, `${B}:1`],
      ],
      ['name LIKE, case-sensitively', `name LIKE '${prefix}-b-model'`, []],
      [
        'name LIKE with % and _',
        `name LIKE '${prefix}-_-Mod%'`,
        [`${B}:2`, `${B}:1`],
      ],
      [
        'name ILIKE, case-insensitively',
        `name ILIKE '${prefix.toUpperCase()}-B-MODEL'`,
        [`${B}:2`, `${B}:1`],
      ],
      [
        'version_number = (number)',
        `version_number = 2 AND ${inFixture}`,
        [`${A}:2`, `${B}:2`, `${PAGED}:2`],
      ],
      [
        'version_number = (quoted)',
        `version_number = '2' AND ${inFixture}`,
        [`${A}:2`, `${B}:2`, `${PAGED}:2`],
      ],
      [
        'version_number !=',
        `version_number != 1 AND name = '${A}'`,
        [`${A}:4`, `${A}:3`, `${A}:2`],
      ],
      [
        'version_number <',
        `version_number < 2 AND ${inFixture}`,
        [`${A}:1`, `${B}:1`, `${PAGED}:1`],
      ],
      [
        'version_number <=',
        `version_number <= 2 AND name = '${A}'`,
        [`${A}:2`, `${A}:1`],
      ],
      [
        'version_number >',
        `version_number > 3 AND ${inFixture}`,
        [`${A}:4`, `${PAGED}:6`, `${PAGED}:5`, `${PAGED}:4`],
      ],
      [
        'version_number >=',
        `version_number >= 3 AND name = '${A}'`,
        [`${A}:4`, `${A}:3`],
      ],
      ['run_id =', `run_id = '${runA}'`, [`${A}:3`, `${A}:1`]],
      [
        'run_id !=',
        `run_id != '${runA}' AND name = '${A}'`,
        [`${A}:4`, `${A}:2`],
      ],
      [
        'run_id LIKE',
        `run_id LIKE '${runA.slice(0, 12)}%'`,
        [`${A}:3`, `${A}:1`],
      ],
      [
        'run_id ILIKE',
        `run_id ILIKE '${runA.slice(0, 12).toUpperCase()}%'`,
        [`${A}:3`, `${A}:1`],
      ],
      [
        'run_id = empty, for versions registered without a run',
        `run_id = '' AND ${inFixture}`,
        [`${A}:4`, ...[1, 2, 3, 4, 5, 6].map((v) => `${PAGED}:${v}`)],
      ],
      [
        'run_id = empty, with name =',
        `run_id = '' AND name = '${A}'`,
        [`${A}:4`],
      ],
      [
        'run_id IN with an empty run id',
        `run_id IN ('', '${runC}') AND name LIKE '${prefix}-%-%odel'`,
        [`${A}:4`, `${B}:1`],
      ],
      [
        'run_id IN',
        `run_id IN ('${runA}', '${runC}')`,
        [`${A}:3`, `${A}:1`, `${B}:1`],
      ],
      ['source_path =', `source_path = '${src('a/2')}'`, [`${A}:2`]],
      [
        'source_path LIKE',
        `source_path LIKE '${src('b/')}%' AND ${inFixture}`,
        [`${B}:2`, `${B}:1`],
      ],
      ['tags.k =', `tags.env = 'prod' AND ${inFixture}`, [`${A}:1`, `${B}:1`]],
      [
        'tags.k ILIKE',
        `tags.env ILIKE 'PROD' AND ${inFixture}`,
        [`${A}:4`, `${A}:1`, `${B}:1`],
      ],
      [
        'tags.k LIKE, case-sensitively',
        `tags.env LIKE 'Pro%' AND ${inFixture}`,
        [`${A}:4`],
      ],
      [
        'a backticked tag key',
        `tags.\`team\` = 'x' AND ${inFixture}`,
        [`${B}:1`],
      ],
      [
        'several clauses joined by AND',
        `name = '${A}' AND tags.env LIKE 'p%' AND version_number >= 1 AND run_id = '${runA}'`,
        [`${A}:1`],
      ],
    ])('filters on %s', async (_case, filter, expected) => {
      // Act
      const response = await search({
        filter,
        order_by: ['name ASC', 'version_number DESC'],
      });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.next_page_token).toBeUndefined();
      expect(keysOf(response.body).sort()).toEqual([...expected].sort());
    });

    it('answers {} when nothing matches', async () => {
      // Act
      const response = await search({ filter: `name = '${prefix}-none'` });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({});
    });

    it.each([
      ['OR', `name = '${A}' OR name = '${B}'`, 'Invalid clause(s)'],
      ['an unknown key', "foo = 'x'", "Invalid attribute key 'foo'"],
      ['an unknown entity type', 'metrics.acc > 1', "'metrics'"],
      ['LIKE on version_number', "version_number LIKE '1%'", 'comparator'],
      ['> on name', "name > 'a'", 'comparator'],
      ['IN on name', "name IN ('a')", 'comparator'],
      ['a non-integer version_number', 'version_number = 1.5', 'integer'],
      ['an unquoted string', 'name = abc', 'quoted'],
      ['an unterminated string', "name = 'abc", 'Unterminated'],
      ['NOT IN', "run_id NOT IN ('a')", 'NOT'],
      ['parentheses', `(name = '${A}')`, 'Invalid clause(s)'],
    ])('refuses %s with 400', async (_case, filter, message) => {
      // Act
      const response = await search({ filter });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body as unknown).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining(message),
      });
    });

    it.each([
      ['name =', `name = '${'n'.repeat(3000)}'`],
      ['name LIKE', `name LIKE '${'n'.repeat(3000)}%'`],
      ['run_id =', `run_id = '${'r'.repeat(3000)}'`],
    ])(
      'answers a %s filter on an over-long value with no match or 400, never 500',
      async (_case, filter) => {
        // Act
        const response = await search({ filter });

        // Assess
        expect([200, 400]).toContain(response.status);
        expect(response.body as unknown).toEqual(
          response.status === 200
            ? {}
            : {
                error_code: 'INVALID_PARAMETER_VALUE',
                message: expect.any(String),
              }
        );
      }
    );

    it('answers ten % over a 5,000-character version tag, and refuses a filter over the length limit', async () => {
      // Prepare
      const name = uniqueName('vsearch-worst-like');
      await createModel(name);
      const value = 'a'.repeat(5000);
      await createVersion({
        name,
        source: src('worst-1'),
        tags: [{ key: 'k', value }],
      });
      await createVersion({
        name,
        source: src('worst-2'),
        tags: [{ key: 'k', value: `${value.slice(1)}b` }],
      });

      // Act
      const found = await search({
        filter: `name = '${name}' AND tags.k LIKE '${'%a'.repeat(9)}%b'`,
      });
      const tooLong = await search({
        filter: `name = '${name}' AND tags.k LIKE '${'%'.repeat(4096)}'`,
      });

      // Assess
      expect(found.status).toBe(200);
      expect(keysOf(found.body)).toEqual([`${name}:2`]);
      expect(tooLong.status).toBe(400);
      expect(tooLong.body).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('exceeded length limit of 4096'),
      });
    });

    it('leaves aliases out of the results, though get shows them', async () => {
      // Act
      const found = await search({
        filter: `name = '${A}' AND version_number = 1`,
      });
      const fetched = await call<{ model_version: VersionJson }>(
        'GET',
        `${MLFLOW}/model-versions/get`,
        { query: { name: A, version: '1' } }
      );

      // Assess
      expect(fetched.body.model_version.aliases).toEqual(['champion']);
      const [result] = found.body.model_versions ?? [];
      expect(result).toBeDefined();
      expect(result).not.toHaveProperty('aliases');
      const { aliases: _aliases, ...withoutAliases } =
        fetched.body.model_version;
      expect(result).toEqual(withoutAliases);
    });
  });

  describe('model-versions/search order_by', () => {
    it.each([
      ['version_number ASC', [`${A}:1`, `${A}:2`, `${A}:3`, `${A}:4`]],
      ['version_number DESC', [`${A}:4`, `${A}:3`, `${A}:2`, `${A}:1`]],
      ['version_number', [`${A}:1`, `${A}:2`, `${A}:3`, `${A}:4`]],
      ['creation_timestamp ASC', [`${A}:1`, `${A}:2`, `${A}:3`, `${A}:4`]],
      ['creation_timestamp DESC', [`${A}:4`, `${A}:3`, `${A}:2`, `${A}:1`]],
    ])('orders by %s', async (orderBy, expected) => {
      // Act
      const response = await search({
        filter: `name = '${A}'`,
        order_by: orderBy,
      });

      // Assess
      expect(response.status).toBe(200);
      expect(keysOf(response.body)).toEqual(expected);
    });

    it.each([
      [
        'name ASC',
        [`${A}:4`, `${A}:3`, `${A}:2`, `${A}:1`, `${B}:2`, `${B}:1`],
      ],
      [
        'name DESC',
        [`${B}:2`, `${B}:1`, `${A}:4`, `${A}:3`, `${A}:2`, `${A}:1`],
      ],
    ])('orders by %s, then version_number DESC', async (orderBy, expected) => {
      // Act
      const response = await search({
        filter: `name LIKE '${prefix}-%-%odel'`,
        order_by: orderBy,
      });

      // Assess
      expect(response.status).toBe(200);
      expect(keysOf(response.body)).toEqual(expected);
    });

    it('orders by several keys', async () => {
      // Act
      const response = await search({
        filter: `version_number <= 2 AND ${inFixture}`,
        order_by: ['version_number ASC', 'name DESC'],
      });

      // Assess
      expect(keysOf(response.body)).toEqual([
        `${PAGED}:1`,
        `${B}:1`,
        `${A}:1`,
        `${PAGED}:2`,
        `${B}:2`,
        `${A}:2`,
      ]);
    });

    it('orders by last update, most recent first by default', async () => {
      // Prepare
      const name = uniqueName('vsearch-updated');
      await createModel(name);
      for (let i = 0; i < 3; i++) {
        await createVersion({ name, source: src(`updated/${i}`) });
      }
      const update = await call('PATCH', `${MLFLOW}/model-versions/update`, {
        body: { name, version: '1', description: 'touched' },
      });
      expect(update.status).toBe(200);
      const filter = `name = '${name}'`;

      // Act
      const byDefault = await search({ filter });
      const descending = await search({
        filter,
        order_by: 'last_updated_timestamp DESC',
      });
      const ascending = await search({
        filter,
        order_by: 'last_updated_timestamp ASC',
      });

      // Assess
      const versions = (page: SearchPage) =>
        (page.model_versions ?? []).map((v) => v.version);
      expect(versions(byDefault.body)).toEqual(['1', '3', '2']);
      expect(versions(descending.body)).toEqual(['1', '3', '2']);
      expect(versions(ascending.body)).toEqual(['2', '3', '1']);
    });

    it.each([
      ['an unknown key', 'stage ASC'],
      ['an unknown direction', 'name UP'],
      ['a duplicated key', ['name ASC', 'name DESC']],
      ['an unparseable clause', 'name ASC extra'],
    ])('refuses %s with 400', async (_case, orderBy) => {
      // Act
      const response = await search({
        filter: `name = '${A}'`,
        order_by: orderBy,
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body as unknown).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.any(String),
      });
    });
  });

  describe('model-versions/search pagination', () => {
    it.each([
      [1, 6],
      [2, 3],
      [3, 2],
      [4, 2],
      [6, 1],
      [7, 1],
    ])(
      'pages max_results=%i into %i pages, none empty or repeated',
      async (size, count) => {
        // Act
        const pages = await allPages({
          filter: `name = '${PAGED}'`,
          order_by: 'version_number ASC',
          max_results: size,
        });

        // Assess
        expect(pages).toHaveLength(count);
        for (const page of pages) {
          expect(page.model_versions?.length ?? 0).toBeGreaterThan(0);
          expect(page.model_versions?.length ?? 0).toBeLessThanOrEqual(size);
        }
        expect(pages.at(-1)?.next_page_token).toBeUndefined();
        expect(pages.flatMap((page) => keysOf(page))).toEqual(
          [1, 2, 3, 4, 5, 6].map((v) => `${PAGED}:${v}`)
        );
      }
    );

    it('pages in the default order without duplicates', async () => {
      // Act
      const pages = await allPages({ filter: inFixture, max_results: 5 });

      // Assess
      const seen = pages.flatMap((page) => keysOf(page));
      expect(pages).toHaveLength(3);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toHaveLength(12);
      const updates = pages
        .flatMap((page) => page.model_versions ?? [])
        .map((v) => v.last_updated_timestamp);
      expect(updates).toEqual([...updates].sort((a, b) => b - a));
    });

    it('accepts max_results up to 10000 and refuses more', async () => {
      // Act
      const largest = await search({
        filter: `name = '${A}'`,
        max_results: 10000,
      });
      const tooMany = await search({
        filter: `name = '${A}'`,
        max_results: 10001,
      });
      const zero = await search({ filter: `name = '${A}'`, max_results: 0 });

      // Assess
      expect(largest.status).toBe(200);
      expect(keysOf(largest.body)).toHaveLength(4);
      for (const response of [tooMany, zero]) {
        expect(response.status).toBe(400);
        expect(response.body as unknown).toEqual({
          error_code: 'INVALID_PARAMETER_VALUE',
          message: expect.any(String),
        });
      }
    });

    it('returns every match on one page when max_results is not given', async () => {
      // Act
      const response = await search({ filter: inFixture });

      // Assess
      expect(response.status).toBe(200);
      expect(keysOf(response.body)).toHaveLength(12);
      expect(response.body.next_page_token).toBeUndefined();
    });

    it('refuses a page token it did not issue', async () => {
      // Act
      const response = await search({
        filter: `name = '${A}'`,
        page_token: 'not-a-token!',
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.next_page_token).toBeUndefined();
      expect((response.body as { error_code?: string }).error_code).toBe(
        'INVALID_PARAMETER_VALUE'
      );
    });
  });
});
