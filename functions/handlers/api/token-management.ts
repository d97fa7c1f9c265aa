import { tokenManagementRoot } from '#roots/api/token-management.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(tokenManagementRoot, {
  table: registryTableFromEnv,
});
