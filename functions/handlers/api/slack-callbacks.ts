import { slackCallbacksRoot } from '#roots/api/slack-callbacks.ts';
import { slackActionsFromEnv, slackSecretFromEnv } from '#shared/aws/slack.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(slackCallbacksRoot, {
  table: registryTableFromEnv,
  slackSecret: slackSecretFromEnv,
  slackActions: slackActionsFromEnv,
});
