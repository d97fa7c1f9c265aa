import type { SigningKey } from '#domain/oauth.ts';

/**
 * The keys that sign and verify OAuth access tokens: the current one
 * signs; it and the previous one (kept through a rotation until the tokens
 * it signed have expired) verify.
 */
export interface SigningKeys {
  current(): Promise<SigningKey>;
  /** The key with this id, if it still verifies. */
  find(kid: string): Promise<SigningKey | undefined>;
}
