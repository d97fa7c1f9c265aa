import { tokensRoot } from '#roots/api/tokens.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(tokensRoot, {
  table: registryTableFromEnv,
});
