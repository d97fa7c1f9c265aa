import { describe, expect, it } from 'vitest';
import { ResourceAlreadyExistsError } from '#domain/errors.ts';
import type { ServicePrincipalSecret } from '#domain/oauth.ts';
import type { OAuthSecretStore } from '#ports/oauth-secret-store.ts';

/** Returns a store that holds no secrets yet. */
export type OAuthSecretStoreFactory = () => Promise<OAuthSecretStore>;

function aSecret(
  overrides: Partial<ServicePrincipalSecret> = {}
): ServicePrincipalSecret {
  return {
    id: '1'.repeat(32),
    principalId: 'robot-1',
    secretHash: 'c'.repeat(64),
    status: 'ACTIVE',
    createTime: 1_700_000_000_000,
    updateTime: 1_700_000_000_000,
    expireTime: 1_800_000_000_000,
    ...overrides,
  };
}

/**
 * The contract of {@link OAuthSecretStore}, run against the in-memory fake
 * and DynamoDB Local.
 */
export function describeOAuthSecretStoreContract(
  name: string,
  makeStore: OAuthSecretStoreFactory
): void {
  describe(`OAuthSecretStore contract (${name})`, () => {
    describe('createSecret and getSecretByHash', () => {
      it('finds a secret by the hash of its value', async () => {
        // Prepare
        const store = await makeStore();
        const secret = aSecret();

        // Act
        await store.createSecret(secret);

        // Assess
        expect(await store.getSecretByHash(secret.secretHash)).toEqual(secret);
        expect(await store.getSecretByHash('d'.repeat(64))).toBeUndefined();
      });

      it('refuses a second secret with the same hash', async () => {
        // Prepare
        const store = await makeStore();
        await store.createSecret(aSecret());

        // Act
        const again = store.createSecret(aSecret({ id: '2'.repeat(32) }));

        // Assess
        await expect(again).rejects.toThrow(ResourceAlreadyExistsError);
        await expect(again).rejects.toHaveProperty(
          'code',
          'RESOURCE_ALREADY_EXISTS'
        );
      });
    });

    describe('listSecrets', () => {
      it("lists one principal's secrets in id order", async () => {
        // Prepare
        const store = await makeStore();
        await store.createSecret(
          aSecret({ id: '3'.repeat(32), secretHash: '3'.repeat(64) })
        );
        await store.createSecret(
          aSecret({ id: '2'.repeat(32), secretHash: '2'.repeat(64) })
        );
        await store.createSecret(
          aSecret({
            id: '4'.repeat(32),
            secretHash: '4'.repeat(64),
            principalId: 'other',
          })
        );

        // Act
        const listed = await store.listSecrets('robot-1');

        // Assess
        expect(listed.map((secret) => secret.id)).toEqual([
          '2'.repeat(32),
          '3'.repeat(32),
        ]);
      });
    });

    describe('deleteSecret', () => {
      it("deletes a principal's secret by id, and only its own", async () => {
        // Prepare
        const store = await makeStore();
        const secret = aSecret();
        await store.createSecret(secret);

        // Act
        const byOther = await store.deleteSecret('other', secret.id);
        const byOwner = await store.deleteSecret('robot-1', secret.id);
        const again = await store.deleteSecret('robot-1', secret.id);

        // Assess
        expect(byOther).toBe(false);
        expect(byOwner).toBe(true);
        expect(again).toBe(false);
        expect(await store.getSecretByHash(secret.secretHash)).toBeUndefined();
      });
    });
  });
}
