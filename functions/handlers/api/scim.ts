import { scimRoot } from '#roots/api/scim.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(scimRoot, {
  table: registryTableFromEnv,
});
