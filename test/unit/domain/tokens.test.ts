import { describe, expect, it } from 'vitest';
import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
  UnauthenticatedError,
} from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import {
  authenticate,
  createToken,
  deleteToken,
  generateTokenValue,
  hashToken,
  isExpired,
  listTokens,
  type TokenDependencies,
} from '#domain/tokens.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';

const NOW = 1_700_000_000_000;
const ONE_YEAR_SECONDS = 365 * 24 * 3600;

const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: ['risk'],
};

const bob: Principal = { ...alice, id: '43', userName: 'bob@example.com' };

/** Dependencies with a clock the test moves by hand. */
function createDeps(): TokenDependencies & {
  identities: MemoryIdentityStore;
  clock: { now: number };
} {
  const clock = { now: NOW };
  return {
    identities: new MemoryIdentityStore(),
    now: () => clock.now,
    clock,
  };
}

describe('tokens', () => {
  describe('generateTokenValue', () => {
    it('returns dapi followed by 32 lowercase hex characters', () => {
      // Act
      const value = generateTokenValue();

      // Assess
      expect(value).toMatch(/^dapi[0-9a-f]{32}$/);
    });

    it('returns a different value each time', () => {
      // Act
      const values = new Set(Array.from({ length: 50 }, generateTokenValue));

      // Assess
      expect(values.size).toBe(50);
    });
  });

  describe('hashToken', () => {
    it('is the SHA-256 of the value, in hex', () => {
      // Act
      const hash = hashToken('abc');

      // Assess (FIPS 180-2 test vector)
      expect(hash).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
      );
    });

    it('never equals or contains the value itself', () => {
      // Prepare
      const value = generateTokenValue();

      // Act
      const hash = hashToken(value);

      // Assess
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).not.toContain(value.slice(4));
    });
  });

  describe('createToken', () => {
    it('stores only the hash and returns the value once', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const { tokenValue, tokenInfo } = await createToken(deps, alice, {
        comment: 'laptop',
        lifetimeSeconds: 3600,
      });

      // Assess
      const stored = await deps.identities.listTokens(alice.id);
      expect(stored).toStrictEqual([
        {
          tokenId: tokenInfo.tokenId,
          tokenHash: hashToken(tokenValue),
          principalId: alice.id,
          comment: 'laptop',
          creationTime: NOW,
          expiryTime: NOW + 3_600_000,
        },
      ]);
      expect(JSON.stringify(stored)).not.toContain(tokenValue);
      expect(tokenInfo).toStrictEqual({
        tokenId: tokenInfo.tokenId,
        comment: 'laptop',
        creationTime: NOW,
        expiryTime: NOW + 3_600_000,
      });
      expect(tokenInfo.tokenId).toMatch(/^[0-9a-f]{32}$/);
    });

    it.each([
      ['no lifetime', undefined],
      ['a lifetime of 0', 0],
    ])('never expires with %s', async (_label, lifetimeSeconds) => {
      // Prepare
      const deps = createDeps();

      // Act
      const { tokenInfo } = await createToken(deps, alice, { lifetimeSeconds });

      // Assess
      expect(tokenInfo.expiryTime).toBe(-1);
    });

    it.each([-5, -1])(
      'refuses a negative lifetime (%i), storing nothing',
      async (lifetimeSeconds) => {
        // Prepare
        const deps = createDeps();

        // Act
        const attempt = createToken(deps, alice, { lifetimeSeconds });

        // Assess
        await expect(attempt).rejects.toThrow(InvalidParameterValueError);
        await expect(attempt).rejects.toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
          message: expect.stringContaining(
            'lifetime_seconds must be a positive'
          ),
        });
        expect(await deps.identities.listTokens(alice.id)).toStrictEqual([]);
      }
    );

    it('accepts a lifetime of exactly one year', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const { tokenInfo } = await createToken(deps, alice, {
        lifetimeSeconds: ONE_YEAR_SECONDS,
      });

      // Assess
      expect(tokenInfo.expiryTime).toBe(NOW + ONE_YEAR_SECONDS * 1000);
    });

    it('refuses a lifetime longer than one year, storing nothing', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const attempt = createToken(deps, alice, {
        lifetimeSeconds: ONE_YEAR_SECONDS + 1,
      });

      // Assess
      await expect(attempt).rejects.toThrow(InvalidParameterValueError);
      await expect(attempt).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: `lifetime_seconds must be at most ${ONE_YEAR_SECONDS}.`,
      });
      expect(await deps.identities.listTokens(alice.id)).toStrictEqual([]);
    });

    it('accepts a comment of 1000 characters and refuses 1001', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const accepted = await createToken(deps, alice, {
        comment: 'c'.repeat(1000),
      });
      const refused = await createToken(deps, alice, {
        comment: 'c'.repeat(1001),
      }).catch((error: unknown) => error);

      // Assess
      expect(accepted.tokenInfo.comment).toBe('c'.repeat(1000));
      expect(refused).toBeInstanceOf(InvalidParameterValueError);
      expect(refused).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
    });
  });

  describe('isExpired', () => {
    it.each([
      { expiryTime: -1, now: Number.MAX_SAFE_INTEGER, expired: false },
      { expiryTime: NOW + 1, now: NOW, expired: false },
      { expiryTime: NOW, now: NOW, expired: true },
      { expiryTime: NOW - 1, now: NOW, expired: true },
    ])(
      'is $expired for expiry $expiryTime at $now',
      ({ expiryTime, now, expired }) => {
        // Act & Assess
        expect(isExpired({ expiryTime }, now)).toBe(expired);
      }
    );
  });

  describe('listTokens', () => {
    it("lists the owner's live tokens and hides expired ones", async () => {
      // Prepare
      const deps = createDeps();
      const shortLived = await createToken(deps, alice, {
        comment: 'short',
        lifetimeSeconds: 60,
      });
      const forever = await createToken(deps, alice, { comment: 'forever' });
      await createToken(deps, bob, { comment: "bob's" });
      deps.clock.now = NOW + 60_000;

      // Act
      const listed = await listTokens(deps, alice);

      // Assess
      expect(listed).toStrictEqual([forever.tokenInfo]);
      expect(shortLived.tokenInfo.expiryTime).toBe(NOW + 60_000);
    });
  });

  describe('deleteToken', () => {
    it("deletes the owner's token so it no longer authenticates", async () => {
      // Prepare
      const deps = createDeps();
      await deps.identities.putPrincipal(alice);
      const { tokenValue, tokenInfo } = await createToken(deps, alice, {});

      // Act
      await deleteToken(deps, alice, tokenInfo.tokenId);

      // Assess
      await expect(authenticate(deps, tokenValue)).rejects.toThrow(
        UnauthenticatedError
      );
    });

    it("refuses another principal's token and leaves it working", async () => {
      // Prepare
      const deps = createDeps();
      await deps.identities.putPrincipal(alice);
      const { tokenValue, tokenInfo } = await createToken(deps, alice, {});

      // Act
      const attempt = deleteToken(deps, bob, tokenInfo.tokenId);

      // Assess
      await expect(attempt).rejects.toThrow(ResourceDoesNotExistError);
      await expect(attempt).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
        message: `Token with id ${tokenInfo.tokenId} not found.`,
      });
      await expect(authenticate(deps, tokenValue)).resolves.toMatchObject({
        principal: alice,
      });
    });
  });

  describe('authenticate', () => {
    it('resolves a valid token to its principal and expiry', async () => {
      // Prepare
      const deps = createDeps();
      await deps.identities.putPrincipal(alice);
      const { tokenValue } = await createToken(deps, alice, {
        lifetimeSeconds: 60,
      });

      // Act
      const result = await authenticate(deps, tokenValue);

      // Assess
      expect(result).toStrictEqual({
        principal: alice,
        expiryTime: NOW + 60_000,
      });
    });

    it('accepts a token one millisecond before it expires', async () => {
      // Prepare
      const deps = createDeps();
      await deps.identities.putPrincipal(alice);
      const { tokenValue } = await createToken(deps, alice, {
        lifetimeSeconds: 60,
      });
      deps.clock.now = NOW + 59_999;

      // Act
      const result = await authenticate(deps, tokenValue);

      // Assess
      expect(result.principal).toStrictEqual(alice);
    });

    it('refuses an unknown token', async () => {
      // Prepare
      const deps = createDeps();

      // Act
      const attempt = authenticate(deps, generateTokenValue());

      // Assess
      await expect(attempt).rejects.toThrow(UnauthenticatedError);
      await expect(attempt).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'Invalid access token.',
      });
    });

    it('refuses a token at its expiry time', async () => {
      // Prepare
      const deps = createDeps();
      await deps.identities.putPrincipal(alice);
      const { tokenValue } = await createToken(deps, alice, {
        lifetimeSeconds: 60,
      });
      deps.clock.now = NOW + 60_000;

      // Act
      const attempt = authenticate(deps, tokenValue);

      // Assess
      await expect(attempt).rejects.toThrow(UnauthenticatedError);
      await expect(attempt).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'Access token has expired.',
      });
    });

    it('refuses a token whose principal no longer exists', async () => {
      // Prepare
      const deps = createDeps();
      const { tokenValue } = await createToken(deps, alice, {});

      // Act
      const attempt = authenticate(deps, tokenValue);

      // Assess
      await expect(attempt).rejects.toThrow(UnauthenticatedError);
      await expect(attempt).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'Invalid access token.',
      });
    });

    it('refuses a token whose principal is deactivated', async () => {
      // Prepare
      const deps = createDeps();
      await deps.identities.putPrincipal(alice);
      const { tokenValue } = await createToken(deps, alice, {});
      deps.identities.deactivate(alice.id);

      // Act
      const attempt = authenticate(deps, tokenValue);

      // Assess
      await expect(attempt).rejects.toThrow(UnauthenticatedError);
      await expect(attempt).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'The principal of this access token is deactivated.',
      });
    });

    it('refuses the hash presented in place of the value', async () => {
      // Prepare
      const deps = createDeps();
      await deps.identities.putPrincipal(alice);
      const { tokenValue } = await createToken(deps, alice, {});

      // Act
      const attempt = authenticate(deps, hashToken(tokenValue));

      // Assess
      await expect(attempt).rejects.toThrow(UnauthenticatedError);
      await expect(attempt).rejects.toHaveProperty('code', 'UNAUTHENTICATED');
    });
  });
});
