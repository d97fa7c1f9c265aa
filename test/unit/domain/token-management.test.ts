import { describe, expect, it } from 'vitest';
import {
  ConcurrentModificationError,
  InvalidParameterValueError,
  ResourceDoesNotExistError,
  UnauthenticatedError,
} from '#domain/errors.ts';
import type {
  DirectoryPrincipal,
  Principal,
  PrincipalKind,
} from '#domain/principal.ts';
import {
  authenticate,
  createOnBehalfOfToken,
  createToken,
  getManagedToken,
  listManagedTokens,
  revokeManagedToken,
  type TokenDirectory,
  type TokenManagementDependencies,
} from '#domain/tokens.ts';
import type { StoredToken } from '#ports/identity-store.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';
import { expectRefusal } from './support/registry.ts';

const NOW = 1_700_000_000_000;

/**
 * The part of the directory token management uses, in memory: principals
 * by id and by name (any case), and every token through an identity store
 * (`store`), so that a token made here authenticates.
 */
class MemoryTokenDirectory implements TokenDirectory {
  readonly store = new MemoryIdentityStore();
  readonly #principals = new Map<string, DirectoryPrincipal>();
  /** Owners whose tokens outlive them in a test (a purge in progress). */
  readonly #orphanOwners = new Set<string>();
  /** Runs once, before the next token is stored (a concurrent change). */
  beforeNextToken: (() => void) | undefined;

  add(principal: Omit<DirectoryPrincipal, 'displayName' | 'groups'>): void {
    this.#principals.set(principal.id, {
      ...principal,
      displayName: principal.userName,
      groups: [],
    });
    void this.store.putPrincipal({
      id: principal.id,
      userName: principal.userName,
      kind: principal.kind,
      isAdmin: false,
      groups: [],
    });
    if (!principal.active) this.store.deactivate(principal.id);
  }

  setActive(id: string, active: boolean): void {
    const principal = this.#principals.get(id);
    if (principal) this.#principals.set(id, { ...principal, active });
    if (!active) this.store.deactivate(id);
  }

  remove(id: string): void {
    this.#principals.delete(id);
  }

  async getDirectoryPrincipal(id: string) {
    return this.#principals.get(id);
  }

  async getDirectoryPrincipals(ids: readonly string[]) {
    return ids.flatMap((id) => {
      const principal = this.#principals.get(id);
      return principal ? [principal] : [];
    });
  }

  async findPrincipalByName(kind: PrincipalKind, userName: string) {
    return [...this.#principals.values()].find(
      (p) =>
        p.kind === kind && p.userName.toLowerCase() === userName.toLowerCase()
    );
  }

  async createTokenForPrincipal(token: StoredToken): Promise<void> {
    const before = this.beforeNextToken;
    this.beforeNextToken = undefined;
    before?.();
    if (this.#principals.get(token.principalId)?.active !== true) {
      throw new ConcurrentModificationError('The principal changed.');
    }
    await this.store.createToken(token);
  }

  async listAllTokens(): Promise<readonly StoredToken[]> {
    const ids = new Set([...this.#principals.keys(), ...this.#orphanOwners]);
    const tokens = await Promise.all(
      [...ids].map((id) => this.store.listTokens(id))
    );
    return tokens.flat().sort((a, b) => (a.tokenId < b.tokenId ? -1 : 1));
  }

  async getTokenById(tokenId: string) {
    return (await this.listAllTokens()).find((t) => t.tokenId === tokenId);
  }

  async deleteTokenById(tokenId: string): Promise<boolean> {
    const token = await this.getTokenById(tokenId);
    return token ? this.store.deleteToken(token.principalId, tokenId) : false;
  }

  keepTokensOf(id: string): void {
    this.#orphanOwners.add(id);
  }
}

const admin: Principal = {
  id: '1',
  userName: 'admin@example.com',
  kind: 'user',
  isAdmin: true,
  groups: ['admins'],
};
const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: [],
};
const APP_ID = '7c2b3c4e-0000-4000-8000-000000000001';

function world() {
  const directory = new MemoryTokenDirectory();
  directory.add({
    id: admin.id,
    kind: 'user',
    userName: admin.userName,
    active: true,
  });
  directory.add({
    id: alice.id,
    kind: 'user',
    userName: alice.userName,
    active: true,
  });
  directory.add({
    id: '100',
    kind: 'service_principal',
    userName: APP_ID,
    active: true,
  });
  const clock = { now: NOW };
  const deps: TokenManagementDependencies & { clock: typeof clock } = {
    identities: directory,
    now: () => clock.now,
    sleep: async () => {},
    clock,
  };
  const identity = { identities: directory.store, now: () => clock.now };
  return { directory, deps, identity, clock };
}

