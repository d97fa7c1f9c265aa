import { registeredModelsRoot } from '#roots/api/registered-models.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { approvalWorkflowFromEnv } from '#shared/aws/workflow.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(registeredModelsRoot, {
  table: registryTableFromEnv,
  workflow: approvalWorkflowFromEnv,
});
