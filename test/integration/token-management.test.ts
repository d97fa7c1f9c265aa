import { describe, expect, it } from 'vitest';
import { type ApiResponse, call, MLFLOW, uniqueName } from '../support/api.ts';

const SCIM = '/api/2.0/preview/scim/v2';
const TOKEN_MANAGEMENT = '/api/2.0/token-management';
const OBO = `${TOKEN_MANAGEMENT}/on-behalf-of/tokens`;

interface TokenInfo {
  token_id: string;
  creation_time: number;
  expiry_time: number;
  comment: string;
  created_by_id: number;
  created_by_username: string;
  owner_id: number;
}

interface CreatedToken {
  token_value: string;
  token_info: TokenInfo;
}

interface PrincipalJson {
  id: string;
  userName: string;
  applicationId?: string;
  displayName: string;
}

async function createServicePrincipal(): Promise<
  PrincipalJson & { applicationId: string }
> {
  const response = await call<PrincipalJson & { applicationId: string }>(
    'POST',
    `${SCIM}/ServicePrincipals`,
    { body: { displayName: uniqueName('tm-robot') } }
  );
  expect(response.status).toBe(200);
  return response.body;
}

async function createUser(): Promise<PrincipalJson> {
  const response = await call<PrincipalJson>('POST', `${SCIM}/Users`, {
    body: { userName: `${uniqueName('tm-user')}@example.com` },
  });
  expect(response.status).toBe(200);
  return response.body;
}

async function oboToken(body: Record<string, unknown>): Promise<CreatedToken> {
  const response = await call<CreatedToken>('POST', OBO, { body });
  expect(response.status).toBe(200);
  return response.body;
}

async function listTokens(query: Record<string, string> = {}) {
  return call<{ token_infos: TokenInfo[] }>(
    'GET',
    `${TOKEN_MANAGEMENT}/tokens`,
    { query }
  );
}

