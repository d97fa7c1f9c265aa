import { oauthRoot } from '#roots/api/oauth.ts';
import { signingKeysFromEnv } from '#shared/aws/signing-keys.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(oauthRoot, {
  table: registryTableFromEnv,
  signingKeys: signingKeysFromEnv,
});
