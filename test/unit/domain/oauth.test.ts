import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
  UnauthenticatedError,
} from '#domain/errors.ts';
import {
  ACCESS_TOKEN_AUDIENCE,
  hashSecret,
  looksLikeAccessToken,
  MAX_SECRET_LIFETIME_SECONDS,
  principalOfClaims,
  type SigningKey,
  signAccessToken,
  verifyAccessToken,
} from '#domain/oauth.ts';
import {
  createServicePrincipalSecret,
  deleteServicePrincipalSecret,
  issueAccessToken,
  listServicePrincipalSecrets,
  OAuthError,
  parseSecretLifetime,
} from '#domain/oauth-clients.ts';
import type { DirectoryPrincipal } from '#domain/principal.ts';
import { MemoryOAuthSecretStore } from '#test/support/memory-oauth-secret-store.ts';
import { expectRefusal } from './support/registry.ts';

const NOW = 1_700_000_000_000;
const KEY: SigningKey = { kid: 'k1', secret: Buffer.alloc(32, 7) };
const OLD_KEY: SigningKey = { kid: 'k0', secret: Buffer.alloc(32, 3) };
const keys = {
  find: async (kid: string) => [KEY, OLD_KEY].find((key) => key.kid === kid),
  current: async () => KEY,
};

const robot: DirectoryPrincipal = {
  id: '77',
  kind: 'service_principal',
  userName: 'app-robot',
  displayName: 'Robot',
  active: true,
  groups: [],
};
const human: DirectoryPrincipal = {
  ...robot,
  id: '78',
  kind: 'user',
  userName: 'h@example.com',
};

function directory(...principals: DirectoryPrincipal[]) {
  return {
    getDirectoryPrincipal: async (id: string) =>
      principals.find((p) => p.id === id),
    findPrincipalByName: async (kind: string, name: string) =>
      principals.find((p) => p.kind === kind && p.userName === name),
  };
}

function token(
  key: SigningKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT', kid: key.kid }
): string {
  const encode = (value: unknown) =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = encode(header);
  const payload = encode({
    aud: ACCESS_TOKEN_AUDIENCE,
    sub: robot.id,
    client_id: robot.userName,
    scope: 'all-apis',
    iat: NOW / 1000,
    exp: NOW / 1000 + 600,
    ...claims,
  });
  const signature = createHmac('sha256', key.secret)
    .update(`${head}.${payload}`)
    .digest('base64url');
  return `${head}.${payload}.${signature}`;
}

