import { ResourceAlreadyExistsError } from '#domain/errors.ts';
import type { ServicePrincipalSecret } from '#domain/oauth.ts';
import type { OAuthSecretStore } from '#ports/oauth-secret-store.ts';

/** {@link OAuthSecretStore} in memory, keyed by hash as the adapter. */
export class MemoryOAuthSecretStore implements OAuthSecretStore {
  readonly #byHash = new Map<string, ServicePrincipalSecret>();

  async createSecret(secret: ServicePrincipalSecret): Promise<void> {
    if (this.#byHash.has(secret.secretHash)) {
      throw new ResourceAlreadyExistsError('Secret already exists.');
    }
    this.#byHash.set(secret.secretHash, { ...secret });
  }

  async getSecretByHash(
    secretHash: string
  ): Promise<ServicePrincipalSecret | undefined> {
    const secret = this.#byHash.get(secretHash);
    return secret ? { ...secret } : undefined;
  }

  async listSecrets(
    principalId: string
  ): Promise<readonly ServicePrincipalSecret[]> {
    return [...this.#byHash.values()]
      .filter((secret) => secret.principalId === principalId)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((secret) => ({ ...secret }));
  }

  async deleteSecret(principalId: string, secretId: string): Promise<boolean> {
    for (const [hash, secret] of this.#byHash) {
      if (secret.principalId === principalId && secret.id === secretId) {
        this.#byHash.delete(hash);
        return true;
      }
    }
    return false;
  }
}
