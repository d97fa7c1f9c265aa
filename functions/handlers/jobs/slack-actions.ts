import { slackActionsRoot } from '#roots/jobs/slack-actions.ts';
import { slackSecretFromEnv } from '#shared/aws/slack.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { approvalWorkflowFromEnv } from '#shared/aws/workflow.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(slackActionsRoot, {
  table: registryTableFromEnv,
  workflow: approvalWorkflowFromEnv,
  slackSecret: slackSecretFromEnv,
});