describe('OAuth access tokens', () => {
  describe('signAccessToken and verifyAccessToken', () => {
    it('round-trips the service principal, an hour by default', async () => {
      // Act
      const signed = signAccessToken(KEY, robot, {
        now: NOW,
        lifetimeSeconds: 3600,
        issuer: 'https://registry/oidc',
      });
      const claims = await verifyAccessToken(signed, keys, NOW + 1000);

      // Assess
      expect(looksLikeAccessToken(signed)).toBe(true);
      expect(looksLikeAccessToken('dapi0123')).toBe(false);
      expect(claims).toEqual({
        sub: robot.id,
        clientId: robot.userName,
        scope: 'all-apis',
        exp: NOW / 1000 + 3600,
      });
      expect(principalOfClaims(claims)).toEqual({
        id: robot.id,
        userName: robot.userName,
        kind: 'service_principal',
        isAdmin: false,
        groups: [],
      });
    });

    it('verifies a token of the previous key through a rotation', async () => {
      await expect(
        verifyAccessToken(token(OLD_KEY, {}), keys, NOW)
      ).resolves.toMatchObject({ sub: robot.id });
    });

    it.each([
      ['expired', () => token(KEY, { exp: NOW / 1000 }), 'expired'],
      ['for another audience', () => token(KEY, { aud: 'x' }), 'audience'],
      ['for another scope', () => token(KEY, { scope: 'sql' }), 'claims'],
      ['without a subject', () => token(KEY, { sub: '' }), 'claims'],
      [
        'from the future',
        () => token(KEY, { iat: NOW / 1000 + 3600 }),
        'future',
      ],
      [
        'under an unknown key',
        () => token({ kid: 'k9', secret: Buffer.alloc(32, 1) }, {}),
        'unknown key',
      ],
      [
        'unsigned',
        () => token(KEY, {}, { alg: 'none', typ: 'JWT', kid: 'k1' }),
        'algorithm',
      ],
      [
        'with a forged signature',
        () => `${token(KEY, {}).slice(0, -4)}AAAA`,
        'signature',
      ],
      [
        'with a signature of another length',
        () => `${token(KEY, {})}AA`,
        'signature',
      ],
      [
        'with unreadable claims',
        () => {
          const [head, , signature] = token(KEY, {}).split('.');
          return `${head}.bm90IGpzb24.${signature}`;
        },
        'signature',
      ],
      ['not JSON at all', () => 'a.b.c', 'algorithm'],
    ])('refuses a token %s', async (_what, make, why) => {
      // Act
      const verified = verifyAccessToken(make(), keys, NOW);

      // Assess
      await expect(verified).rejects.toThrow(UnauthenticatedError);
      await expect(verified).rejects.toThrow(why);
    });

    it('refuses claims that are not an object even when signed', async () => {
      // Prepare
      const head = Buffer.from(
        JSON.stringify({ alg: 'HS256', kid: KEY.kid })
      ).toString('base64url');
      const payload = Buffer.from('[1]').toString('base64url');
      const signature = createHmac('sha256', KEY.secret)
        .update(`${head}.${payload}`)
        .digest('base64url');

      // Act & Assess
      await expect(
        verifyAccessToken(`${head}.${payload}.${signature}`, keys, NOW)
      ).rejects.toThrow('unreadable claims');
    });
  });
});

describe('service principal secrets', () => {
  function deps() {
    let ids = 0;
    return {
      identities: directory(robot, human, {
        ...robot,
        id: '79',
        active: false,
      }),
      secrets: new MemoryOAuthSecretStore(),
      now: () => NOW,
      newId: () => `s${++ids}`,
    };
  }

  it('creates a secret whose value is shown once and stored as a hash', async () => {
    // Prepare
    const d = deps();

    // Act
    const created = await createServicePrincipalSecret(d, robot.id, '600s');
    const listed = await listServicePrincipalSecrets(d, robot.id);

    // Assess
    expect(created.secret).toMatch(/^dose[0-9a-f]{64}$/);
    expect(created.info).toEqual({
      id: 's1',
      principalId: robot.id,
      secretHash: hashSecret(created.secret),
      status: 'ACTIVE',
      createTime: NOW,
      updateTime: NOW,
      expireTime: NOW + 600_000,
    });
    expect(listed).toEqual([created.info]);
  });

  it('holds at most five secrets, lists only unexpired ones, and deletes by id', async () => {
    // Prepare
    const d = deps();
    for (let i = 0; i < 5; i += 1) {
      await createServicePrincipalSecret(d, robot.id, i === 0 ? 1 : undefined);
    }

    // Act
    const sixth = createServicePrincipalSecret(d, robot.id, undefined);
    const later = { ...d, now: () => NOW + 2000 };
    const listed = await listServicePrincipalSecrets(later, robot.id);
    await deleteServicePrincipalSecret(d, robot.id, 's2');
    const missing = deleteServicePrincipalSecret(d, robot.id, 's2');

    // Assess
    await expectRefusal(
      sixth,
      InvalidParameterValueError,
      'INVALID_PARAMETER_VALUE',
      'already has 5'
    );
    expect(listed.map((s) => s.id)).toEqual(['s2', 's3', 's4', 's5']);
    await expect(missing).rejects.toThrow(ResourceDoesNotExistError);
  });

  it('is for active service principals only', async () => {
    // Prepare
    const d = deps();

    // Act & Assess
    await expect(
      createServicePrincipalSecret(d, human.id, undefined)
    ).rejects.toThrow(ResourceDoesNotExistError);
    await expect(
      createServicePrincipalSecret(d, 'nobody', undefined)
    ).rejects.toThrow(ResourceDoesNotExistError);
    await expect(
      createServicePrincipalSecret(d, '79', undefined)
    ).rejects.toThrow('deactivated');
  });

  it.each([
    ['3600s', 3600],
    ['3600', 3600],
    ['10.5s', 10],
    [120, 120],
    [undefined, MAX_SECRET_LIFETIME_SECONDS],
  ])('reads the lifetime %j as %i seconds', (value, seconds) => {
    expect(parseSecretLifetime(value)).toBe(seconds);
  });

  it.each(['0s', '-1s', 'forever', `${MAX_SECRET_LIFETIME_SECONDS + 1}s`])(
    'refuses the lifetime %j',
    (value) => {
      expect(() => parseSecretLifetime(value)).toThrow(
        InvalidParameterValueError
      );
    }
  );
});

