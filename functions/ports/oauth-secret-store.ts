import type { ServicePrincipalSecret } from '#domain/oauth.ts';

/**
 * OAuth secrets of service principals, stored by the hash of their value
 * (unique), listed per principal.
 */
export interface OAuthSecretStore {
  /** @throws ResourceAlreadyExistsError when the hash is already stored. */
  createSecret(secret: ServicePrincipalSecret): Promise<void>;
  getSecretByHash(
    secretHash: string
  ): Promise<ServicePrincipalSecret | undefined>;
  /** One principal's secrets, in id order. */
  listSecrets(principalId: string): Promise<readonly ServicePrincipalSecret[]>;
  /** @returns false when the principal has no secret with that id. */
  deleteSecret(principalId: string, secretId: string): Promise<boolean>;
}
