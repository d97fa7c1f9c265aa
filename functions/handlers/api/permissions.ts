import { permissionsRoot } from '#roots/api/permissions.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(permissionsRoot, {
  table: registryTableFromEnv,
});