describe('the client-credentials grant', () => {
  async function grant() {
    const secrets = new MemoryOAuthSecretStore();
    const created = await createServicePrincipalSecret(
      {
        identities: directory(robot),
        secrets,
        now: () => NOW,
        newId: () => 's1',
      },
      robot.id,
      '3600s'
    );
    return {
      secret: created.secret,
      deps: {
        identities: directory(robot, {
          ...human,
          kind: 'service_principal' as const,
          id: '80',
          userName: 'other-app',
        }),
        secrets,
        keys,
        now: () => NOW,
        tokenLifetimeSeconds: 3600,
      },
    };
  }

  it('issues a token for the registry scope that verifies', async () => {
    // Prepare
    const { deps, secret } = await grant();

    // Act
    const issued = await issueAccessToken(deps, {
      grantType: 'client_credentials',
      scope: undefined,
      clientId: robot.userName,
      clientSecret: secret,
      issuer: 'https://r/oidc',
    });

    // Assess
    expect(issued).toMatchObject({ expiresIn: 3600, scope: 'all-apis' });
    await expect(
      verifyAccessToken(issued.accessToken, keys, NOW)
    ).resolves.toMatchObject({ sub: robot.id });
  });

  it.each([
    [{ grantType: undefined }, 'invalid_request', 400],
    [{ grantType: 'password' }, 'unsupported_grant_type', 400],
    [{ scope: 'all-apis sql' }, 'invalid_scope', 400],
    [{ clientSecret: undefined }, 'invalid_client', 401],
    [{ clientSecret: 'dose0' }, 'invalid_client', 401],
    [{ clientId: 'other-app' }, 'invalid_client', 401],
    [{ clientId: 'nobody' }, 'invalid_client', 401],
  ])('refuses %j with %s', async (change, error, status) => {
    // Prepare
    const { deps, secret } = await grant();

    // Act
    const refused = await issueAccessToken(deps, {
      grantType: 'client_credentials',
      scope: 'all-apis',
      clientId: robot.userName,
      clientSecret: secret,
      issuer: 'https://r/oidc',
      ...change,
    }).catch((failure: unknown) => failure);

    // Assess
    expect(refused).toBeInstanceOf(OAuthError);
    expect(refused).toMatchObject({ error, status });
  });

  it('refuses an expired secret and a deactivated principal', async () => {
    // Prepare
    const { deps, secret } = await grant();
    const request = {
      grantType: 'client_credentials',
      scope: 'all-apis',
      clientId: robot.userName,
      clientSecret: secret,
      issuer: 'https://r/oidc',
    };

    // Act
    const expired = issueAccessToken(
      { ...deps, now: () => NOW + 3_600_000 },
      request
    );
    const inactive = issueAccessToken(
      { ...deps, identities: directory({ ...robot, active: false }) },
      request
    );

    // Assess
    await expect(expired).rejects.toMatchObject({ error: 'invalid_client' });
    await expect(inactive).rejects.toMatchObject({ error: 'invalid_client' });
  });
});
