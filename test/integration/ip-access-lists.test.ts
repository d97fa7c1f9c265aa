import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLFLOW } from '../support/api.ts';
import { type OwnRegistry, startOwnRegistry } from './support/own-registry.ts';

/**
 * IP access lists (Databricks' API) and their enforcement by the local
 * gateway's authorizer on the socket address. The tests reach the registry
 * from two loopback addresses: 127.0.0.1 (the admin's, kept allowed) and
 * 127.0.0.2 (the one the lists block). A registry of its own: enforcement
 * would refuse the other test files.
 */

const LISTS = '/api/2.0/ip-access-lists';
const CONF = '/api/2.0/workspace-conf';
const OTHER = '127.0.0.2';

let registry: OwnRegistry;

beforeAll(async () => {
  registry = await startOwnRegistry('ip-access', {});
});

afterAll(async () => {
  await registry?.stop();
});

/** A call from another loopback address than the admin's. */
function callFrom(
  localAddress: string,
  method: string,
  path: string,
  token: string | null = registry.adminToken
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(path, registry.url);
  return new Promise((resolve, reject) => {
    const sent = request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method,
        localAddress,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body:
              text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
          })
        );
      }
    );
    sent.on('error', reject);
    sent.end();
  });
}

/**
 * Calls until the answer's status is `status` (the authorizer reads the
 * lists at most once a second in tests), or gives up and returns the last.
 */
async function eventually(
  status: number,
  call: () => Promise<{ status: number; body: Record<string, unknown> }>
) {
  let last = await call();
  for (let attempt = 0; attempt < 40 && last.status !== status; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await call();
  }
  return last;
}

interface ListJson {
  list_id: string;
  label: string;
  list_type: string;
  ip_addresses: string[];
  address_count: number;
  enabled: boolean;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
}

describe('IP access lists', () => {
  it('are created, listed, read, replaced, updated and deleted in the Databricks shape', async () => {
    // Act
    const created = await registry.call<{ ip_access_list: ListJson }>(
      'POST',
      LISTS,
      {
        body: {
          label: 'office',
          list_type: 'ALLOW',
          ip_addresses: ['192.0.2.0/24', '198.51.100.7'],
        },
      }
    );
    const id = created.body.ip_access_list.list_id;
    const listed = await registry.call<{ ip_access_lists: ListJson[] }>(
      'GET',
      LISTS
    );
    const replaced = await registry.call('PUT', `${LISTS}/${id}`, {
      body: {
        label: 'office-2',
        list_type: 'ALLOW',
        ip_addresses: ['192.0.2.0/24'],
        enabled: false,
      },
    });
    const updated = await registry.call('PATCH', `${LISTS}/${id}`, {
      body: { enabled: true },
    });
    const got = await registry.call<{ ip_access_list: ListJson }>(
      'GET',
      `${LISTS}/${id}`
    );
    const deleted = await registry.call('DELETE', `${LISTS}/${id}`);
    const gone = await registry.call('GET', `${LISTS}/${id}`);

    // Assess
    expect(created.status).toBe(200);
    expect(created.body.ip_access_list).toEqual({
      list_id: expect.any(String),
      label: 'office',
      list_type: 'ALLOW',
      ip_addresses: ['192.0.2.0/24', '198.51.100.7'],
      address_count: 2,
      enabled: true,
      created_at: expect.any(Number),
      created_by: expect.any(String),
      updated_at: expect.any(Number),
      updated_by: expect.any(String),
    });
    expect(listed.body.ip_access_lists.map((list) => list.list_id)).toEqual([
      id,
    ]);
    expect(replaced.status).toBe(200);
    expect(updated.status).toBe(200);
    expect(got.body.ip_access_list).toMatchObject({
      label: 'office-2',
      ip_addresses: ['192.0.2.0/24'],
      enabled: true,
    });
    expect(deleted.status).toBe(200);
    expect(gone.status).toBe(404);
  });

  it.each([
    [
      'a malformed address',
      { label: 'x', list_type: 'BLOCK', ip_addresses: ['300.1.1.1'] },
    ],
    [
      'a prefix too long',
      { label: 'x', list_type: 'BLOCK', ip_addresses: ['10.0.0.0/33'] },
    ],
    [
      'an unknown list type',
      { label: 'x', list_type: 'DENY', ip_addresses: ['10.0.0.1'] },
    ],
    ['no label', { list_type: 'BLOCK', ip_addresses: ['10.0.0.1'] }],
  ])('refuses %s with 400', async (_what, body) => {
    // Act
    const created = await registry.call('POST', LISTS, { body });

    // Assess
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
    });
  });

  it('are for admins only', async () => {
    // Prepare
    const user = await registry.call<{ userName: string }>(
      'POST',
      '/api/2.0/preview/scim/v2/Users',
      { body: { userName: `ip-${Date.now()}@example.com` } }
    );
    const token = await registry.call<{ token_value: string }>(
      'POST',
      '/api/2.0/token-management/on-behalf-of/tokens',
      { body: { user_name: user.body.userName } }
    );

    // Act
    const listed = await registry.call('GET', LISTS, {
      token: token.body.token_value,
    });
    const conf = await registry.call('GET', CONF, {
      query: { keys: 'enableIpAccessLists' },
      token: token.body.token_value,
    });

    // Assess
    expect(listed.status).toBe(403);
    expect(conf.status).toBe(403);
  });
});

