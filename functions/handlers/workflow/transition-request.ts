import { transitionRequestWorkflowRoot } from '#roots/transition-request-workflow.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { approvalWorkflowFromEnv } from '#shared/aws/workflow.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(transitionRequestWorkflowRoot, {
  table: registryTableFromEnv,
  workflow: approvalWorkflowFromEnv,
});
