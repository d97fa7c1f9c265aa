import { transitionRequestsRoot } from '#roots/api/transition-requests.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { approvalWorkflowFromEnv } from '#shared/aws/workflow.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(transitionRequestsRoot, {
  table: registryTableFromEnv,
  workflow: approvalWorkflowFromEnv,
});
