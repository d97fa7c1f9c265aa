import {
  ensureBootstrapAdmin,
  revokeBootstrapToken,
} from '#domain/bootstrap.ts';
import type { IdentityStore } from '#ports/identity-store.ts';

/** How long a bootstrap token lives unless asked otherwise. */
export const DEFAULT_BOOTSTRAP_HOURS = 24;
/** The longest a bootstrap token may live: it is a bridge, not a credential. */
export const MAX_BOOTSTRAP_HOURS = 7 * 24;

export interface BootstrapAdminDependencies {
  readonly identities: IdentityStore;
  /** Keeps the token where the operator reads it (the stage's secret). */
  readonly storeToken: (token: string) => Promise<void>;
  readonly newToken: () => string;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

export type BootstrapAdminResult =
  | { readonly action: 'created'; readonly expiresAt: number }
  | { readonly action: 'revoked' };

/**
 * The deployed registry's bootstrap admin: a fresh token, kept in the
 * stage's secret first (so no valid token exists that nobody can read),
 * then made the bootstrap admin's only token, expiring after `hours`.
 * With `revoke`, the token stops working and the secret is overwritten.
 * The token is never printed or taken from the command line.
 * @throws Error for hours out of range.
 */
export async function bootstrapAdmin(
  deps: BootstrapAdminDependencies,
  options: { readonly hours?: number; readonly revoke?: boolean }
): Promise<BootstrapAdminResult> {
  if (options.revoke) {
    await revokeBootstrapToken(deps.identities);
    await deps.storeToken('revoked');
    return { action: 'revoked' };
  }
  const hours = options.hours ?? DEFAULT_BOOTSTRAP_HOURS;
  if (!(hours > 0 && hours <= MAX_BOOTSTRAP_HOURS)) {
    throw new Error(
      `--expires-in-hours must be more than 0 and at most ${MAX_BOOTSTRAP_HOURS}, got ${hours}.`
    );
  }
  const now = deps.now();
  const expiresAt = now + Math.round(hours * 3_600_000);
  const token = deps.newToken();
  await deps.storeToken(token);
  await ensureBootstrapAdmin(deps.identities, token, now, { expiresAt });
  return { action: 'created', expiresAt };
}
