import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkspaceClient } from '@databricks/sdk-experimental';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError, failureOf } from '../contract/support.ts';
import { MLFLOW, uniqueName } from '../support/api.ts';
import { type OwnRegistry, startOwnRegistry } from './support/own-registry.ts';

/**
 * OAuth machine-to-machine tokens for service principals: the secrets API
 * in Databricks' shape, the discovery and token endpoints, and access
 * tokens the authorizer verifies by their signature. A registry of its
 * own: the tests sign tokens of their own with its key file.
 */

const SCIM = '/api/2.0/preview/scim/v2';
const SECRETS = (id: string) =>
  `/api/2.0/accounts/servicePrincipals/${id}/credentials/secrets`;

let registry: OwnRegistry;
let robot: { id: string; applicationId: string };
let secret: string;

beforeAll(async () => {
  registry = await startOwnRegistry('oauth', {});
  const created = await registry.call<{ id: string; applicationId: string }>(
    'POST',
    `${SCIM}/ServicePrincipals`,
    { body: { displayName: uniqueName('robot') } }
  );
  expect(created.status).toBe(200);
  robot = created.body;
  const made = await registry.call<{ secret: string }>(
    'POST',
    SECRETS(robot.id),
    { body: { lifetime: '3600s' } }
  );
  expect(made.status).toBe(200);
  secret = made.body.secret;
});

afterAll(async () => {
  await registry?.stop();
});

