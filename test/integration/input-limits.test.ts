import { beforeAll, describe, expect, it } from 'vitest';
import { limits } from '#domain/limits.ts';
import { routeKey, routes } from '#http/routes.ts';
import { type ApiResponse, call, MLFLOW, uniqueName } from '../support/api.ts';
import {
  COMMENTS,
  createModel,
  type ErrorJson,
  expectStatus,
  listRequests,
  openRequest,
  REQUESTS,
} from './support/requests.ts';

/**
 * The edge check (`functions/http/input-check.ts`): text, lengths and JSON
 * depth are refused with 400 before any route check or operation reads
 * them, on every route, and nothing changes.
 */

const LONG_ID = 'x'.repeat(3000);
const HUGE_COMMENT = 'c'.repeat(500_000);
/** A 5,000-deep nested array, as raw JSON text. */
const DEEP = `${'['.repeat(5000)}${']'.repeat(5000)}`;

function expectRefused(
  response: ApiResponse<unknown>,
  ...fragments: string[]
): void {
  expectStatus(response, 400);
  const body = response.body as ErrorJson;
  expect(Object.keys(body).sort()).toStrictEqual(['error_code', 'message']);
  expect(body.error_code).toBe('INVALID_PARAMETER_VALUE');
  for (const fragment of fragments) expect(body.message).toContain(fragment);
}

async function modelJson(name: string) {
  const response = await call<{ registered_model: unknown }>(
    'GET',
    `${MLFLOW}/registered-models/get`,
    { query: { name } }
  );
  expectStatus(response, 200);
  return response.body.registered_model;
}

async function versionJson(name: string, version: string) {
  const response = await call<{ model_version: unknown }>(
    'GET',
    `${MLFLOW}/model-versions/get`,
    { query: { name, version } }
  );
  expectStatus(response, 200);
  return response.body.model_version;
}

describe('text at the edge', () => {
  let name: string;

  beforeAll(async () => {
    ({ name } = await createModel(1, 'edge'));
  });

  it.each([
    [
      'a model tag key with a lone high surrogate',
      'registered-models',
      'k\ud800',
    ],
    [
      'a model tag key with a lone low surrogate',
      'registered-models',
      'k\udc00',
    ],
    [
      'a version tag key with a lone high surrogate',
      'model-versions',
      'k\ud800',
    ],
    [
      'a version tag key with a lone low surrogate',
      'model-versions',
      'k\udc00',
    ],
  ])(
    'refuses %s, and every read keeps working',
    async (_case, resource, key) => {
      // Prepare
      const model = await modelJson(name);
      const version = await versionJson(name, '1');

      // Act
      const response = await call('POST', `${MLFLOW}/${resource}/set-tag`, {
        body: { name, version: '1', key, value: 'v' },
      });

      // Assess
      expectRefused(response, "'key'", 'lone surrogate');
      expect(await modelJson(name)).toStrictEqual(model);
      expect(await versionJson(name, '1')).toStrictEqual(version);
      for (const path of [
        'registered-models/search',
        'registered-models/list',
        'model-versions/search',
      ]) {
        expectStatus(await call('GET', `${MLFLOW}/${path}`), 200);
      }
    }
  );

  it('refuses a lone surrogate in a tag value, in a field name and inside a list', async () => {
    // Act
    const responses = await Promise.all([
      call('POST', `${MLFLOW}/registered-models/set-tag`, {
        body: { name, key: 'k', value: 'v\udfff' },
      }),
      call('POST', `${MLFLOW}/registered-models/set-tag`, {
        body: { name, key: 'k', value: 'v', 'x\ud800': 1 },
      }),
      call('POST', `${MLFLOW}/registered-models/create`, {
        body: {
          name: uniqueName('edge'),
          tags: [{ key: 'a\ud800', value: '' }],
        },
      }),
    ]);

    // Assess
    expectRefused(responses[0] as ApiResponse, "'value'", 'lone surrogate');
    expectRefused(responses[1] as ApiResponse, 'lone surrogate');
    expectRefused(
      responses[2] as ApiResponse,
      "'tags.0.key'",
      'lone surrogate'
    );
    expect(await modelJson(name)).not.toHaveProperty('tags');
  });

  it('refuses control characters in names, keeps line breaks and tabs in descriptions', async () => {
    // Act
    const nul = await call('GET', `${MLFLOW}/registered-models/get`, {
      query: { name: 'a\u0000b' },
    });
    const inPath = await call('GET', '/api/2.0/preview/scim/v2/Users/%00');
    const newline = await call('POST', `${MLFLOW}/registered-models/rename`, {
      body: { name, new_name: 'two\nlines' },
    });
    const bell = await call('PATCH', `${MLFLOW}/registered-models/update`, {
      body: { name, description: 'ding\u0007' },
    });
    const multiLine = await call(
      'PATCH',
      `${MLFLOW}/registered-models/update`,
      {
        body: { name, description: 'line 1\r\n\tline 2' },
      }
    );

    // Assess
    expectRefused(nul, "'name'", 'U+0000');
    expectRefused(inPath, "'id'", 'U+0000');
    expectRefused(newline, "'new_name'", 'U+000A');
    expectRefused(bell, "'description'", 'U+0007');
    expectStatus(multiLine, 200);
    expect(await modelJson(name)).toMatchObject({
      name,
      description: 'line 1\r\n\tline 2',
    });
  });

  it('reads UTF-8 escapes of a surrogate in a query string as U+FFFD, never as a lone surrogate', async () => {
    // Act
    const response = await call<ErrorJson>(
      'GET',
      `${MLFLOW}/registered-models/get?name=n%ED%A0%80`
    );

    // Assess
    expectStatus(response, 404);
    expect(response.body.message).toContain('n\ufffd\ufffd\ufffd');
  });
});

