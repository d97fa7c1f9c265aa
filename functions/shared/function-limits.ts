import type { FunctionGroup } from '#http/routes.ts';
import type { otherRoots } from '#roots/index.ts';

/** A function of the registry: a group of the route table, or another root. */
export type RegistryFunctionName = FunctionGroup | keyof typeof otherRoots;

/**
 * Each function's timeout in seconds: the CDK app deploys it, and the
 * local gateway and Lambda endpoint end an invocation that outlasts it as
 * Lambda would, so tests see what AWS would do. Every function is listed:
 * a new root does not compile until its timeout is decided here.
 *
 * API functions get 10 s: each operation is a few table round trips (an
 * approval answers at its commit, nothing waits for the workflow), HTTP
 * API gives up on an integration after 30 s, and the clients retry well
 * before that.
 */
export const functionTimeoutSeconds: Readonly<
  Record<RegistryFunctionName, number>
> = {
  health: 10,
  'registered-models': 10,
  'model-versions': 10,
  tokens: 10,
  scim: 10,
  'token-management': 10,
  permissions: 10,
  'transition-requests': 10,
  artifacts: 10,
  'registry-webhooks': 10,
  /** Verifies a Slack click and hands it on: Slack waits 3 s. */
  'slack-callbacks': 10,
  /** Shows or decides one e-mail link: a few reads and one transaction. */
  'email-callbacks': 10,
  /** One temporary-copy file (up to about 4.7 MB on AWS) into S3. */
  dbfs: 29,
  /** Token and OAuth secret calls: a read or two and a signature. */
  oauth: 10,
  /** IP access lists and workspace settings. */
  workspace: 10,
  authorizer: 10,
  notFound: 10,
  /** Bounded runs (sessions, objects, requests per run); hourly. */
  cleanup: 300,
  /** At most 200 leases per run; every 5 minutes. */
  registrationWatchdog: 120,
  /** Copies for as long as Lambda allows, then continues in a new invocation. */
  registration: 900,
  /** One step of a request: a few reads and one transaction. */
  transitionRequestWorkflow: 10,
  /** A stream batch of 20 events, or a sweep of what the stream missed. */
  eventDispatcher: 60,
  /** A batch of 10 webhook deliveries, each bounded by its HTTP timeout. */
  webhookDeliveries: 30,
  /** Every 5 minutes: one reminder per request left open too long. */
  reminders: 120,
  /** One Slack click decided (a few reads, one transaction, two Slack calls). */
  slackActions: 30,
};

/**
 * Lambda's limit on a synchronous invocation's request and response
 * payloads (6 MB); the local gateway and Lambda endpoint enforce it too.
 */
export const SYNC_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;
