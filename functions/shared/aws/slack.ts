import { fileURLToPath } from 'node:url';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { LambdaSlackActionQueue } from '#adapters/lambda/slack-action-queue.ts';
import {
  FileSlackSecret,
  SecretsExtensionSlackSecret,
} from '#adapters/slack/slack-secret.ts';
import type { SlackActionQueue, SlackSecretSource } from '#ports/slack.ts';
import { getStringFromEnv } from '../config.ts';
import { needEnvironment } from '../needs.ts';
import { tracer } from '../powertools.ts';

/**
 * The Slack app's secret: a Secrets Manager secret by its ARN on AWS
 * (through the Parameters and Secrets extension of the function); a
 * `file:` URL (the local runtime's `<data dir>/slack.json`) is that file.
 * @throws Error when `SLACK_SECRET_ID` is not set.
 */
export function slackSecretFromEnv(): SlackSecretSource {
  const id = getStringFromEnv(needEnvironment.slackSecret);
  return id.startsWith('file:')
    ? new FileSlackSecret(fileURLToPath(id))
    : new SecretsExtensionSlackSecret({ secretId: id });
}

/**
 * The queue of Slack clicks: the Slack actions function invoked with
 * `InvocationType: Event` (`AWS_ENDPOINT_URL_LAMBDA` locally).
 * @throws Error when `SLACK_ACTIONS_FUNCTION_NAME` is not set.
 */
export function slackActionsFromEnv(): SlackActionQueue {
  return new LambdaSlackActionQueue({
    client: tracer.captureAWSv3Client(new LambdaClient({})),
    functionName: getStringFromEnv(needEnvironment.slackActions),
  });
}
