import { FileSigningKeys } from '#adapters/keys/file-signing-keys.ts';
import { SecretsManagerSigningKeys } from '#adapters/keys/secrets-manager-signing-keys.ts';
import type { SigningKeys } from '#ports/signing-keys.ts';
import { getOptionalStringFromEnv, getStringFromEnv } from '../config.ts';
import { needEnvironment } from '../needs.ts';

/**
 * The OAuth signing keys: the Secrets Manager secret of
 * `OAUTH_SIGNING_SECRET_ARN` on AWS, or — the local runtime — the data
 * directory's key file of `OAUTH_SIGNING_KEY_FILE`.
 * @throws Error when neither is set.
 */
export function signingKeysFromEnv(): SigningKeys {
  const file = getOptionalStringFromEnv('OAUTH_SIGNING_KEY_FILE');
  if (file) return new FileSigningKeys({ path: file });
  return new SecretsManagerSigningKeys({
    secretId: getStringFromEnv(needEnvironment.oauthSigningKey),
  });
}
