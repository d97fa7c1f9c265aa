import { WorkspaceClient } from '@databricks/sdk-experimental';
import { describe, expect, it } from 'vitest';
import { call, registry, uniqueName } from '../support/api.ts';
import { client, expectApiError, failureOf } from './support.ts';

/**
 * The Databricks SDK 0.17.0, unchanged, authenticating as a service
 * principal with OAuth machine-to-machine (`authType: 'oauth-m2m'`): it
 * discovers `/oidc/.well-known/oauth-authorization-server`, trades the
 * client id and secret at `/oidc/v1/token`, and sends the access token.
 */

/**
 * A new service principal (SCIM, as the admin) with one OAuth secret, made
 * through the SDK's service-principal secrets API with the admin's PAT.
 */
async function servicePrincipalWithSecret(): Promise<{
  applicationId: string;
  id: string;
  secret: string;
}> {
  const robot = await call<{ id: string; applicationId: string }>(
    'POST',
    '/api/2.0/preview/scim/v2/ServicePrincipals',
    { body: { displayName: uniqueName('m2m') } }
  );
  expect(robot.status).toBe(200);
  const secret = await client().servicePrincipalSecretsProxy.create({
    service_principal_id: robot.body.id,
    lifetime: '3600s',
  });
  if (!secret.secret) throw new Error('no secret');
  return {
    applicationId: robot.body.applicationId,
    id: robot.body.id,
    secret: secret.secret,
  };
}

function m2mClient(clientId: string, clientSecret: string): WorkspaceClient {
  return new WorkspaceClient({
    host: registry().url,
    clientId,
    clientSecret,
    authType: 'oauth-m2m',
    env: {},
    retryTimeoutSeconds: 10,
  });
}

describe('Databricks SDK 0.17.0 with oauth-m2m', () => {
  it('registers and reads models as the service principal, unchanged', async () => {
    // Prepare
    const robot = await servicePrincipalWithSecret();
    const w = m2mClient(robot.applicationId, robot.secret);
    const name = uniqueName('m2m-model');

    // Act
    const created = await w.modelRegistry.createModel({ name });
    const version = await w.modelRegistry.createModelVersion({
      name,
      source: 'runs:/0123456789abcdef/model',
    });
    const got = await w.modelRegistry.getModel({ name });
    const me = await w.currentUser.me();

    // Assess
    expect(created.registered_model?.name).toBe(name);
    expect(version.model_version?.user_id).toBe(robot.applicationId);
    expect(got.registered_model_databricks?.permission_level).toBe(
      'CAN_MANAGE'
    );
    expect(me.userName ?? me.id).toBeDefined();
    expect(JSON.stringify(me)).toContain(robot.applicationId);
  });

  it('lists the secrets without their values through the SDK', async () => {
    // Prepare
    const robot = await servicePrincipalWithSecret();

    // Act
    const listed = [];
    for await (const secret of client().servicePrincipalSecretsProxy.list({
      service_principal_id: robot.id,
    })) {
      listed.push(secret);
    }

    // Assess
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ status: 'ACTIVE' });
    expect(JSON.stringify(listed)).not.toContain(robot.secret);
  });

  it('fails with a clear error for a wrong secret', async () => {
    // Prepare
    const robot = await servicePrincipalWithSecret();
    const w = m2mClient(robot.applicationId, `dose${'0'.repeat(64)}`);

    // Act
    const failure = await failureOf(
      w.modelRegistry.getModel({ name: 'whatever' })
    );

    // Assess
    expect(String(failure)).toContain(
      'Failed to retrieve token: UNAUTHENTICATED Client authentication failed'
    );
  });

  it('is refused by a registry route when the token is tampered with', async () => {
    // Prepare: a real token with one character of its signature changed
    const robot = await servicePrincipalWithSecret();
    const issued = await fetch(new URL('/oidc/v1/token', registry().url), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${robot.applicationId}:${robot.secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=all-apis',
    });
    const token = ((await issued.json()) as { access_token: string })
      .access_token;
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${token.slice(0, -2)}${last}${token.at(-1)}`;

    // Act
    const failure = await failureOf(
      client(tampered).modelRegistry.getModel({ name: 'whatever' })
    );
    const raw = await call('GET', '/api/2.0/preview/scim/v2/Me', {
      token: tampered,
    });

    // Assess
    expectApiError(failure, 'UNAUTHENTICATED', 401);
    expect(raw.status).toBe(401);
  });
});
