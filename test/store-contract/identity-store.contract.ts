import { describe, expect, it } from 'vitest';
import { ResourceAlreadyExistsError } from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import type { IdentityStore, StoredToken } from '#ports/identity-store.ts';

/** Returns a store that holds no principals and no tokens yet. */
export type IdentityStoreFactory = () => Promise<IdentityStore>;

const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: ['data-science', 'risk'],
};

function aToken(overrides: Partial<StoredToken> = {}): StoredToken {
  return {
    tokenId: 'token-1',
    tokenHash: 'a'.repeat(64),
    principalId: alice.id,
    comment: 'laptop',
    creationTime: 1_700_000_000_000,
    expiryTime: 1_700_086_400_000,
    ...overrides,
  };
}

/**
 * The behaviour every {@link IdentityStore} implementation must share, run
 * against the in-memory fake and against DynamoDB Local.
 */
export function describeIdentityStoreContract(
  implementation: string,
  createStore: IdentityStoreFactory
): void {
  describe(`IdentityStore contract (${implementation})`, () => {
    describe('putPrincipal / getPrincipal', () => {
      it('stores every field of a principal', async () => {
        // Prepare
        const store = await createStore();
        const robot: Principal = {
          id: '7',
          userName: 'ci-robot',
          kind: 'service_principal',
          isAdmin: true,
          groups: [],
        };

        // Act
        await store.putPrincipal(alice);
        await store.putPrincipal(robot);

        // Assess
        expect(await store.getPrincipal(alice.id)).toStrictEqual(alice);
        expect(await store.getPrincipal(robot.id)).toStrictEqual(robot);
      });

      it('replaces a principal with the same id', async () => {
        // Prepare
        const store = await createStore();
        await store.putPrincipal(alice);
        const promoted = { ...alice, isAdmin: true, groups: ['admins'] };

        // Act
        await store.putPrincipal(promoted);

        // Assess
        expect(await store.getPrincipal(alice.id)).toStrictEqual(promoted);
      });

      it('returns undefined for an unknown principal', async () => {
        // Prepare
        const store = await createStore();
        await store.putPrincipal(alice);

        // Act
        const principal = await store.getPrincipal('999');

        // Assess
        expect(principal).toBeUndefined();
      });
    });

    describe('createToken / getTokenByHash', () => {
      it('stores every field of a token under its hash', async () => {
        // Prepare
        const store = await createStore();
        const expiring = aToken();
        const forever = aToken({
          tokenId: 'token-2',
          tokenHash: 'b'.repeat(64),
          comment: '',
          expiryTime: -1,
        });

        // Act
        await store.createToken(expiring);
        await store.createToken(forever);

        // Assess
        expect(await store.getTokenByHash(expiring.tokenHash)).toStrictEqual(
          expiring
        );
        expect(await store.getTokenByHash(forever.tokenHash)).toStrictEqual(
          forever
        );
      });

      it('keeps who created a token on behalf of its owner', async () => {
        // Prepare
        const store = await createStore();
        const onBehalf = aToken({
          createdById: '1',
          createdByUsername: 'admin',
        });

        // Act
        await store.createToken(onBehalf);

        // Assess
        expect(await store.getTokenByHash(onBehalf.tokenHash)).toStrictEqual(
          onBehalf
        );
        expect(await store.listTokens(alice.id)).toStrictEqual([onBehalf]);
      });

      it('refuses a hash that is already stored and keeps the first token', async () => {
        // Prepare
        const store = await createStore();
        const first = aToken();
        await store.createToken(first);

        // Act
        const attempt = store.createToken(
          aToken({ tokenId: 'token-2', comment: 'second' })
        );

        // Assess
        await expect(attempt).rejects.toThrow(ResourceAlreadyExistsError);
        await expect(attempt).rejects.toHaveProperty(
          'code',
          'RESOURCE_ALREADY_EXISTS'
        );
        expect(await store.getTokenByHash(first.tokenHash)).toStrictEqual(
          first
        );
        expect(await store.listTokens(alice.id)).toStrictEqual([first]);
      });

      it('returns undefined for an unknown hash', async () => {
        // Prepare
        const store = await createStore();
        await store.createToken(aToken());

        // Act
        const token = await store.getTokenByHash('c'.repeat(64));

        // Assess
        expect(token).toBeUndefined();
      });
    });

    describe('listTokens', () => {
      it("returns only the principal's tokens, ordered by token id", async () => {
        // Prepare
        const store = await createStore();
        const tokens = [
          aToken({ tokenId: 'b2', tokenHash: '1'.repeat(64) }),
          aToken({ tokenId: 'B1', tokenHash: '2'.repeat(64) }),
          aToken({ tokenId: 'a3', tokenHash: '3'.repeat(64) }),
        ];
        for (const token of tokens) await store.createToken(token);
        await store.createToken(
          aToken({ tokenId: 'a0', tokenHash: '4'.repeat(64), principalId: '7' })
        );

        // Act
        const listed = await store.listTokens(alice.id);

        // Assess
        expect(listed.map((token) => token.tokenId)).toStrictEqual([
          'B1',
          'a3',
          'b2',
        ]);
        expect(listed[0]).toStrictEqual(tokens[1]);
      });

      it('returns nothing for a principal without tokens', async () => {
        // Prepare
        const store = await createStore();
        await store.createToken(aToken());

        // Act
        const listed = await store.listTokens('7');

        // Assess
        expect(listed).toStrictEqual([]);
      });
    });

    describe('deleteToken', () => {
      it("deletes the principal's token and reports it", async () => {
        // Prepare
        const store = await createStore();
        const token = aToken();
        const other = aToken({ tokenId: 'token-2', tokenHash: 'd'.repeat(64) });
        await store.createToken(token);
        await store.createToken(other);

        // Act
        const deleted = await store.deleteToken(alice.id, token.tokenId);

        // Assess
        expect(deleted).toBe(true);
        expect(await store.getTokenByHash(token.tokenHash)).toBeUndefined();
        expect(await store.listTokens(alice.id)).toStrictEqual([other]);
      });

      it('returns false for a token id the principal does not have', async () => {
        // Prepare
        const store = await createStore();
        await store.createToken(aToken());

        // Act
        const deleted = await store.deleteToken(alice.id, 'no-such-token');

        // Assess
        expect(deleted).toBe(false);
        expect(await store.listTokens(alice.id)).toHaveLength(1);
      });

      it("returns false for another principal's token and leaves it", async () => {
        // Prepare
        const store = await createStore();
        const token = aToken();
        await store.createToken(token);

        // Act
        const deleted = await store.deleteToken('7', token.tokenId);

        // Assess
        expect(deleted).toBe(false);
        expect(await store.getTokenByHash(token.tokenHash)).toStrictEqual(
          token
        );
      });

      it('returns false the second time a token is deleted', async () => {
        // Prepare
        const store = await createStore();
        await store.createToken(aToken());
        await store.deleteToken(alice.id, 'token-1');

        // Act
        const deleted = await store.deleteToken(alice.id, 'token-1');

        // Assess
        expect(deleted).toBe(false);
      });
    });

    describe('putToken', () => {
      it('replaces the token stored under the same hash', async () => {
        // Prepare
        const store = await createStore();
        await store.createToken(aToken());
        const replacement = aToken({
          tokenId: 'bootstrap',
          comment: 'rotated',
          creationTime: 1_700_000_100_000,
          expiryTime: -1,
        });

        // Act
        await store.putToken(replacement);

        // Assess
        expect(await store.getTokenByHash(replacement.tokenHash)).toStrictEqual(
          replacement
        );
        expect(await store.listTokens(alice.id)).toStrictEqual([replacement]);
      });

      it('creates a token when the hash is new', async () => {
        // Prepare
        const store = await createStore();
        const token = aToken();

        // Act
        await store.putToken(token);

        // Assess
        expect(await store.getTokenByHash(token.tokenHash)).toStrictEqual(
          token
        );
      });
    });
  });
}
