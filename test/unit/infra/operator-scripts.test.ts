import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BOOTSTRAP_ADMIN } from '#domain/principal.ts';
import { authenticate } from '#domain/tokens.ts';
import {
  bootstrapAdmin,
  MAX_BOOTSTRAP_HOURS,
} from '#infra/operations/bootstrap-admin.ts';
import { putSecretValue, signedHeaders } from '#infra/secrets-manager.ts';
import { hasValidSignature } from '#local/sigv4.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token',
};
const NOW = 1_700_000_000_000;

describe('signedHeaders', () => {
  it('signs a request the way the SDK does (the local endpoints check it)', () => {
    // Prepare
    const body = '{"SecretId":"s"}';

    // Act
    const headers = signedHeaders({
      method: 'POST',
      host: 'secretsmanager.eu-west-1.amazonaws.com',
      body,
      region: 'eu-west-1',
      service: 'secretsmanager',
      credentials: CREDENTIALS,
      now: new Date(NOW),
      headers: { 'X-Amz-Target': 'secretsmanager.PutSecretValue' },
    });

    // Assess
    expect(headers['x-amz-security-token']).toBe('session-token');
    expect(
      hasValidSignature(
        { method: 'POST', url: '/', headers, body: Buffer.from(body) },
        CREDENTIALS,
        NOW
      )
    ).toBe(true);
    expect(
      hasValidSignature(
        { method: 'POST', url: '/', headers, body: Buffer.from(`${body} `) },
        CREDENTIALS,
        NOW
      )
    ).toBe(false);
  });
});

describe('putSecretValue', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  /** A Secrets Manager stand-in that records requests and answers `status`. */
  async function endpoint(status: number, answer: unknown) {
    const received: { headers: IncomingMessage['headers']; body: string }[] =
      [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.statusCode = status;
        response.setHeader('content-type', 'application/x-amz-json-1.1');
        response.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve)
    );
    close = () => server.close();
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      received,
    };
  }

  it('puts the value with a signed PutSecretValue call', async () => {
    // Prepare
    const secrets = await endpoint(200, { VersionId: 'v1' });

    // Act
    await putSecretValue({
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      secretId: 'stagegate-prod/bootstrap-admin-token',
      secretString: 'dapi0123',
      endpoint: secrets.url,
    });

    // Assess
    const [request] = secrets.received;
    expect(request?.headers['x-amz-target']).toBe(
      'secretsmanager.PutSecretValue'
    );
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({
      SecretId: 'stagegate-prod/bootstrap-admin-token',
      SecretString: 'dapi0123',
      ClientRequestToken: expect.any(String),
    });
    expect(
      hasValidSignature(
        {
          method: 'POST',
          url: '/',
          headers: request?.headers ?? {},
          body: Buffer.from(request?.body ?? ''),
        },
        CREDENTIALS
      )
    ).toBe(true);
  });

  it("fails with Secrets Manager's error type and message", async () => {
    // Prepare
    const secrets = await endpoint(400, {
      __type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });

    // Act & Assess
    await expect(
      putSecretValue({
        region: 'eu-west-1',
        credentials: CREDENTIALS,
        secretId: 'missing',
        secretString: 'x',
        endpoint: secrets.url,
      })
    ).rejects.toThrow(
      "Secrets Manager refused PutSecretValue (400): ResourceNotFoundException: Secrets Manager can't find the specified secret."
    );
  });
});

describe('bootstrapAdmin', () => {
  function setUp() {
    const identities = new MemoryIdentityStore();
    const events: string[] = [];
    const stored: string[] = [];
    return {
      identities,
      events,
      stored,
      deps: {
        identities,
        storeToken: async (token: string) => {
          events.push(
            `stored while the admin had ${(await identities.listTokens(BOOTSTRAP_ADMIN.id)).length} token(s)`
          );
          stored.push(token);
        },
        newToken: () => `dapi${'7'.repeat(32)}`,
        now: () => NOW,
      },
    };
  }

  it('keeps a fresh token in the secret first, then makes it the admin’s, expiring after a day', async () => {
    // Prepare
    const { deps, events, stored, identities } = setUp();

    // Act
    const result = await bootstrapAdmin(deps, {});

    // Assess
    expect(result).toEqual({ action: 'created', expiresAt: NOW + 86_400_000 });
    expect(events).toEqual(['stored while the admin had 0 token(s)']);
    expect(stored).toEqual([`dapi${'7'.repeat(32)}`]);
    expect(JSON.stringify(result)).not.toContain('dapi');
    await expect(
      authenticate({ identities, now: () => NOW + 86_400_001 }, stored[0] ?? '')
    ).rejects.toThrow();
  });

  it('refuses a lifetime beyond a week', async () => {
    await expect(
      bootstrapAdmin(setUp().deps, { hours: MAX_BOOTSTRAP_HOURS + 1 })
    ).rejects.toThrow(/at most 168/);
  });

  it('revokes the token and overwrites the secret', async () => {
    // Prepare
    const { deps, stored, identities } = setUp();
    await bootstrapAdmin(deps, { hours: 1 });

    // Act
    const result = await bootstrapAdmin(deps, { revoke: true });

    // Assess
    expect(result).toEqual({ action: 'revoked' });
    expect(stored.at(-1)).toBe('revoked');
    expect(await identities.listTokens(BOOTSTRAP_ADMIN.id)).toEqual([]);
  });
});
