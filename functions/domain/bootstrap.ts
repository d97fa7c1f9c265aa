import type { IdentityStore } from '#ports/identity-store.ts';
import { newDirectoryId } from './directory.ts';
import { ADMINS_GROUP } from './permissions.ts';
import { BOOTSTRAP_ADMIN } from './principal.ts';
import { hashToken } from './tokens.ts';

/** The bootstrap admin's token always has this id, so rotating it is exact. */
export const BOOTSTRAP_TOKEN_ID = 'bootstrap';

/**
 * Makes sure the bootstrap admin exists, is active and is a member of the
 * `admins` group (created when missing), and that `tokenValue` is its
 * bootstrap token, replacing any earlier bootstrap token. Idempotent: run on
 * every local start and by the deploy-time admin-token script, so it is
 * also the way back in when the admin was deactivated or removed from
 * `admins`. The admin's other memberships and profile are kept.
 */
export async function ensureBootstrapAdmin(
  identities: IdentityStore,
  tokenValue: string,
  now: number
): Promise<void> {
  await identities.ensureDirectoryMember(
    BOOTSTRAP_ADMIN,
    ADMINS_GROUP,
    newDirectoryId()
  );
  const tokenHash = hashToken(tokenValue);
  const existing = await identities.getTokenByHash(tokenHash);
  if (existing?.tokenId === BOOTSTRAP_TOKEN_ID) return;
  await identities.deleteToken(BOOTSTRAP_ADMIN.id, BOOTSTRAP_TOKEN_ID);
  await identities.putToken({
    tokenId: BOOTSTRAP_TOKEN_ID,
    tokenHash,
    principalId: BOOTSTRAP_ADMIN.id,
    comment: 'bootstrap admin token',
    creationTime: now,
    expiryTime: -1,
  });
}
