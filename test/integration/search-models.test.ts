import { beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, call, MLFLOW, uniqueName } from '../support/api.ts';

interface ModelJson {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  tags?: { key: string; value: string }[];
}

interface SearchPage {
  registered_models?: ModelJson[];
  next_page_token?: string;
}

type Query = Record<string, string | number | string[]>;

const MODELS = `${MLFLOW}/registered-models`;
const PROMPT_TAG = 'mlflow.prompt.is_prompt';

const search = (query: Query) =>
  call<SearchPage>('GET', `${MODELS}/search`, { query });

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

async function createModel(
  name: string,
  tags: Record<string, string> = {}
): Promise<ModelJson> {
  const body = await ok(
    call<{ registered_model: ModelJson }>('POST', `${MODELS}/create`, {
      body: {
        name,
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      },
    })
  );
  return body.registered_model;
}

/** Creates the models one after another, so their timestamps never decrease. */
async function createModels(names: readonly string[]): Promise<void> {
  for (const name of names) await createModel(name);
}

/** The names one search answers, in order (the search must succeed). */
async function namesFor(query: Query): Promise<string[]> {
  const response = await search({ max_results: 1000, ...query });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  if (response.body.registered_models === undefined) {
    // An empty result is `{}`, as MLflow's serializer leaves empty lists out.
    expect(response.body).toEqual({});
  }
  return (response.body.registered_models ?? []).map((m) => m.name);
}

/**
 * Follows next_page_token to the end; asserts on the way that a page with a
 * token is full and that the last page has none.
 */