describe('JSON depth', () => {
  // Routes whose body is not JSON (a file for DBFS, a form for OAuth's
  // token endpoint) take no JSON to nest.
  const withBody = routes.filter(
    (route) => route.method !== 'GET' && route.body === undefined
  );

  it('covers every route that takes a JSON body', () => {
    // Assess
    expect(withBody.length).toBeGreaterThanOrEqual(41);
  });

  it.each(withBody.map((route) => [routeKey(route), route] as const))(
    'refuses a 5,000-deep array on %s',
    async (_key, route) => {
      // Prepare
      const path = route.path.replace(/\{(\w+)\}/g, 'x');

      // Act
      const response = await call(route.method, path, {
        rawBody: `{"name":${DEEP}}`,
      });

      // Assess
      if (route.path === '/callbacks/slack/interactions') {
        // Slack's signature is checked over the raw body before anything
        // parses it: an unsigned body is refused unread.
        expect([401, 403]).toContain(response.status);
        expect(response.body.error_code).toBe('PERMISSION_DENIED');
        return;
      }
      expectRefused(
        response,
        `more than ${limits.jsonDepth} levels deep, the JSON depth limit`
      );
    }
  );
});

describe('ids', () => {
  const pathParameterRoutes = routes.filter((route) =>
    /\{\w+\}/.test(route.path)
  );

  it.each(
    pathParameterRoutes.map((route) => [routeKey(route), route] as const)
  )('refuses a 3,000-character path id on %s', async (_key, route) => {
    // Prepare
    const parameter = /\{(\w+)\}/.exec(route.path)?.[1] ?? '';
    const path = route.path.replace(/\{\w+\}/, LONG_ID);

    // Act
    const response = await call(
      route.method,
      path,
      route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} }
    );

    // Assess
    expectRefused(
      response,
      `'${parameter}'`,
      `length limit of ${limits.idLength}`
    );
  });

  it.each([
    [
      'PATCH',
      `${COMMENTS}/update`,
      { body: { id: LONG_ID, comment: 'c' } },
      'id',
    ],
    ['DELETE', `${COMMENTS}/delete`, { query: { id: LONG_ID } }, 'id'],
    [
      'PATCH',
      `${MLFLOW}/registry-webhooks/update`,
      { body: { id: LONG_ID, description: 'd' } },
      'id',
    ],
    [
      'DELETE',
      `${MLFLOW}/registry-webhooks/delete`,
      { query: { id: LONG_ID } },
      'id',
    ],
    [
      'POST',
      `${MLFLOW}/registry-webhooks/test`,
      { body: { id: LONG_ID } },
      'id',
    ],
    [
      'POST',
      '/api/2.0/stagegate/uploads/complete',
      { body: { upload_id: LONG_ID, files: [] } },
      'upload_id',
    ],
    [
      'POST',
      '/api/2.0/token/delete',
      { body: { token_id: LONG_ID } },
      'token_id',
    ],
    [
      'GET',
      '/api/2.0/token-management/tokens',
      { query: { created_by_id: LONG_ID } },
      'created_by_id',
    ],
    [
      'POST',
      '/api/2.0/preview/scim/v2/Groups',
      { body: { displayName: uniqueName('g'), members: [{ value: LONG_ID }] } },
      'members.0.value',
    ],
    [
      'POST',
      '/api/2.0/preview/scim/v2/Users',
      {
        body: {
          userName: `${uniqueName('u')}@example.com`,
          groups: [{ value: LONG_ID }],
        },
      },
      'groups.0.value',
    ],
  ] as const)(
    'refuses a 3,000-character id on %s %s',
    async (method, path, options, field) => {
      // Act
      const response = await call(method, path, options);

      // Assess
      expectRefused(
        response,
        `'${field}'`,
        `length limit of ${limits.idLength}`
      );
    }
  );

  it('refuses an empty token_id on token/delete, revoking nothing', async () => {
    // Prepare
    const before = await call('GET', '/api/2.0/token/list');

    // Act
    const response = await call('POST', '/api/2.0/token/delete', {
      body: { token_id: '' },
    });

    // Assess
    expectRefused(response, "'token_id'", 'must not be empty');
    expect((await call('GET', '/api/2.0/token/list')).body).toStrictEqual(
      before.body
    );
  });
});

