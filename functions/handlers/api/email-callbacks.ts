import { emailCallbacksRoot } from '#roots/api/email-callbacks.ts';
import { emailLinkKeyFromEnv } from '#shared/aws/email.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { approvalWorkflowFromEnv } from '#shared/aws/workflow.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(emailCallbacksRoot, {
  table: registryTableFromEnv,
  workflow: approvalWorkflowFromEnv,
  linkKey: emailLinkKeyFromEnv,
});