async function walk(
  query: Query,
  maxResults: number
): Promise<{ pages: string[][]; models: ModelJson[] }> {
  const pages: string[][] = [];
  const models: ModelJson[] = [];
  const tokens: string[] = [];
  let pageToken: string | undefined;
  do {
    const response = await search({
      ...query,
      max_results: maxResults,
      ...(pageToken ? { page_token: pageToken } : {}),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const page = response.body.registered_models ?? [];
    const seen = new Set(models.map((m) => m.name));
    expect(
      page.filter((m) => seen.has(m.name)).map((m) => m.name),
      `page ${pages.length + 1} repeats models of earlier pages`
    ).toEqual([]);
    pageToken = response.body.next_page_token;
    if (pageToken) {
      expect(page).toHaveLength(maxResults);
      expect(tokens, 'the same next_page_token again').not.toContain(pageToken);
      tokens.push(pageToken);
    }
    pages.push(page.map((m) => m.name));
    models.push(...page);
  } while (pageToken);
  return { pages, models };
}

/** MLflow's model order: the key, then name ascending for ties. */
function byTimestampThenName(direction: 'ASC' | 'DESC') {
  const sign = direction === 'ASC' ? 1 : -1;
  return (a: ModelJson, b: ModelJson) =>
    sign * (a.last_updated_timestamp - b.last_updated_timestamp) ||
    Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
}

function expectInvalid(response: ApiResponse<unknown>, message?: string) {
  expect(response.body).toEqual({
    error_code: 'INVALID_PARAMETER_VALUE',
    message: expect.any(String),
  });
  expect(response.status).toBe(400);
  const text = (response.body as { message: string }).message;
  expect(text).not.toBe('');
  if (message !== undefined) expect(text).toContain(message);
}

describe('Registered model search', () => {
  describe('filter', () => {
    // Name order (UTF-8 bytes): B, A, C, D.
    const p = uniqueName('sf');
    const A = `${p}-model-a`;
    const B = `${p}-MODEL-b`;
    const C = `${p}-model-c1`;
    const D = `${p}-other`;
    const scope = `name LIKE '${p}%'`;

    beforeAll(async () => {
      await createModel(A, { team: 'ml', 'env.stage': 'prod', owner: 'Alice' });
      await createModel(B, { team: 'data', owner: 'bob' });
      await createModel(C);
      await createModel(D, { team: 'ml', 'env.stage': 'dev' });
    });

    it.each([
      ['name = matches one name exactly', `name = '${A}'`, [A]],
      ['name = with a double-quoted value', `name = "${C}"`, [C]],
      ['attribute.name = as the attribute', `attribute.name = '${B}'`, [B]],
      ['name = matches nothing for another case', `name = '${p}-model-A'`, []],
      ['name != leaves one name out', `${scope} AND name != '${A}'`, [B, C, D]],
      ['name LIKE is case-sensitive', `name LIKE '${p}-model-%'`, [A, C]],
      [
        'name LIKE with an upper-case pattern matches nothing here',
        `name LIKE '${p.toUpperCase()}%'`,
        [],
      ],
      ['name ILIKE ignores case', `name ILIKE '${p}-model-%'`, [B, A, C]],
      [
        'name ILIKE with an upper-case pattern',
        `name ILIKE '${p.toUpperCase()}-OTHER'`,
        [D],
      ],
      ['_ stands for exactly one character', `name LIKE '${p}-model-_'`, [A]],
      ['_ in ILIKE', `name ILIKE '${p}-model-__'`, [C]],
      ['% inside a pattern', `${scope} AND name LIKE '%-%-_'`, [B, A]],
      ['tags.k = value', `${scope} AND tags.team = 'ml'`, [A, D]],
      [
        'tags.k != value, which models without tag k also match (MLflow 3.x)',
        `${scope} AND tags.team != 'ml'`,
        [B, C],
      ],
      [
        'tags.k LIKE is case-sensitive',
        `${scope} AND tags.owner LIKE 'A%'`,
        [A],
      ],
      [
        'tags.k LIKE with the other case matches nothing',
        `${scope} AND tags.owner LIKE 'a%'`,
        [],
      ],
      ['tags.k ILIKE ignores case', `${scope} AND tags.owner ILIKE 'a%'`, [A]],
      [
        'tags.k ILIKE inside the value',
        `${scope} AND tags.owner ILIKE '%O%'`,
        [B],
      ],
      [
        'tags.k LIKE only matches models that have tag k',
        `${scope} AND tags.team LIKE '%'`,
        [B, A, D],
      ],
      ['the tag. prefix', `${scope} AND tag.team = 'data'`, [B]],
      [
        'a backticked key with dots',
        `${scope} AND tags.\`env.stage\` = 'prod'`,
        [A],
      ],
      [
        'tag. with a backticked key and !=',
        `${scope} AND tag.\`env.stage\` != 'prod'`,
        [B, C, D],
      ],
      ['an unquoted dotted key', `${scope} AND tags.env.stage = 'dev'`, [D]],
      [
        'AND of three clauses',
        `${scope} AND tags.team = 'ml' AND tags.\`env.stage\` = 'dev'`,
        [D],
      ],
      [
        'AND of a name and a tag clause on different fields',
        `name ILIKE '%-model-%' AND ${scope} AND tags.owner = 'bob'`,
        [B],
      ],
      [
        'keywords in lower case',
        `name like '${p}%' and tags.team = 'data'`,
        [B],
      ],
    ])('%s', async (_case, filter, expected) => {
      // Act
      const names = await namesFor({ filter });

      // Assess
      expect(names).toEqual(expected);
    });

    it('answers {} when nothing matches', async () => {
      // Act
      const response = await search({ filter: `${scope} AND tags.team = 'x'` });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({});
    });

    it('returns each model as registered-models/get does, latest versions and aliases included', async () => {
      // Prepare
      const name = uniqueName('sfget');
      await createModel(name, { team: 'ml' });
      await ok(
        call('POST', `${MLFLOW}/model-versions/create`, {
          body: { name, source: 's3://bucket/path' },
        })
      );
      await ok(
        call('POST', `${MODELS}/alias`, {
          body: { name, alias: 'champion', version: '1' },
        })
      );
      const fetched = await ok(
        call<{ registered_model: ModelJson }>('GET', `${MODELS}/get`, {
          query: { name },
        })
      );

      // Act
      const response = await search({ filter: `name LIKE '${name}%'` });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        registered_models: [fetched.registered_model],
      });
      expect(fetched.registered_model).toMatchObject({
        latest_versions: [{ name, version: '1' }],
        aliases: [{ alias: 'champion', version: '1' }],
      });
    });

    it('returns the tags of the models it finds', async () => {
      // Act
      const response = await search({ filter: `name = '${D}'` });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.registered_models?.[0]?.tags).toEqual([
        { key: 'env.stage', value: 'dev' },
        { key: 'team', value: 'ml' },
      ]);
    });
  });

  describe('filter after changes', () => {
    it('finds a renamed model under its new name only', async () => {
      // Prepare
      const name = uniqueName('sfren');
      await createModel(name);
      const newName = `${name}-renamed`;
      await ok(
        call('POST', `${MODELS}/rename`, {
          body: { name, new_name: newName },
        })
      );

      // Act
      const found = await namesFor({ filter: `name LIKE '${name}%'` });
      const old = await namesFor({ filter: `name = '${name}'` });

      // Assess
      expect(found).toEqual([newName]);
      expect(old).toEqual([]);
    });

    it('no longer finds a deleted model', async () => {
      // Prepare
      const name = uniqueName('sfdel');
      await createModel(name);
      await ok(call('DELETE', `${MODELS}/delete`, { body: { name } }));

      // Act
      const byPrefix = await namesFor({ filter: `name LIKE '${name}%'` });
      const byName = await namesFor({ filter: `name = '${name}'` });

      // Assess
      expect(byPrefix).toEqual([]);
      expect(byName).toEqual([]);
    });

    it('follows tags as they are set and deleted', async () => {
      // Prepare
      const name = uniqueName('sftag');
      await createModel(name);
      const filter = `name LIKE '${name}%' AND tags.stage = 'gold'`;
      await ok(
        call('POST', `${MODELS}/set-tag`, {
          body: { name, key: 'stage', value: 'gold' },
        })
      );

      // Act
      const afterSet = await namesFor({ filter });
      await ok(
        call('DELETE', `${MODELS}/delete-tag`, {
          body: { name, key: 'stage' },
        })
      );
      const afterDelete = await namesFor({ filter });

      // Assess
      expect(afterSet).toEqual([name]);
      expect(afterDelete).toEqual([]);
    });

    it('finds names with spaces, +, /, &, = and non-ASCII sent through the query string', async () => {
      // Prepare
      const prefix = `${uniqueName('sfodd')} a+b/c&d=e`;
      const name = `${prefix} ünï 模型`;
      await createModel(name);

      // Act
      const exact = await namesFor({ filter: `name = '${name}'` });
      const like = await namesFor({ filter: `name LIKE '${prefix}%'` });
      const ilike = await namesFor({
        filter: `name ILIKE '${prefix.toUpperCase()} ÜNÏ%'`,
      });

      // Assess
      expect(exact).toEqual([name]);
      expect(like).toEqual([name]);
      expect(ilike).toEqual([name]);
    });
  });

  describe('order_by', () => {
    // Created c, b, a in that order, then c updated: name order and
    // update order disagree.
    const q = uniqueName('so');
    const [a, b, c] = [`${q}-a`, `${q}-b`, `${q}-c`];
    const filter = `name LIKE '${q}%'`;
    let models: ModelJson[] = [];

    beforeAll(async () => {
      await createModels([c, b, a]);
      await ok(
        call('PATCH', `${MODELS}/update`, {
          body: { name: c, description: 'touched' },
        })
      );
      models = await Promise.all(
        [a, b, c].map(async (name) => {
          const body = await ok(
            call<{ registered_model: ModelJson }>('GET', `${MODELS}/get`, {
              query: { name },
            })
          );
          return body.registered_model;
        })
      );
    });

    it.each([
      ['no order_by sorts by name ascending', [], [a, b, c]],
      ['name ASC', ['name ASC'], [a, b, c]],
      ['name without a direction is ascending', ['name'], [a, b, c]],
      ['name DESC', ['name DESC'], [c, b, a]],
      ['a direction in lower case', ['name desc'], [c, b, a]],
    ])('%s', async (_case, orderBy, expected) => {
      // Act
      const names = await namesFor({ filter, order_by: orderBy });

      // Assess
      expect(names).toEqual(expected);
    });

    it.each([
      ['timestamp ASC', 'ASC'],
      ['timestamp', 'ASC'],
      ['timestamp DESC', 'DESC'],
      ['last_updated_timestamp ASC', 'ASC'],
      ['last_updated_timestamp DESC', 'DESC'],
    ] as const)(
      '%s sorts by last update, ties by name',
      async (orderBy, direction) => {
        // Act
        const names = await namesFor({ filter, order_by: [orderBy] });

        // Assess
        const expected = [...models].sort(byTimestampThenName(direction));
        expect(names).toEqual(expected.map((m) => m.name));
      }
    );

    it('takes several keys as repeated order_by query keys', async () => {
      // Act
      const names = await namesFor({
        filter,
        order_by: ['timestamp DESC', 'name ASC'],
      });

      // Assess
      expect(names).toEqual(
        [...models].sort(byTimestampThenName('DESC')).map((m) => m.name)
      );
    });

    it.each([
      [
        'creation_timestamp, which MLflow does not sort models by',
        ['creation_timestamp DESC'],
      ],
      ['a key given twice', ['name ASC', 'name DESC']],
      [
        'timestamp and last_updated_timestamp together (the same field)',
        ['timestamp DESC', 'last_updated_timestamp ASC'],
      ],
      ['an unknown key', ['version_number DESC']],
      ['an unknown direction', ['name UP']],
      ['extra words', ['name ASC NULLS FIRST']],
    ])(
      'refuses %s with 400 INVALID_PARAMETER_VALUE',
      async (_case, orderBy) => {
        // Act
        const response = await search({ filter, order_by: orderBy });

        // Assess
        expectInvalid(response);
      }
    );
  });

  describe('pagination', () => {
    it('walks at least three pages under a filter in name order, each model once', async () => {
      // Prepare
      const prefix = uniqueName('sp');
      const names = Array.from({ length: 7 }, (_, i) => `${prefix}-${i}`);
      await createModels(names);

      // Act
      const { pages } = await walk({ filter: `name LIKE '${prefix}%'` }, 3);

      // Assess
      expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(names);
    });

    it('walks pages in name DESC order', async () => {
      // Prepare
      const prefix = uniqueName('sp');
      const names = Array.from({ length: 7 }, (_, i) => `${prefix}-${i}`);
      await createModels(names);

      // Act
      const { pages } = await walk(
        { filter: `name LIKE '${prefix}%'`, order_by: ['name DESC'] },
        3
      );

      // Assess
      expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual([...names].reverse());
    });

    it('walks pages in last-update order', async () => {
      // Prepare
      const prefix = uniqueName('sp');
      const names = Array.from({ length: 7 }, (_, i) => `${prefix}-${i}`);
      await createModels(names);

      // Act
      const { pages, models } = await walk(
        { filter: `name LIKE '${prefix}%'`, order_by: ['timestamp DESC'] },
        3
      );

      // Assess
      expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
      expect(new Set(pages.flat())).toEqual(new Set(names));
      expect(models.map((m) => m.name)).toEqual(
        [...models].sort(byTimestampThenName('DESC')).map((m) => m.name)
      );
    });

    it('ends without an empty page when the matches fill the last page exactly', async () => {
      // Prepare
      const prefix = uniqueName('sp');
      const names = Array.from({ length: 6 }, (_, i) => `${prefix}-${i}`);
      await createModels(names);

      // Act
      const { pages } = await walk({ filter: `name LIKE '${prefix}%'` }, 3);

      // Assess
      expect(pages.map((page) => page.length)).toEqual([3, 3]);
      expect(pages.flat()).toEqual(names);
    });

    it('fills full pages when only some models in the range match', async () => {
      // Prepare
      const prefix = uniqueName('sp');
      const names = Array.from({ length: 9 }, (_, i) => `${prefix}-${i}`);
      for (const [i, name] of names.entries()) {
        await createModel(name, i % 2 === 0 ? { keep: 'yes' } : {});
      }

      // Act
      const { pages } = await walk(
        { filter: `name LIKE '${prefix}%' AND tags.keep = 'yes'` },
        2
      );

      // Assess
      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual(names.filter((_, i) => i % 2 === 0));
    });

    it('walks pages under an ILIKE filter, which cannot narrow by prefix', async () => {
      // Prepare
      const prefix = uniqueName('sp');
      const names = Array.from({ length: 5 }, (_, i) => `${prefix}-${i}`);
      await createModels(names);

      // Act
      const { pages } = await walk(
        { filter: `name ILIKE '${prefix.toUpperCase()}%'` },
        2
      );

      // Assess
      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual(names);
    });

    it('pages through a LIKE filter whose prefix is itself a model name', async () => {
      // Prepare
      const prefix = uniqueName('sp');
      const names = [prefix, `${prefix}-0`, `${prefix}-1`];
      await createModels(names);

      // Act
      const { pages } = await walk({ filter: `name LIKE '${prefix}%'` }, 1);

      // Assess
      expect(pages).toEqual(names.map((name) => [name]));
    });

    it('defaults to 100 models per page and accepts up to 1000', async () => {
      // Prepare
      const prefix = uniqueName('sp');
      const names = Array.from(
        { length: 101 },
        (_, i) => `${prefix}-${String(i).padStart(3, '0')}`
      );
      for (let start = 0; start < names.length; start += 20) {
        await Promise.all(
          names.slice(start, start + 20).map((name) => createModel(name))
        );
      }
      const filter = `name LIKE '${prefix}%'`;

      // Act
      const byDefault = await search({ filter });
      const rest = await search({
        filter,
        page_token: byDefault.body.next_page_token ?? '',
      });
      const all = await search({ filter, max_results: 1000 });

      // Assess
      expect(byDefault.status).toBe(200);
      expect(byDefault.body.registered_models?.map((m) => m.name)).toEqual(
        names.slice(0, 100)
      );
      expect(byDefault.body.next_page_token).toEqual(expect.any(String));
      expect(rest.body.registered_models?.map((m) => m.name)).toEqual(
        names.slice(100)
      );
      expect(rest.body.next_page_token).toBeUndefined();
      expect(all.status).toBe(200);
      expect(all.body.registered_models).toHaveLength(101);
      expect(all.body.next_page_token).toBeUndefined();
    });

    it('refuses a page token issued for another order_by with 400', async () => {
      // Prepare
      const prefix = uniqueName('sp');
      await createModels([`${prefix}-0`, `${prefix}-1`, `${prefix}-2`]);
      const filter = `name LIKE '${prefix}%'`;
      const first = await ok(
        search({ filter, order_by: ['name ASC'], max_results: 1 })
      );
      const pageToken = first.next_page_token ?? '';

      // Act
      const sameOrder = await search({
        filter,
        order_by: ['name ASC'],
        max_results: 1,
        page_token: pageToken,
      });
      const otherOrder = await search({
        filter,
        order_by: ['timestamp DESC'],
        max_results: 1,
        page_token: pageToken,
      });

      // Assess
      expect(pageToken).not.toBe('');
      expect(sameOrder.status).toBe(200);
      expect(sameOrder.body.registered_models?.map((m) => m.name)).toEqual([
        `${prefix}-1`,
      ]);
      expectInvalid(otherOrder);
    });

    it('answers a page token reused under another filter without a server error', async () => {
      // Prepare: a token positioned past every name the second filter allows
      const early = uniqueName('sp-a');
      const late = uniqueName('sp-z');
      await createModels([`${early}-0`, `${early}-1`]);
      await createModels([`${late}-0`, `${late}-1`]);
      const lateToken = (
        await ok(search({ filter: `name LIKE '${late}%'`, max_results: 1 }))
      ).next_page_token;

      // Act
      const response = await search({
        filter: `name LIKE '${early}%'`,
        max_results: 1,
        page_token: lateToken ?? '',
      });

      // Assess
      expect(lateToken).toEqual(expect.any(String));
      expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
      if (response.status === 200) {
        for (const model of response.body.registered_models ?? []) {
          expect(model.name.startsWith(early)).toBe(true);
        }
      } else {
        expectInvalid(response);
      }
    });

    it('refuses a well-formed page token with an empty position with 400', async () => {
      // Prepare
      const forged = (o: string) =>
        Buffer.from(JSON.stringify({ o, p: '' })).toString('base64url');

      // Act
      const byName = await search({ page_token: forged('name ASC') });
      const byUpdate = await search({
        order_by: ['timestamp DESC'],
        page_token: forged('last_updated_timestamp DESC,name ASC'),
      });

      // Assess
      expectInvalid(byName);
      expectInvalid(byUpdate);
    });

    it.each([
      ['more than 1000 results', { max_results: 1001 }],
      ['zero results', { max_results: 0 }],
      ['a negative number of results', { max_results: -1 }],
      ['a page token it did not issue', { page_token: 'bm90LWEtdG9rZW4' }],
    ])('refuses %s with 400 INVALID_PARAMETER_VALUE', async (_case, query) => {
      // Act
      const response = await search(query);

      // Assess
      expectInvalid(response);
    });
  });

  describe('prompts', () => {
    const r = uniqueName('spr');
    const model = `${r}-model`;
    const prompt = `${r}-prompt`;
    const notPrompt = `${r}-xnot-prompt`;

    beforeAll(async () => {
      await createModel(model);
      await createModel(prompt, { [PROMPT_TAG]: 'true' });
      await createModel(notPrompt, { [PROMPT_TAG]: 'false' });
    });

    it.each([
      [
        'a filter that does not mention the prompt tag',
        `name LIKE '${r}%'`,
        [model, notPrompt],
      ],
      ['an exact name filter', `name = '${prompt}'`, []],
      [
        "the 3.x client's own exclusion clause",
        `name LIKE '${r}%' AND tag.\`${PROMPT_TAG}\` != 'true'`,
        [model, notPrompt],
      ],
    ])('leaves prompts out for %s', async (_case, filter, expected) => {
      // Act
      const names = await namesFor({ filter });

      // Assess
      expect(names).toEqual(expected);
    });

    it('leaves prompts out when ordering by last update', async () => {
      // Act
      const names = await namesFor({
        filter: `name LIKE '${r}%'`,
        order_by: ['timestamp DESC'],
      });

      // Assess
      expect([...names].sort()).toEqual([model, notPrompt]);
    });

    it.each([
      ['= true', `tags.\`${PROMPT_TAG}\` = 'true'`, [prompt]],
      ['LIKE %', `tags.\`${PROMPT_TAG}\` LIKE '%'`, [prompt, notPrompt]],
    ])(
      'finds prompts when the filter mentions the prompt tag (%s)',
      async (_case, clause, expected) => {
        // Act
        const names = await namesFor({
          filter: `name LIKE '${r}%' AND ${clause}`,
        });

        // Assess
        expect(names).toEqual(expected);
      }
    );

    it('leaves prompts out of registered-models/list', async () => {
      // Act
      const seen: string[] = [];
      let pageToken: string | undefined;
      do {
        const response = await call<SearchPage>('GET', `${MODELS}/list`, {
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
      expect(seen).toContain(model);
      expect(seen).toContain(notPrompt);
      expect(seen).not.toContain(prompt);
    });
  });

  describe('worst-case LIKE patterns', () => {
    const prefix = uniqueName('worst-like');
    const value = 'a'.repeat(5000);
    const tenPercent = `tags.k LIKE '${'%a'.repeat(9)}%b'`;
    const inFixture = `name LIKE '${prefix}-%'`;

    beforeAll(async () => {
      await createModel(`${prefix}-a`, { k: value });
      await createModel(`${prefix}-b`, { k: `${value.slice(1)}b` });
      await createModel(`${prefix}-c`, { k: value.toUpperCase() });
    });

    it.each([
      [tenPercent, ['b']],
      [`tags.k ILIKE '${'%A'.repeat(9)}%b'`, ['b']],
      [`tags.k ILIKE '${'%a'.repeat(9)}%'`, ['a', 'b', 'c']],
      [`tags.k LIKE '${'%a'.repeat(9)}%'`, ['a', 'b']],
      [`tags.k LIKE '${'%a_'.repeat(9)}%b'`, ['b']],
    ])(
      'answers %s over 5,000-character tag values',
      async (filter, suffixes) => {
        // Act
        const names = await namesFor({ filter: `${inFixture} AND ${filter}` });

        // Assess
        expect(names).toEqual(suffixes.map((s) => `${prefix}-${s}`));
      }
    );

    it('keeps /health answering while such searches run side by side', async () => {
      // Act: eight worst-case searches at once, /health asked among them.
      const searches = Array.from({ length: 8 }, () =>
        namesFor({ filter: `${inFixture} AND ${tenPercent}` })
      );
      const health = await call('GET', '/health', { token: null });
      const answers = await Promise.all(searches);

      // Assess
      expect(health.status).toBe(200);
      for (const names of answers) expect(names).toEqual([`${prefix}-b`]);
    });
  });

  describe('filter errors', () => {
    it.each([
      ['OR', "name = 'a' OR name = 'b'", 'Invalid clause(s) in filter string'],
      ['parentheses', "(name = 'a')", 'Invalid clause(s) in filter string'],
      [
        'a parenthesised OR after AND',
        "name = 'a' AND (tags.k = 'b' OR tags.k = 'c')",
        'Invalid clause(s) in filter string',
      ],
      ['NOT', "NOT name = 'a'", 'Invalid clause(s) in filter string'],
      ['an unknown attribute', "description = 'x'", "'description'"],
      ['a model-version attribute', "run_id = 'x'", "'run_id'"],
      ['an unknown entity', "params.k = 'x'", "'params'"],
      ['IN on name', "name IN ('a', 'b')", 'IN'],
      ['> on a tag', "tags.k > 'a'", '>'],
      ['< on name', "name < 'a'", '<'],
      ['an unquoted value', 'name = foo', 'foo'],
      ['a number for name', 'name = 42', '42'],
      ['an unterminated string', "name = 'abc", 'Unterminated'],
      ['a dangling AND', "name = 'a' AND", 'AND'],
      ['a missing value', 'name =', 'value'],
      [
        'a filter over 4096 characters',
        `name LIKE '${'a'.repeat(4085)}'`,
        'filter had length 4097, which exceeded length limit of 4096',
      ],
      [
        'more than 20 clauses',
        Array.from({ length: 21 }, (_, i) => `tags.k${i} = 'v'`).join(' AND '),
        'filter has more than 20 clauses',
      ],
    ])(
      'refuses %s with 400 INVALID_PARAMETER_VALUE',
      async (_case, filter, message) => {
        // Act
        const response = await search({ filter });

        // Assess
        expectInvalid(response, message);
      }
    );
  });
});
