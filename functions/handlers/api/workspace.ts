import { workspaceRoot } from '#roots/api/workspace.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(workspaceRoot, {
  table: registryTableFromEnv,
});
