import { authorizerRoot } from '#roots/authorizer.ts';
import { signingKeysFromEnv } from '#shared/aws/signing-keys.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(authorizerRoot, {
  table: registryTableFromEnv,
  signingKeys: signingKeysFromEnv,
});