/** Polls until `done` holds or `withinMs` passes; returns the last answer. */
async function eventually<T>(
  request: () => Promise<ApiResponse<T>>,
  done: (response: ApiResponse<T>) => boolean,
  withinMs = 5000
): Promise<ApiResponse<T>> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const response = await request();
    if (done(response) || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('Token management API', () => {
  describe('on-behalf-of/tokens', () => {
    it('creates a token for a service principal that works at once', async () => {
      // Prepare
      const robot = await createServicePrincipal();

      // Act
      const created = await call<CreatedToken>('POST', OBO, {
        body: {
          application_id: robot.applicationId,
          comment: 'deploy job',
          lifetime_seconds: 3600,
        },
      });
      const me = await call<PrincipalJson>('GET', `${SCIM}/Me`, {
        token: created.body.token_value,
      });
      const search = await call('GET', `${MLFLOW}/registered-models/search`, {
        token: created.body.token_value,
        query: { max_results: 1 },
      });

      // Assess
      expect(created.status).toBe(200);
      expect(created.body).toStrictEqual({
        token_value: expect.stringMatching(/^dapi[0-9a-f]{32}$/),
        token_info: {
          token_id: expect.stringMatching(/^[0-9a-f]{32}$/),
          creation_time: expect.any(Number),
          expiry_time: created.body.token_info.creation_time + 3600 * 1000,
          comment: 'deploy job',
          created_by_id: 1,
          created_by_username: 'admin',
          owner_id: Number(robot.id),
        },
      });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(robot.id);
      expect(search.status).toBe(200);
    });

    it('gives a user a token by user name (stagegate extension)', async () => {
      // Prepare
      const user = await createUser();

      // Act
      const created = await call<CreatedToken>('POST', OBO, {
        body: { user_name: user.userName.toUpperCase() },
      });
      const me = await call<PrincipalJson>('GET', `${SCIM}/Me`, {
        token: created.body.token_value,
      });
      const adminRoute = await call('GET', `${TOKEN_MANAGEMENT}/tokens`, {
        token: created.body.token_value,
      });

      // Assess
      expect(created.status).toBe(200);
      expect(created.body.token_info).toMatchObject({
        owner_id: Number(user.id),
        created_by_id: 1,
        expiry_time: -1,
      });
      expect(me.body).toMatchObject({ id: user.id, userName: user.userName });
      expect(adminRoute.status).toBe(403);
    });

    it('answers 404 for an unknown application id', async () => {
      // Act
      const response = await call('POST', OBO, {
        body: { application_id: crypto.randomUUID() },
      });

      // Assess
      expect(response.status).toBe(404);
      expect(response.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    it("refuses a user's id or name as application id: Databricks issues these only for service principals", async () => {
      // Prepare
      const user = await createUser();

      // Act
      const byId = await call('POST', OBO, {
        body: { application_id: user.id },
      });
      const byName = await call('POST', OBO, {
        body: { application_id: user.userName },
      });

      // Assess
      expect(byId.status).toBe(400);
      expect(byId.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(byName.status).toBe(400);
      expect(byName.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it.each([
      ['neither target', {}],
      [
        'both targets',
        { application_id: crypto.randomUUID(), user_name: 'a@example.com' },
      ],
      [
        'a lifetime that is not an integer',
        { application_id: crypto.randomUUID(), lifetime_seconds: 'soon' },
      ],
    ])('refuses %s with INVALID_PARAMETER_VALUE', async (_case, body) => {
      // Act
      const response = await call('POST', OBO, { body });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('refuses a negative lifetime, which used to make a token that never expires', async () => {
      // Prepare
      const robot = await createServicePrincipal();

      // Act
      const response = await call('POST', OBO, {
        body: { application_id: robot.applicationId, lifetime_seconds: -5 },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('lifetime_seconds'),
      });
    });

    it('refuses a token for a deactivated service principal', async () => {
      // Prepare
      const robot = await createServicePrincipal();
      await call('PATCH', `${SCIM}/ServicePrincipals/${robot.id}`, {
        body: {
          Operations: [{ op: 'replace', path: 'active', value: false }],
        },
      });

      // Act
      const response = await call('POST', OBO, {
        body: { application_id: robot.applicationId },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });
  });

  describe('tokens', () => {
    it("lists every principal's tokens with owner and creator", async () => {
      // Prepare
      const robot = await createServicePrincipal();
      const obo = await oboToken({ application_id: robot.applicationId });
      const personal = await call<CreatedToken>(
        'POST',
        '/api/2.0/token/create',
        { token: obo.token_value, body: { comment: 'own token' } }
      );

      // Act
      const all = await listTokens();
      const byAdmin = await listTokens({ created_by_username: 'admin' });
      const byRobot = await listTokens({ created_by_id: robot.id });

      // Assess
      expect(all.status).toBe(200);
      expect(all.body.token_infos).toContainEqual(obo.token_info);
      expect(all.body.token_infos).toContainEqual({
        ...personal.body.token_info,
        created_by_id: Number(robot.id),
        created_by_username: robot.applicationId,
        owner_id: Number(robot.id),
      });
      expect(JSON.stringify(all.body)).not.toContain(obo.token_value);
      expect(byAdmin.body.token_infos.map((t) => t.token_id)).toContain(
        obo.token_info.token_id
      );
      expect(byAdmin.body.token_infos.map((t) => t.token_id)).not.toContain(
        personal.body.token_info.token_id
      );
      expect(byRobot.body.token_infos.map((t) => t.token_id)).toStrictEqual([
        personal.body.token_info.token_id,
      ]);
    });

    it('gets one token by id', async () => {
      // Prepare
      const robot = await createServicePrincipal();
      const obo = await oboToken({
        application_id: robot.applicationId,
        comment: 'lookup',
      });

      // Act
      const fetched = await call<{ token_info: TokenInfo }>(
        'GET',
        `${TOKEN_MANAGEMENT}/tokens/${obo.token_info.token_id}`
      );
      const unknown = await call(
        'GET',
        `${TOKEN_MANAGEMENT}/tokens/ffffffffffffffffffffffffffffffff`
      );

      // Assess
      expect(fetched.status).toBe(200);
      expect(fetched.body).toStrictEqual({ token_info: obo.token_info });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    it('revokes a token, which stops working within the authorizer cache bound', async () => {
      // Prepare
      const robot = await createServicePrincipal();
      const obo = await oboToken({ application_id: robot.applicationId });
      const path = `${TOKEN_MANAGEMENT}/tokens/${obo.token_info.token_id}`;
      const me = () => call('GET', `${SCIM}/Me`, { token: obo.token_value });
      const before = await me();

      // Act
      const revoked = await call('DELETE', path);
      const refused = await eventually(me, (r) => r.status === 401);
      const fetched = await call('GET', path);
      const again = await call('DELETE', path);

      // Assess
      expect(before.status).toBe(200);
      expect(revoked.status).toBe(200);
      expect(revoked.body).toStrictEqual({});
      expect(refused.status).toBe(401);
      expect(refused.body.error_code).toBe('UNAUTHENTICATED');
      expect(fetched.status).toBe(404);
      expect(again.status).toBe(404);
    });
  });

  describe('non-admin callers', () => {
    it('get 403 on every token-management route', async () => {
      // Prepare
      const robot = await createServicePrincipal();
      const obo = await oboToken({ application_id: robot.applicationId });
      const token = obo.token_value;
      const tokenPath = `${TOKEN_MANAGEMENT}/tokens/${obo.token_info.token_id}`;

      // Act
      const created = await call('POST', OBO, {
        token,
        body: { application_id: robot.applicationId },
      });
      const listed = await call('GET', `${TOKEN_MANAGEMENT}/tokens`, {
        token,
      });
      const fetched = await call('GET', tokenPath, { token });
      const revoked = await call('DELETE', tokenPath, { token });
      const stillWorks = await call('GET', `${SCIM}/Me`, { token });

      // Assess
      expect([
        created.status,
        listed.status,
        fetched.status,
        revoked.status,
      ]).toStrictEqual([403, 403, 403, 403]);
      expect(stillWorks.status).toBe(200);
    });
  });
});