describe('token management', () => {
  describe('createOnBehalfOfToken', () => {
    it("issues a service principal's token by its application id, naming the admin who made it", async () => {
      // Prepare
      const { deps, identity } = world();

      // Act
      const { tokenValue, tokenInfo } = await createOnBehalfOfToken(
        deps,
        admin,
        {
          applicationId: APP_ID.toUpperCase(),
          comment: 'ci',
          lifetimeSeconds: 60,
        }
      );

      // Assess
      expect(tokenInfo).toStrictEqual({
        tokenId: tokenInfo.tokenId,
        comment: 'ci',
        creationTime: NOW,
        expiryTime: NOW + 60_000,
        ownerId: '100',
        createdById: admin.id,
        createdByUsername: admin.userName,
      });
      expect(
        (await authenticate(identity, tokenValue)).principal
      ).toMatchObject({
        id: '100',
        kind: 'service_principal',
      });
    });

    it("issues a user's token by user name (a stagegate extension)", async () => {
      // Prepare
      const { deps, identity } = world();

      // Act
      const { tokenValue, tokenInfo } = await createOnBehalfOfToken(
        deps,
        admin,
        { userName: 'Alice@Example.com' }
      );

      // Assess
      expect(tokenInfo).toMatchObject({ ownerId: alice.id, expiryTime: -1 });
      expect((await authenticate(identity, tokenValue)).principal.id).toBe(
        alice.id
      );
    });

    it('records no separate creator when the owner issues its own token', async () => {
      // Prepare
      const { deps } = world();

      // Act
      const { tokenInfo } = await createOnBehalfOfToken(deps, alice, {
        userName: alice.userName,
      });

      // Assess
      expect(tokenInfo).toMatchObject({
        ownerId: alice.id,
        createdById: alice.id,
        createdByUsername: alice.userName,
      });
    });

    it.each([
      ['neither target', {}],
      ['both targets', { applicationId: APP_ID, userName: alice.userName }],
    ])('refuses %s', async (_, input) => {
      // Prepare
      const { deps, directory } = world();

      // Act
      const attempt = createOnBehalfOfToken(deps, admin, input);

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        "Give exactly one of 'application_id' (a service principal) or 'user_name'"
      );
      expect(await directory.listAllTokens()).toStrictEqual([]);
    });

    it.each([
      ["a user's name", alice.userName, 'is a user, not a service principal'],
      ["a user's id", alice.id, 'is a user, not a service principal'],
      [
        "a service principal's id",
        '100',
        `is a service principal's id: pass its applicationId (${APP_ID}).`,
      ],
    ])(
      'refuses an application id that is %s, saying what to pass',
      async (_, applicationId, message) => {
        // Prepare
        const { deps } = world();

        // Act
        const attempt = createOnBehalfOfToken(deps, admin, { applicationId });

        // Assess
        await expectRefusal(
          attempt,
          InvalidParameterValueError,
          'INVALID_PARAMETER_VALUE',
          message
        );
      }
    );

    it('answers 404 for a target that does not exist', async () => {
      // Prepare
      const { deps } = world();

      // Act
      const noPrincipal = createOnBehalfOfToken(deps, admin, {
        applicationId: 'no-such-app',
      });
      const noUser = createOnBehalfOfToken(deps, admin, {
        userName: 'nobody@example.com',
      });

      // Assess
      await expectRefusal(
        noPrincipal,
        ResourceDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST',
        'Service principal with application id no-such-app not found.'
      );
      await expectRefusal(
        noUser,
        ResourceDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST',
        'User with user name nobody@example.com not found.'
      );
    });

    it('refuses a deactivated target', async () => {
      // Prepare
      const { deps, directory } = world();
      directory.setActive('100', false);

      // Act
      const attempt = createOnBehalfOfToken(deps, admin, {
        applicationId: APP_ID,
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        'Principal 100 is deactivated; it cannot be given a token.'
      );
    });

    it('re-reads a target deactivated while its token was being stored, and refuses it', async () => {
      // Prepare
      const { deps, directory } = world();
      directory.beforeNextToken = () => directory.setActive('100', false);

      // Act
      const attempt = createOnBehalfOfToken(deps, admin, {
        applicationId: APP_ID,
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        'is deactivated'
      );
      expect(await directory.listAllTokens()).toStrictEqual([]);
    });

    it('validates the lifetime as for personal tokens', async () => {
      // Prepare
      const { deps } = world();

      // Act
      const attempt = createOnBehalfOfToken(deps, admin, {
        applicationId: APP_ID,
        lifetimeSeconds: -1,
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        'lifetime_seconds must be a positive number of seconds'
      );
    });
  });

  describe('listManagedTokens', () => {
    it("lists every principal's live tokens with who created them", async () => {
      // Prepare
      const { deps, identity, clock } = world();
      const own = await createToken(identity, alice, {});
      const obo = await createOnBehalfOfToken(deps, admin, {
        applicationId: APP_ID,
      });
      await createToken(identity, alice, { lifetimeSeconds: 1 });
      clock.now = NOW + 1000;

      // Act
      const tokens = await listManagedTokens(deps, {});

      // Assess
      expect(
        tokens.map((t) => [
          t.tokenId,
          t.ownerId,
          t.createdById,
          t.createdByUsername,
        ])
      ).toEqual(
        expect.arrayContaining([
          [own.tokenInfo.tokenId, alice.id, alice.id, alice.userName],
          [obo.tokenInfo.tokenId, '100', admin.id, admin.userName],
        ])
      );
      expect(tokens).toHaveLength(2);
    });

    it('keeps only the tokens of one creator, by id, by user name in any case, or both', async () => {
      // Prepare
      const { deps, identity } = world();
      const own = await createToken(identity, alice, {});
      const obo = await createOnBehalfOfToken(deps, admin, {
        applicationId: APP_ID,
      });

      // Act
      const byId = await listManagedTokens(deps, { createdById: admin.id });
      const byName = await listManagedTokens(deps, {
        createdByUsername: 'ALICE@example.com',
      });
      const mismatched = await listManagedTokens(deps, {
        createdById: admin.id,
        createdByUsername: alice.userName,
      });

      // Assess
      expect(byId.map((t) => t.tokenId)).toStrictEqual([obo.tokenInfo.tokenId]);
      expect(byName.map((t) => t.tokenId)).toStrictEqual([
        own.tokenInfo.tokenId,
      ]);
      expect(mismatched).toStrictEqual([]);
    });

    it('shows an empty creator name for a token whose owner no longer exists', async () => {
      // Prepare
      const { deps, identity, directory } = world();
      await createToken(identity, alice, {});
      directory.keepTokensOf(alice.id);
      directory.remove(alice.id);

      // Act
      const tokens = await listManagedTokens(deps, {});

      // Assess
      expect(tokens).toEqual([
        expect.objectContaining({ ownerId: alice.id, createdByUsername: '' }),
      ]);
    });
  });

  describe('getManagedToken', () => {
    it('answers a token by id whoever owns it, and 404 once it expired', async () => {
      // Prepare
      const { deps, clock } = world();
      const { tokenInfo } = await createOnBehalfOfToken(deps, admin, {
        applicationId: APP_ID,
        lifetimeSeconds: 10,
      });

      // Act
      const found = await getManagedToken(deps, tokenInfo.tokenId);
      clock.now = NOW + 10_000;
      const expired = getManagedToken(deps, tokenInfo.tokenId);

      // Assess
      expect(found).toStrictEqual(tokenInfo);
      await expectRefusal(
        expired,
        ResourceDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST',
        `Token with id ${tokenInfo.tokenId} not found.`
      );
    });

    it('answers 404 for an unknown id', async () => {
      // Prepare
      const { deps } = world();

      // Act
      const attempt = getManagedToken(deps, 'f'.repeat(32));

      // Assess
      await expectRefusal(
        attempt,
        ResourceDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
    });
  });

  describe('revokeManagedToken', () => {
    it("revokes another principal's token, which then no longer authenticates", async () => {
      // Prepare
      const { deps, identity } = world();
      const { tokenValue, tokenInfo } = await createToken(identity, alice, {});

      // Act
      await revokeManagedToken(deps, tokenInfo.tokenId);

      // Assess
      await expectRefusal(
        authenticate(identity, tokenValue),
        UnauthenticatedError,
        'UNAUTHENTICATED'
      );
      await expectRefusal(
        revokeManagedToken(deps, tokenInfo.tokenId),
        ResourceDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST',
        `Token with id ${tokenInfo.tokenId} not found.`
      );
    });
  });
});