describe('comments', () => {
  let name: string;

  beforeAll(async () => {
    ({ name } = await createModel(1, 'comment-cap'));
    await openRequest({ name, version: '1', stage: 'Staging' });
  });

  it.each([
    [
      'transition-requests/create',
      `${REQUESTS}/create`,
      { stage: 'Production' },
    ],
    [
      'transition-requests/approve',
      `${REQUESTS}/approve`,
      { stage: 'Staging', archive_existing_versions: false },
    ],
    ['transition-requests/reject', `${REQUESTS}/reject`, { stage: 'Staging' }],
    [
      'databricks/model-versions/transition-stage',
      `${MLFLOW}/databricks/model-versions/transition-stage`,
      { stage: 'Staging', archive_existing_versions: false },
    ],
    ['comments/create', `${COMMENTS}/create`, {}],
  ])(
    'refuses a 500 KB comment on %s, changing nothing',
    async (_route, path, fields) => {
      // Prepare
      const requests = await listRequests(name, '1');
      const version = await versionJson(name, '1');

      // Act
      const response = await call('POST', path, {
        body: { name, version: '1', comment: HUGE_COMMENT, ...fields },
      });

      // Assess
      expectRefused(
        response,
        "'comment'",
        `length limit of ${limits.commentLength}`
      );
      expect((await listRequests(name, '1')).body).toStrictEqual(requests.body);
      expect(await versionJson(name, '1')).toStrictEqual(version);
    }
  );

  it('accepts a comment of exactly the cap everywhere', async () => {
    // Act
    const response = await call('POST', `${COMMENTS}/create`, {
      body: { name, version: '1', comment: 'c'.repeat(limits.commentLength) },
    });

    // Assess
    expectStatus(response, 200);
  });
});
