import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { MIN_LINK_KEY_BYTES } from '#domain/email/email-links.ts';
import { AwsSigner } from './aws-signed.ts';

/**
 * The key that signs e-mail links, read once per process and kept in
 * memory only: never returned, never logged.
 */
export type LinkKeySource = () => Promise<Uint8Array>;

/**
 * A key file in the data directory (mode 0600), made with 256 random bits
 * on first use; an existing file is kept, so links stay valid across
 * restarts.
 */
export function fileLinkKey(path: string): LinkKeySource {
  let key: Uint8Array | undefined;
  return async () => {
    if (key) return key;
    try {
      writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    chmodSync(path, 0o600);
    key = checked(Buffer.from(readFileSync(path, 'utf8').trim(), 'utf8'));
    return key;
  };
}

/**
 * A Secrets Manager secret (its ARN), created by the stack with a
 * generated value; the operator may rotate it (links out then stop
 * working). Its string's bytes are the key.
 */
export function secretLinkKey(
  secretId: string,
  signer: Pick<AwsSigner, 'send' | 'region'> = new AwsSigner()
): LinkKeySource {
  let key: Promise<Uint8Array> | undefined;
  return () => {
    key ??= signer
      .send<{ SecretString?: string }>({
        service: 'secretsmanager',
        url: new URL(`https://secretsmanager.${signer.region}.amazonaws.com/`),
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'secretsmanager.GetSecretValue',
        },
        body: JSON.stringify({ SecretId: secretId }),
      })
      .then((secret) => checked(Buffer.from(secret.SecretString ?? '', 'utf8')))
      .catch((error: unknown) => {
        key = undefined;
        throw error;
      });
    return key;
  };
}

function checked(key: Uint8Array): Uint8Array {
  if (key.length < MIN_LINK_KEY_BYTES) {
    throw new Error(
      `The e-mail link key has fewer than ${MIN_LINK_KEY_BYTES} bytes.`
    );
  }
  return key;
}
