import { describe, expect, it } from 'vitest';
import {
  BOOTSTRAP_TOKEN_ID,
  ensureBootstrapAdmin,
  revokeBootstrapToken,
} from '#domain/bootstrap.ts';
import { UnauthenticatedError } from '#domain/errors.ts';
import { BOOTSTRAP_ADMIN, type Principal } from '#domain/principal.ts';
import { authenticate, hashToken } from '#domain/tokens.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';

const NOW = 1_700_000_000_000;

/** The fake, recording the memberships it is asked for. */
class DirectoryIdentityStore extends MemoryIdentityStore {
  readonly memberships: {
    principal: Principal;
    group: string;
    newGroupId: string;
  }[] = [];

  override async ensureDirectoryMember(
    principal: Principal,
    groupName: string,
    newGroupId: string
  ): Promise<void> {
    this.memberships.push({ principal, group: groupName, newGroupId });
    await super.ensureDirectoryMember(principal, groupName, newGroupId);
  }
}
const FIRST_VALUE = `dapi${'1'.repeat(32)}`;
const SECOND_VALUE = `dapi${'2'.repeat(32)}`;

describe('bootstrap', () => {
  describe('ensureBootstrapAdmin', () => {
    it('creates the admin and a never-expiring bootstrap token', async () => {
      // Prepare
      const identities = new MemoryIdentityStore();

      // Act
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW);

      // Assess
      expect(await identities.getPrincipal(BOOTSTRAP_ADMIN.id)).toStrictEqual(
        BOOTSTRAP_ADMIN
      );
      expect(await identities.listTokens(BOOTSTRAP_ADMIN.id)).toStrictEqual([
        {
          tokenId: BOOTSTRAP_TOKEN_ID,
          tokenHash: hashToken(FIRST_VALUE),
          principalId: BOOTSTRAP_ADMIN.id,
          comment: 'bootstrap admin token',
          creationTime: NOW,
          expiryTime: -1,
        },
      ]);
      await expect(
        authenticate({ identities, now: () => NOW }, FIRST_VALUE)
      ).resolves.toStrictEqual({ principal: BOOTSTRAP_ADMIN, expiryTime: -1 });
    });

    it('makes the admin a member of admins through the directory', async () => {
      // Prepare
      const identities = new DirectoryIdentityStore();

      // Act
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW);

      // Assess
      expect(identities.memberships).toStrictEqual([
        {
          principal: BOOTSTRAP_ADMIN,
          group: 'admins',
          newGroupId: expect.any(String),
        },
      ]);
      await expect(
        authenticate({ identities, now: () => NOW }, FIRST_VALUE)
      ).resolves.toMatchObject({ principal: { id: BOOTSTRAP_ADMIN.id } });
    });

    it('changes nothing when run again with the same value', async () => {
      // Prepare
      const identities = new MemoryIdentityStore();
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW);
      const before = await identities.listTokens(BOOTSTRAP_ADMIN.id);

      // Act
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW + 60_000);

      // Assess
      expect(await identities.listTokens(BOOTSTRAP_ADMIN.id)).toStrictEqual(
        before
      );
    });

    it('replaces the old bootstrap token, which stops authenticating', async () => {
      // Prepare
      const identities = new MemoryIdentityStore();
      const deps = { identities, now: () => NOW + 60_000 };
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW);

      // Act
      await ensureBootstrapAdmin(identities, SECOND_VALUE, NOW + 60_000);

      // Assess
      const tokens = await identities.listTokens(BOOTSTRAP_ADMIN.id);
      expect(tokens).toHaveLength(1);
      expect(tokens[0]).toMatchObject({
        tokenId: BOOTSTRAP_TOKEN_ID,
        tokenHash: hashToken(SECOND_VALUE),
        creationTime: NOW + 60_000,
      });
      await expect(authenticate(deps, SECOND_VALUE)).resolves.toMatchObject({
        principal: BOOTSTRAP_ADMIN,
      });
      const old = authenticate(deps, FIRST_VALUE);
      await expect(old).rejects.toThrow(UnauthenticatedError);
      await expect(old).rejects.toHaveProperty('code', 'UNAUTHENTICATED');
    });

    it("keeps the admin's other tokens when rotating", async () => {
      // Prepare
      const identities = new MemoryIdentityStore();
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW);
      const personal = {
        tokenId: 'personal',
        tokenHash: hashToken('dapi-personal'),
        principalId: BOOTSTRAP_ADMIN.id,
        comment: 'laptop',
        creationTime: NOW,
        expiryTime: -1,
      };
      await identities.createToken(personal);

      // Act
      await ensureBootstrapAdmin(identities, SECOND_VALUE, NOW);

      // Assess
      expect(
        (await identities.listTokens(BOOTSTRAP_ADMIN.id)).map((t) => t.tokenId)
      ).toStrictEqual([BOOTSTRAP_TOKEN_ID, 'personal']);
      expect(await identities.getTokenByHash(personal.tokenHash)).toStrictEqual(
        personal
      );
    });

    it('restores the admin when it was deactivated and left admins', async () => {
      // Prepare
      const identities = new MemoryIdentityStore();
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW);
      const admins = await identities.findGroupByName('admins');
      await identities.changePrincipal(BOOTSTRAP_ADMIN.id, {
        active: false,
        addGroups: [],
        removeGroupIds: admins ? [admins.id] : [],
        keepNonEmptyGroupIds: [],
      });

      // Act
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW);

      // Assess
      expect(await identities.getPrincipal(BOOTSTRAP_ADMIN.id)).toStrictEqual(
        BOOTSTRAP_ADMIN
      );
    });

    it('gives the token the expiry asked for, after which it is refused', async () => {
      // Prepare
      const identities = new MemoryIdentityStore();
      const expiresAt = NOW + 24 * 3_600_000;

      // Act
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW, { expiresAt });

      // Assess
      await expect(
        authenticate({ identities, now: () => expiresAt - 1 }, FIRST_VALUE)
      ).resolves.toMatchObject({ principal: BOOTSTRAP_ADMIN });
      await expect(
        authenticate({ identities, now: () => expiresAt + 1 }, FIRST_VALUE)
      ).rejects.toThrow(UnauthenticatedError);
    });

    it('replaces a token with the same value but another expiry', async () => {
      // Prepare
      const identities = new MemoryIdentityStore();
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW);

      // Act
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW, {
        expiresAt: NOW + 1000,
      });

      // Assess
      expect(
        (await identities.listTokens(BOOTSTRAP_ADMIN.id)).map(
          (token) => token.expiryTime
        )
      ).toEqual([NOW + 1000]);
    });
  });

  describe('revokeBootstrapToken', () => {
    it('removes the bootstrap token and keeps the admin', async () => {
      // Prepare
      const identities = new MemoryIdentityStore();
      await ensureBootstrapAdmin(identities, FIRST_VALUE, NOW);

      // Act
      await revokeBootstrapToken(identities);

      // Assess
      expect(await identities.listTokens(BOOTSTRAP_ADMIN.id)).toEqual([]);
      expect(await identities.getPrincipal(BOOTSTRAP_ADMIN.id)).toStrictEqual(
        BOOTSTRAP_ADMIN
      );
      await expect(
        authenticate({ identities, now: () => NOW }, FIRST_VALUE)
      ).rejects.toThrow(UnauthenticatedError);
    });
  });
});
