import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBSlackStore } from '#adapters/dynamodb/slack-store.ts';
import { SlackWebApi } from '#adapters/slack/slack-web-api.ts';
import {
  performSlackAction,
  type SlackActionDependencies,
  type SlackActionResult,
} from '#domain/registry/slack-approvals.ts';
import type { SlackAction } from '#ports/slack.ts';
import { getOptionalStringFromEnv } from '#shared/config.ts';
import { observedHandler, recordMetric } from '#shared/invocation.ts';
import { logger } from '#shared/powertools.ts';
import { requestDependencies } from '#shared/request-dependencies.ts';
import { defineRoot } from '#shared/root.ts';
import { registryTableNeed } from '../api-root.ts';

/** Where the registry's version pages are (no link in messages without it). */
export const PUBLIC_URL_VARIABLE = 'STAGEGATE_PUBLIC_URL';

/**
 * Acts on the Slack clicks the callback queued (an asynchronous
 * invocation per click): the Slack user's registry principal by verified
 * e-mail, then the one decide path; refusals are told to the user.
 */
export const slackActionsRoot = defineRoot({
  // Decides requests as the API does (the table, the workflow's task
  // tokens), reads principals, and the Slack secret for the Web API.
  needs: {
    table: registryTableNeed,
    transitionRequestWorkflow: 'request',
    slackSecret: true,
  },
  wire: ({ table, workflow, slackSecret }): SlackActionDependencies => ({
    ...requestDependencies({ table, workflow }),
    identities: new DynamoDBIdentityStore(table),
    secrets: slackSecret,
    connect: (credentials) => new SlackWebApi(credentials),
    slack: new DynamoDBSlackStore(table),
    publicUrl: getOptionalStringFromEnv(PUBLIC_URL_VARIABLE),
  }),
  build: (deps: SlackActionDependencies) =>
    observedHandler(async (action: SlackAction): Promise<SlackActionResult> => {
      const result = await performSlackAction(deps, action);
      logger.info('Slack action', {
        kind: action.kind,
        requestId: action.ref.requestId,
        outcome: result.outcome,
      });
      recordMetric({
        name: 'SlackActions',
        dimensions: { Outcome: result.outcome },
      });
      return result;
    }),
});
