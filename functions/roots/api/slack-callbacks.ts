import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { DynamoDBSlackStore } from '#adapters/dynamodb/slack-store.ts';
import { SlackWebApi } from '#adapters/slack/slack-web-api.ts';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  acceptSlackInteraction,
  type SlackCallbackDependencies,
  verifySlackCallback,
} from '#domain/registry/slack-approvals.ts';
import {
  type ApiHandler,
  type ApiResult,
  apiObservability,
  mlflowErrors,
  type OperationSpec,
} from '#http/api-handler.ts';
import { parseSlackInteraction } from '#http/slack-interactions.ts';
import { defineRoot } from '#shared/root.ts';
import { now } from '#shared/system.ts';

/** Slack's interaction payloads are a few kilobytes; more is refused. */
export const MAX_SLACK_BODY_BYTES = 256 * 1024;

/** The callback as the API reference shows it. */
const slackInteractionsSpec: OperationSpec = {
  operation: 'slackInteractions',
  summary:
    "Slack's interactivity callback: Approve and Reject (no registry token; Slack's signature, docs/slack.md)",
  input: z.object({
    payload: z
      .string()
      .describe(
        'Form-encoded (`application/x-www-form-urlencoded`), as Slack sends it: the interaction as JSON. Signed with `X-Slack-Signature` and `X-Slack-Request-Timestamp`.'
      ),
  }),
  output: z
    .object({})
    .describe('An empty 200: the click is acknowledged, a modal closed.'),
};

/**
 * `POST /callbacks/slack/interactions`, public (no registry token): Slack
 * signs each callback, and the signature over the raw body is checked
 * before anything else (then the replay guard). The answer comes within
 * Slack's 3 s: clicks are queued for the Slack actions function, and a
 * Reject click opens its modal.
 */
export const slackCallbacksRoot = {
  operations: [slackInteractionsSpec],
  ...defineRoot({
    // The table: the replay guard's conditional puts (no index).
    needs: {
      table: { access: 'readWrite', indexes: [] },
      slackSecret: true,
      slackActions: true,
    },
    wire: ({
      table,
      slackSecret,
      slackActions,
    }): SlackCallbackDependencies => ({
      secrets: slackSecret,
      connect: (credentials) => new SlackWebApi(credentials),
      slack: new DynamoDBSlackStore(table),
      actions: slackActions,
      now,
    }),
    build: (deps: SlackCallbackDependencies): ApiHandler =>
      middy<APIGatewayProxyEventV2, ApiResult, Error, Context>()
        .use(apiObservability())
        .use(mlflowErrors())
        .handler(async (event) => {
          const rawBody =
            event.body === undefined
              ? ''
              : event.isBase64Encoded
                ? Buffer.from(event.body, 'base64').toString('utf8')
                : event.body;
          if (Buffer.byteLength(rawBody) > MAX_SLACK_BODY_BYTES) {
            throw new InvalidParameterValueError(
              `The body has more than ${MAX_SLACK_BODY_BYTES} bytes.`
            );
          }
          const credentials = await verifySlackCallback(deps, {
            rawBody,
            timestamp: event.headers['x-slack-request-timestamp'],
            signature: event.headers['x-slack-signature'],
          });
          await acceptSlackInteraction(
            deps,
            credentials,
            parseSlackInteraction(rawBody)
          );
          // An empty 200 acknowledges a click and closes a submitted modal.
          return { statusCode: 200, body: '' };
        }),
  }),
};