describe('enforcement', () => {
  it('refuses a BLOCK-listed address before anything else, with 403 in the Databricks shape, and lets others in', async () => {
    // Prepare
    const blocked = await registry.call<{ ip_access_list: ListJson }>(
      'POST',
      LISTS,
      { body: { label: 'blocked', list_type: 'BLOCK', ip_addresses: [OTHER] } }
    );
    const enabled = await registry.call('PATCH', CONF, {
      body: { enableIpAccessLists: 'true' },
    });

    // Act
    const withToken = await eventually(403, () =>
      callFrom(OTHER, 'GET', `${MLFLOW}/registered-models/search`)
    );
    const withoutToken = await callFrom(
      OTHER,
      'GET',
      `${MLFLOW}/registered-models/search`,
      null
    );
    const unknownRoute = await callFrom(OTHER, 'GET', '/api/2.0/nowhere');
    const ipEndpoints = await callFrom(OTHER, 'GET', LISTS);
    const tokenEndpoint = await callFrom(OTHER, 'POST', '/oidc/v1/token', null);
    const fromAllowed = await registry.call(
      'GET',
      `${MLFLOW}/registered-models/search`
    );
    const conf = await registry.call('GET', CONF, {
      query: { keys: 'enableIpAccessLists' },
    });

    // Assess
    expect(blocked.status).toBe(200);
    expect(enabled.status).toBe(200);
    for (const refused of [
      withToken,
      withoutToken,
      unknownRoute,
      ipEndpoints,
      tokenEndpoint,
    ]) {
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({
        error_code: 'PERMISSION_DENIED',
        message: expect.stringContaining(OTHER),
      });
    }
    expect(fromAllowed.status).toBe(200);
    expect(conf.body).toEqual({ enableIpAccessLists: 'true' });

    // Act: the list removed, the address is let in again
    await registry.call(
      'DELETE',
      `${LISTS}/${blocked.body.ip_access_list.list_id}`
    );
    const again = await eventually(200, () =>
      callFrom(OTHER, 'GET', `${MLFLOW}/registered-models/search`)
    );

    // Assess
    expect(again.status).toBe(200);
  });

  it('lets only ALLOW-listed addresses in while an ALLOW list is enabled', async () => {
    // Prepare
    const allowed = await registry.call<{ ip_access_list: ListJson }>(
      'POST',
      LISTS,
      {
        body: {
          label: 'admins-desk',
          list_type: 'ALLOW',
          ip_addresses: ['127.0.0.1/32'],
        },
      }
    );

    // Act
    const outside = await eventually(403, () =>
      callFrom(OTHER, 'GET', `${MLFLOW}/registered-models/search`)
    );
    const inside = await callFrom(
      '127.0.0.1',
      'GET',
      `${MLFLOW}/registered-models/search`
    );

    // Assess
    expect(outside.status).toBe(403);
    expect(inside.status).toBe(200);
    await registry.call(
      'DELETE',
      `${LISTS}/${allowed.body.ip_access_list.list_id}`
    );
  });
});

describe('the self-lock-out guard', () => {
  it.each([
    [
      "a BLOCK list with the caller's address",
      () =>
        registry.call('POST', LISTS, {
          body: {
            label: 'self',
            list_type: 'BLOCK',
            ip_addresses: ['127.0.0.0/8'],
          },
        }),
    ],
    [
      "an ALLOW list without the caller's address, once enforced",
      () =>
        registry.call('POST', LISTS, {
          body: {
            label: 'elsewhere',
            list_type: 'ALLOW',
            ip_addresses: ['10.0.0.0/8'],
          },
        }),
    ],
  ])('refuses %s, changing nothing', async (_what, change) => {
    // Prepare
    await registry.call('PATCH', CONF, {
      body: { enableIpAccessLists: 'true' },
    });
    const before = await registry.call('GET', LISTS);

    // Act
    const refused = await change();
    const after = await registry.call('GET', LISTS);

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('block your own address'),
    });
    expect(after.body).toEqual(before.body);
  });

  it('refuses to turn enforcement on when an enabled list would keep the caller out', async () => {
    // Prepare
    await registry.call('PATCH', CONF, {
      body: { enableIpAccessLists: 'false' },
    });
    const elsewhere = await registry.call<{ ip_access_list: ListJson }>(
      'POST',
      LISTS,
      {
        body: {
          label: 'far-away',
          list_type: 'ALLOW',
          ip_addresses: ['203.0.113.0/24'],
        },
      }
    );

    // Act
    const enabling = await registry.call('PATCH', CONF, {
      body: { enableIpAccessLists: 'true' },
    });
    const conf = await registry.call('GET', CONF, {
      query: { keys: 'enableIpAccessLists' },
    });

    // Assess
    expect(elsewhere.status).toBe(200);
    expect(enabling.status).toBe(400);
    expect(conf.body).toEqual({ enableIpAccessLists: 'false' });
    await registry.call(
      'DELETE',
      `${LISTS}/${elsewhere.body.ip_access_list.list_id}`
    );
  });
});
