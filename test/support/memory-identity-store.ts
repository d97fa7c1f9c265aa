import { ResourceAlreadyExistsError } from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import type {
  IdentityStore,
  StoredPrincipal,
  StoredToken,
} from '#ports/identity-store.ts';
import { compareUtf8 } from './memory-model-registry-store.ts';

/**
 * {@link IdentityStore} in memory, with the DynamoDB adapter's semantics
 * (checked by the shared store contract suite): tokens keyed by hash, a
 * principal's tokens listed in token-id order, deletes scoped to the owner.
 *
 * Like the port allows, it has no directory (`ensureDirectoryMember` is
 * left out); `deactivate` stands in for the directory's deactivation.
 */
export class MemoryIdentityStore implements IdentityStore {
  readonly #principals = new Map<string, StoredPrincipal>();
  readonly #tokensByHash = new Map<string, StoredToken>();

  async getPrincipal(id: string): Promise<StoredPrincipal | undefined> {
    const principal = this.#principals.get(id);
    return principal ? structuredClone(principal) : undefined;
  }

  /** Stores the principal's fields only, as the adapter does. */
  async putPrincipal(principal: Principal): Promise<void> {
    this.#principals.set(principal.id, {
      id: principal.id,
      userName: principal.userName,
      kind: principal.kind,
      isAdmin: principal.isAdmin,
      groups: [...principal.groups],
    });
  }

  /** Marks a principal inactive, as a SCIM `active: false` would. */
  deactivate(id: string): void {
    const principal = this.#principals.get(id);
    if (principal) this.#principals.set(id, { ...principal, active: false });
  }

  async getTokenByHash(tokenHash: string): Promise<StoredToken | undefined> {
    const token = this.#tokensByHash.get(tokenHash);
    return token ? { ...token } : undefined;
  }

  async createToken(token: StoredToken): Promise<void> {
    if (this.#tokensByHash.has(token.tokenHash)) {
      throw new ResourceAlreadyExistsError('Token already exists.');
    }
    this.#tokensByHash.set(token.tokenHash, { ...token });
  }

  async putToken(token: StoredToken): Promise<void> {
    this.#tokensByHash.set(token.tokenHash, { ...token });
  }

  async listTokens(principalId: string): Promise<readonly StoredToken[]> {
    return [...this.#tokensByHash.values()]
      .filter((token) => token.principalId === principalId)
      .sort((a, b) => compareUtf8(a.tokenId, b.tokenId))
      .map((token) => ({ ...token }));
  }

  async deleteToken(principalId: string, tokenId: string): Promise<boolean> {
    for (const [hash, token] of this.#tokensByHash) {
      if (token.principalId === principalId && token.tokenId === tokenId) {
        this.#tokensByHash.delete(hash);
        return true;
      }
    }
    return false;
  }
}