/** The client-credentials grant as the Databricks SDK sends it. */
function requestToken(
  form: Record<string, string>,
  credentials: { id: string; secret: string } | undefined = {
    id: robot.applicationId,
    secret,
  }
): Promise<Response> {
  return fetch(new URL('/oidc/v1/token', registry.url), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(credentials
        ? {
            authorization: `Basic ${Buffer.from(`${credentials.id}:${credentials.secret}`).toString('base64')}`,
          }
        : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
}

async function accessToken(): Promise<string> {
  const response = await requestToken({
    grant_type: 'client_credentials',
    scope: 'all-apis',
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** A token signed with the registry's own key, with these claims changed. */
function forged(claims: Record<string, unknown>): string {
  const file = JSON.parse(
    readFileSync(join(registry.dataDir, 'oauth-signing-key'), 'utf8')
  ) as { keys: { kid: string; secret: string }[] };
  const key = file.keys[0];
  if (!key) throw new Error('no signing key');
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ alg: 'HS256', typ: 'JWT', kid: key.kid });
  const payload = encode({
    iss: `${registry.url}/oidc`,
    aud: 'stagegate-registry',
    sub: robot.id,
    client_id: robot.applicationId,
    scope: 'all-apis',
    iat: now,
    exp: now + 600,
    ...claims,
  });
  const signature = createHmac('sha256', Buffer.from(key.secret, 'base64url'))
    .update(`${header}.${payload}`)
    .digest('base64url');
  return `${header}.${payload}.${signature}`;
}

describe('service principal secrets (Databricks shape)', () => {
  it('creates a secret shown once, and lists it without its value', async () => {
    // Act
    const created = await registry.call<Record<string, string>>(
      'POST',
      SECRETS(robot.id),
      { body: {} }
    );
    const listed = await registry.call<{ secrets: Record<string, string>[] }>(
      'GET',
      SECRETS(robot.id)
    );

    // Assess
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.any(String),
      secret: expect.stringMatching(/^dose[0-9a-f]{64}$/),
      secret_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      status: 'ACTIVE',
      create_time: expect.any(String),
      update_time: expect.any(String),
      expire_time: expect.any(String),
    });
    expect(listed.body.secrets.map((s) => s.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(
      created.body.secret ?? 'x'
    );
    const deleted = await registry.call(
      'DELETE',
      `${SECRETS(robot.id)}/${created.body.id}`
    );
    expect(deleted.status).toBe(200);
  });

  it('is for admins only, and for service principals only', async () => {
    // Prepare
    const user = await registry.call<{ id: string; userName: string }>(
      'POST',
      `${SCIM}/Users`,
      { body: { userName: `${uniqueName('u')}@example.com` } }
    );
    const token = await registry.call<{ token_value: string }>(
      'POST',
      '/api/2.0/token-management/on-behalf-of/tokens',
      { body: { user_name: user.body.userName } }
    );

    // Act
    const byUser = await registry.call('POST', SECRETS(robot.id), {
      body: {},
      token: token.body.token_value,
    });
    const forUser = await registry.call('POST', SECRETS(user.body.id), {
      body: {},
    });

    // Assess
    expect(byUser.status).toBe(403);
    expect(forUser.status).toBe(404);
  });
});

describe('the client-credentials grant', () => {
  it('publishes the endpoints the Databricks SDK discovers', async () => {
    // Act
    const discovery = await registry.call<Record<string, string>>(
      'GET',
      '/oidc/.well-known/oauth-authorization-server',
      { token: null }
    );

    // Assess
    expect(discovery.status).toBe(200);
    expect(discovery.body).toMatchObject({
      issuer: `${registry.url}/oidc`,
      token_endpoint: `${registry.url}/oidc/v1/token`,
      authorization_endpoint: expect.any(String),
    });
  });

  it('trades a secret for a short-lived token that works on the registry, as the service principal', async () => {
    // Act
    const response = await requestToken({
      grant_type: 'client_credentials',
      scope: 'all-apis',
    });
    const body = (await response.json()) as Record<string, unknown>;
    const me = await registry.call<{
      userName?: string;
      applicationId?: string;
    }>('GET', `${SCIM}/Me`, { token: String(body.access_token) });
    const name = uniqueName('oauth');
    const created = await registry.call(
      'POST',
      `${MLFLOW}/registered-models/create`,
      { body: { name }, token: String(body.access_token) }
    );

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'all-apis',
    });
    expect(JSON.stringify(me.body)).toContain(robot.applicationId);
    expect(created.status).toBe(200);
  });

  it('takes the client credentials in the form as well', async () => {
    // Act
    const response = await requestToken(
      {
        grant_type: 'client_credentials',
        client_id: robot.applicationId,
        client_secret: secret,
      },
      undefined
    );

    // Assess
    expect(response.status).toBe(200);
  });

  it.each([
    [
      'a wrong secret',
      { grant_type: 'client_credentials' },
      () => ({ id: robot.applicationId, secret: `dose${'0'.repeat(64)}` }),
      401,
      'invalid_client',
    ],
    [
      "another principal's application id",
      { grant_type: 'client_credentials' },
      () => ({ id: 'no-such-robot', secret }),
      401,
      'invalid_client',
    ],
    [
      'another grant',
      { grant_type: 'password' },
      () => ({ id: robot.applicationId, secret }),
      400,
      'unsupported_grant_type',
    ],
    [
      'another scope',
      { grant_type: 'client_credentials', scope: 'sql' },
      () => ({ id: robot.applicationId, secret }),
      400,
      'invalid_scope',
    ],
  ])(
    'refuses %s in OAuth terms',
    async (_what, form, credentials, status, error) => {
      // Act
      const response = await requestToken(form, credentials());
      const body = (await response.json()) as Record<string, string>;

      // Assess
      expect(response.status).toBe(status);
      expect(body).toMatchObject({
        error,
        error_description: expect.any(String),
        error_code: expect.any(String),
        message: expect.any(String),
      });
      expect(JSON.stringify(body)).not.toContain(secret);
    }
  );
});

describe('access tokens at the authorizer', () => {
  it.each([
    ['expired', () => forged({ exp: Math.floor(Date.now() / 1000) - 5 })],
    ['for another audience', () => forged({ aud: 'some-other-service' })],
    ['for another scope', () => forged({ scope: 'sql' })],
    [
      'tampered with (claims changed after signing)',
      () => {
        const [header, , signature] = forged({}).split('.');
        const payload = Buffer.from(
          JSON.stringify({
            aud: 'stagegate-registry',
            sub: '1',
            client_id: 'admin',
            scope: 'all-apis',
            exp: Math.floor(Date.now() / 1000) + 600,
          })
        ).toString('base64url');
        return `${header}.${payload}.${signature}`;
      },
    ],
    [
      'signed with another key',
      () => {
        const [header, payload] = forged({}).split('.');
        const signature = createHmac('sha256', randomBytes(32))
          .update(`${header}.${payload}`)
          .digest('base64url');
        return `${header}.${payload}.${signature}`;
      },
    ],
    [
      'unsigned (alg none)',
      () => {
        const [, payload] = forged({}).split('.');
        const header = Buffer.from(
          JSON.stringify({ alg: 'none', typ: 'JWT' })
        ).toString('base64url');
        return `${header}.${payload}.`;
      },
    ],
  ])('refuses a token %s with 401', async (_what, token) => {
    // Act
    const response = await registry.call(
      'GET',
      `${MLFLOW}/registered-models/search`,
      { token: token() }
    );

    // Assess
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error_code: 'UNAUTHENTICATED' });
  });

  it.each([
    ['expired', () => forged({ exp: Math.floor(Date.now() / 1000) - 5 })],
    ['for another audience', () => forged({ aud: 'some-other-service' })],
    [
      'tampered with',
      () => {
        const [header, payload, signature = ''] = forged({}).split('.');
        const last = signature.at(-2) === 'A' ? 'B' : 'A';
        return `${header}.${payload}.${signature.slice(0, -2)}${last}${signature.at(-1)}`;
      },
    ],
  ])(
    'is reported by the Databricks SDK as UNAUTHENTICATED when %s',
    async (_what, token) => {
      // Prepare: the SDK 0.17.0 sending the token as it comes
      const w = new WorkspaceClient({
        host: registry.url,
        token: token(),
        authType: 'pat',
        env: {},
        retryTimeoutSeconds: 10,
      });

      // Act
      const failure = await failureOf(
        w.modelRegistry.getModel({ name: 'whatever' })
      );

      // Assess
      expectApiError(failure, 'UNAUTHENTICATED', 401);
    }
  );

  it('accepts a token signed with the key and within its claims', async () => {
    // Act
    const response = await registry.call(
      'GET',
      `${MLFLOW}/registered-models/search`,
      { token: forged({}) }
    );

    // Assess
    expect(response.status).toBe(200);
  });

  it('may not mint long-lived credentials', async () => {
    // Prepare
    const token = await accessToken();

    // Act
    const pat = await registry.call('POST', '/api/2.0/token/create', {
      body: { comment: 'from an OAuth token' },
      token,
    });

    // Assess
    expect(pat.status).toBe(403);
    expect(pat.body).toMatchObject({
      error_code: 'PERMISSION_DENIED',
      message: expect.stringContaining('personal access token'),
    });
  });

  it('stops working at once when its service principal is deactivated', async () => {
    // Prepare
    const other = await registry.call<{ id: string; applicationId: string }>(
      'POST',
      `${SCIM}/ServicePrincipals`,
      { body: { displayName: uniqueName('short-lived') } }
    );
    const made = await registry.call<{ secret: string }>(
      'POST',
      SECRETS(other.body.id),
      { body: {} }
    );
    const response = await requestToken(
      { grant_type: 'client_credentials' },
      { id: other.body.applicationId, secret: made.body.secret }
    );
    const token = ((await response.json()) as { access_token: string })
      .access_token;

    // Act
    await registry.call('PATCH', `${SCIM}/ServicePrincipals/${other.body.id}`, {
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      },
    });
    const after = await registry.call('GET', `${SCIM}/Me`, { token });
    const again = await requestToken(
      { grant_type: 'client_credentials' },
      { id: other.body.applicationId, secret: made.body.secret }
    );

    // Assess
    expect(after.status).toBe(401);
    expect(again.status).toBe(401);
  });
});
