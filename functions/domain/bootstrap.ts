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
 * @param options.expiresAt when the token stops working (epoch ms); on
 *   AWS the token only bridges to real admins, so it expires (the local
 *   registry's does not: it is the one user's). @default never
 */
export async function ensureBootstrapAdmin(
  identities: IdentityStore,
  tokenValue: string,
  now: number,
  options: { readonly expiresAt?: number } = {}
): Promise<void> {
  await identities.ensureDirectoryMember(
    BOOTSTRAP_ADMIN,
    ADMINS_GROUP,
    newDirectoryId()
  );
  const tokenHash = hashToken(tokenValue);
  const expiryTime = options.expiresAt ?? -1;
  const existing = await identities.getTokenByHash(tokenHash);
  if (
    existing?.tokenId === BOOTSTRAP_TOKEN_ID &&
    existing.expiryTime === expiryTime
  ) {
    return;
  }
  await identities.deleteToken(BOOTSTRAP_ADMIN.id, BOOTSTRAP_TOKEN_ID);
  await identities.putToken({
    tokenId: BOOTSTRAP_TOKEN_ID,
    tokenHash,
    principalId: BOOTSTRAP_ADMIN.id,
    comment: 'bootstrap admin token',
    creationTime: now,
    expiryTime,
  });
}

/**
 * Revokes the bootstrap token (the runbook's last step, once real admins
 * exist). The bootstrap admin stays, without a way in, so its activities
 * keep their author.
 */
export async function revokeBootstrapToken(
  identities: IdentityStore
): Promise<void> {
  await identities.deleteToken(BOOTSTRAP_ADMIN.id, BOOTSTRAP_TOKEN_ID);
}
