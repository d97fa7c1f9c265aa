/**
 * What a function may use outside its own code, declared by its composition
 * root (`functions/roots/`) as data: the CDK stack grants exactly this and
 * sets the variables of `needEnvironment`, and the Lambda entry point reads
 * exactly those (`awsResourcesFromEnv`). No AWS SDK here, so the CDK app
 * reads it without loading clients.
 */

/** What a function may do with the registry table. */
export type TableAccess = 'read' | 'readWrite';

/** The registry table's global secondary indexes (infra/table-definition.ts). */
export type TableIndexName = 'GSI1' | 'GSI2';

/** The two key prefixes of the artifact bucket (see `artifactKeyPrefixes`). */
export type ArtifactPrefix = 'temporary' | 'managed';

/**
 * What a function may do with the objects under one prefix of the artifact
 * bucket (`RegistryFunction.bindBucket` lists the actions of each).
 */
export type BucketAccess =
  | 'read'
  | 'readWrite'
  | 'delete'
  | 'upload'
  | 'copySource'
  | 'copyTarget';

/**
 * What a function may do with the transition-request workflow: `respond`
 * (the function its Task states invoke) answers task tokens; `request`
 * (the API groups) also starts executions; `reconcile` (the scheduled
 * job) also reads the status of executions, to re-arm or expire the
 * requests whose execution is gone.
 */
export type WorkflowAccess = 'request' | 'respond' | 'reconcile';

/**
 * What a function may do with the webhook delivery queue: `send` (the
 * dispatcher, redeliver), or `consume` (the delivery worker: receive and
 * delete, send retries again, and dead-letter).
 */
export type QueueAccess = 'send' | 'consume';

export interface TableNeed {
  readonly access: TableAccess;
  /** The indexes its queries use; the others are not granted. */
  readonly indexes: readonly TableIndexName[];
}

export interface PrefixNeed {
  readonly prefix: ArtifactPrefix;
  readonly access: BucketAccess;
  /** Whether it lists the prefix (`s3:ListBucket` limited to it). */
  readonly list: boolean;
}

export interface FunctionNeeds {
  /** The registry table. */
  readonly table?: TableNeed;
  /** Objects of the artifact bucket, prefix by prefix (at least one). */
  readonly bucket?: readonly [PrefixNeed, ...PrefixNeed[]];
  /**
   * The artifact bucket's name only, no S3 permission (to recognise
   * `s3://<bucket>/tmp-external-source/<id>` sources).
   */
  readonly bucketName?: true;
  /** The transition-request state machine. */
  readonly transitionRequestWorkflow?: WorkflowAccess;
  /** Starts asynchronous registrations (invokes the registration function). */
  readonly registrations?: true;
  /**
   * The admin-allow-listed `s3://` prefixes versions may be registered from
   * (deploy-time configuration): `read` (list them and HEAD their
   * objects) or `copySource` (copy pinned versions of their objects).
   */
  readonly externalSources?: ExternalSourceAccess;
  /**
   * The key that signs OAuth access tokens (the token endpoint) and
   * verifies them (the authorizer): a Secrets Manager secret, read
   * through the Parameters and Secrets extension.
   */
  readonly oauthSigningKey?: true;
  /** The queue of webhook deliveries (and its dead-letter queue). */
  readonly webhookQueue?: QueueAccess;
  /** Publishes registry events on the stack's event bus. */
  readonly eventBus?: true;
  /** Sends e-mail (SES on AWS, the `.eml` outbox locally). */
  readonly mail?: true;
  /** Reads the key that signs e-mail links (a Secrets Manager secret). */
  readonly emailLinkKey?: true;
  /** Reads the Slack app's secret (bot token and signing secret). */
  readonly slackSecret?: true;
  /** Queues Slack clicks (invokes the Slack actions function). */
  readonly slackActions?: true;
}

export type ExternalSourceAccess = 'read' | 'copySource';

/** The environment variable that carries each need's resource. */
export const needEnvironment = {
  table: 'REGISTRY_TABLE_NAME',
  bucket: 'ARTIFACT_BUCKET_NAME',
  bucketName: 'ARTIFACT_BUCKET_NAME',
  transitionRequestWorkflow: 'TRANSITION_REQUEST_STATE_MACHINE_ARN',
  registrations: 'REGISTRATION_FUNCTION_NAME',
  externalSources: 'EXTERNAL_SOURCE_PREFIXES',
  oauthSigningKey: 'OAUTH_SIGNING_SECRET_ARN',
  webhookQueue: 'WEBHOOK_QUEUE_URL',
  eventBus: 'EVENT_BUS_NAME',
  mail: 'MAIL_TRANSPORT',
  emailLinkKey: 'EMAIL_LINK_KEY',
  slackSecret: 'SLACK_SECRET_ID',
  slackActions: 'SLACK_ACTIONS_FUNCTION_NAME',
} as const satisfies Record<keyof FunctionNeeds, string>;

/** The variables a function with these needs reads, sorted. */
export function environmentOf(needs: FunctionNeeds): string[] {
  const names = new Set<string>();
  for (const need of Object.keys(needs) as (keyof FunctionNeeds)[]) {
    if (needs[need] !== undefined) names.add(needEnvironment[need]);
  }
  return [...names].sort();
}
