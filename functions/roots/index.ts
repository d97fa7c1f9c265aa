import type { OperationSpec } from '#http/api-handler.ts';
import type { FunctionGroup } from '#http/routes.ts';
import type { FunctionNeeds } from '#shared/needs.ts';
import { artifactsRoot } from './api/artifacts.ts';
import { dbfsRoot } from './api/dbfs.ts';
import { emailCallbacksRoot } from './api/email-callbacks.ts';
import { healthRoot } from './api/health.ts';
import { modelVersionsRoot } from './api/model-versions.ts';
import { notFoundRoot } from './api/not-found.ts';
import { oauthRoot } from './api/oauth.ts';
import { permissionsRoot } from './api/permissions.ts';
import { registeredModelsRoot } from './api/registered-models.ts';
import { registryWebhooksRoot } from './api/registry-webhooks.ts';
import { scimRoot } from './api/scim.ts';
import { slackCallbacksRoot } from './api/slack-callbacks.ts';
import { tokenManagementRoot } from './api/token-management.ts';
import { tokensRoot } from './api/tokens.ts';
import { transitionRequestsRoot } from './api/transition-requests.ts';
import { workspaceRoot } from './api/workspace.ts';
import { authorizerRoot } from './authorizer.ts';
import { cleanupRoot } from './jobs/cleanup.ts';
import { eventDispatcherRoot } from './jobs/event-dispatcher.ts';
import { registrationRoot } from './jobs/registration.ts';
import { registrationWatchdogRoot } from './jobs/registration-watchdog.ts';
import { remindersRoot } from './jobs/reminders.ts';
import { slackActionsRoot } from './jobs/slack-actions.ts';
import { webhookDeliveriesRoot } from './jobs/webhook-deliveries.ts';
import { transitionRequestWorkflowRoot } from './transition-request-workflow.ts';

interface DeclaresNeeds {
  readonly needs: FunctionNeeds;
}

interface GroupRoot extends DeclaresNeeds {
  /** The group's operations, with the schemas the API reference shows. */
  readonly operations: readonly OperationSpec[];
}

/**
 * The root of each function group of the route table. Every group is
 * listed, so a new group does not compile until its root exists.
 */
export const groupRoots: Readonly<Record<FunctionGroup, GroupRoot>> = {
  health: healthRoot,
  'registered-models': registeredModelsRoot,
  'model-versions': modelVersionsRoot,
  'transition-requests': transitionRequestsRoot,
  tokens: tokensRoot,
  'token-management': tokenManagementRoot,
  scim: scimRoot,
  permissions: permissionsRoot,
  artifacts: artifactsRoot,
  dbfs: dbfsRoot,
  oauth: oauthRoot,
  workspace: workspaceRoot,
  'registry-webhooks': registryWebhooksRoot,
  'email-callbacks': emailCallbacksRoot,
  'slack-callbacks': slackCallbacksRoot,
};

/** The roots of the functions outside the route table's groups. */
export const otherRoots = {
  authorizer: authorizerRoot,
  notFound: notFoundRoot,
  cleanup: cleanupRoot,
  registrationWatchdog: registrationWatchdogRoot,
  registration: registrationRoot,
  transitionRequestWorkflow: transitionRequestWorkflowRoot,
  eventDispatcher: eventDispatcherRoot,
  webhookDeliveries: webhookDeliveriesRoot,
  reminders: remindersRoot,
  slackActions: slackActionsRoot,
} as const satisfies Record<string, DeclaresNeeds>;
