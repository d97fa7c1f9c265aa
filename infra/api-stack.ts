import { readFileSync } from 'node:fs';
import {
  ArnFormat,
  CfnOutput,
  Duration,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import {
  CfnAuthorizer,
  CfnStage,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  Certificate,
  CertificateValidation,
} from 'aws-cdk-lib/aws-certificatemanager';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import {
  LambdaApplication,
  LambdaDeploymentConfig,
  LambdaDeploymentGroup,
} from 'aws-cdk-lib/aws-codedeploy';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  EventBus,
  type IEventBus,
  Rule,
  RuleTargetInput,
  Schedule,
} from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import {
  ManagedPolicy,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import {
  FilterCriteria,
  FilterRule,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import {
  DynamoEventSource,
  SqsDlq,
  SqsEventSource,
} from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import {
  AaaaRecord,
  ARecord,
  HostedZone,
  RecordTarget,
} from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import {
  DefinitionBody,
  type IStateMachine,
  LogLevel,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct, IConstruct } from 'constructs';
import type { S3Prefix } from '../functions/domain/artifacts/sources.ts';
import {
  type FunctionGroup,
  functionGroups,
  handlerEntry,
  routeKey,
  routes,
} from '../functions/http/routes.ts';
import { groupRoots, otherRoots } from '../functions/roots/index.ts';
import { PUBLIC_URL_VARIABLE } from '../functions/roots/jobs/slack-actions.ts';
import {
  functionTimeoutSeconds,
  type RegistryFunctionName,
} from '../functions/shared/function-limits.ts';
import {
  type FunctionNeeds,
  needEnvironment,
} from '../functions/shared/needs.ts';
import type { TransitionRequestSubstitutions } from '../statemachines/substitutions.ts';
import { FailureQueue } from './constructs/failure-queue.ts';
import { RegistryMonitoring } from './constructs/monitoring.ts';
import {
  LIVE_ALIAS,
  RegistryFunction,
} from './constructs/registry-function.ts';
import { fromRepoRoot } from './paths.ts';
import {
  functionSettings,
  type StageConfig,
  stageNames,
} from './stage-config.ts';
import { artifactKeyPrefixes } from './stateful-stack.ts';

/** The transition-request workflow, relative to the repository root. */
export const TRANSITION_REQUEST_ASL =
  'statemachines/transition-request.asl.json';

/** Handler entries that are not a function group of the route table. */
export const handlerEntries = {
  authorizer: 'functions/handlers/authorizer.ts',
  notFound: 'functions/handlers/api/not-found.ts',
  cleanup: 'functions/handlers/jobs/cleanup.ts',
  /** Re-drives registrations whose attempt stopped renewing its lease. */
  registrationWatchdog: 'functions/handlers/jobs/registration-watchdog.ts',
  /** Invoked asynchronously by model-versions (and by itself) per version. */
  registration: 'functions/handlers/jobs/registration.ts',
  /** Invoked by every Task state of the transition-request workflow. */
  transitionRequestWorkflow:
    'functions/handlers/workflow/transition-request.ts',
  /** The outbox's stream (and a sweep schedule) → queue and event bus. */
  eventDispatcher: 'functions/handlers/jobs/event-dispatcher.ts',
  /** The webhook delivery queue → receivers. */
  webhookDeliveries: 'functions/handlers/jobs/webhook-deliveries.ts',
  /** Reminders of requests left open (every 5 minutes). */
  reminders: 'functions/handlers/jobs/reminders.ts',
  /** Slack clicks, invoked asynchronously by the Slack callback. */
  slackActions: 'functions/handlers/jobs/slack-actions.ts',
} as const;

/** The fixed name of a stack's webhook delivery queue (its DLQ adds `-dlq`). */
export function webhookQueueName(stackName: string): string {
  if (Token.isUnresolved(stackName)) {
    throw new Error('The API stack needs a concrete stack name');
  }
  // SQS allows 80 characters; `-dlq` takes 4 of them.
  const name = `${stackName}-webhook-deliveries`;
  if (name.length > 76) {
    throw new Error(
      `Queue name ${name} is longer than 76 characters: use a shorter stack name`
    );
  }
  return name;
}

/** The source, detail types and detail of the registry's bus entries. */
export const REGISTRY_EVENT_SOURCE = 'stagegate.registry';

/** Step Functions' limit on state machine names. */
const STATE_MACHINE_NAME_MAX_LENGTH = 80;

/**
 * The fixed name of a stage's transition-request state machine
 * (`stagegate-<stage>-transition-request`); see {@link ApiStack} for why it
 * is not generated. It never changes for a stage: replacing the state
 * machine would stop the executions waiting on it (the reconciliation of
 * the cleanup job re-arms their requests, but only once an hour).
 */
export function transitionRequestStateMachineName(prefix: string): string {
  if (Token.isUnresolved(prefix)) {
    throw new Error('The state machine needs a concrete name prefix');
  }
  const name = `${prefix}-transition-request`;
  if (name.length > STATE_MACHINE_NAME_MAX_LENGTH) {
    throw new Error(
      `State machine name ${name} is longer than ${STATE_MACHINE_NAME_MAX_LENGTH} characters: use a shorter stage name`
    );
  }
  return name;
}

/**
 * The fixed name of a stage's registration function
 * (`stagegate-<stage>-registration`): the function invokes itself to
 * continue a long registration, and a reference to its own ARN in its
 * policy would be a dependency cycle.
 */
export function registrationFunctionName(prefix: string): string {
  if (Token.isUnresolved(prefix)) {
    throw new Error('The registration function needs a concrete name prefix');
  }
  const name = `${prefix}-registration`;
  if (name.length > 64) {
    throw new Error(
      `Function name ${name} is longer than 64 characters: use a shorter stage name`
    );
  }
  return name;
}

/** The resources a function's needs are bound to. */
interface Bindings {
  readonly table: ITable;
  readonly artifactBucket: IBucket;
  /** Which one to bind: see the class comment of {@link ApiStack}. */
  readonly stateMachine: IStateMachine;
  readonly queue: IQueue;
  readonly deadLetters: IQueue;
  readonly bus: IEventBus;
  readonly oauthSigningKey?: ISecret | undefined;
  readonly externalSourcePrefixes?: readonly S3Prefix[] | undefined;
  /** The Slack app's bot token and signing secret (docs/slack.md). */
  readonly slackSecret: ISecret;
  /** Acts on Slack clicks; bound once it exists. */
  readonly slackActions?: RegistryFunction | undefined;
  /** E-mail; absent for the functions made before it (the workflow's). */
  readonly email?: EmailResources | undefined;
}

/** E-mail: the link key, and the sender where e-mail is on. */
interface EmailResources {
  readonly linkKey: Secret;
  readonly sender?: {
    readonly address: string;
    readonly identity: EmailIdentity;
  };
  /** Where links point: the configured URL, else the HTTP API's. */
  readonly publicUrl: () => string;
}

/**
 * E-mail of approvals (docs/email.md). Without `sender`, e-mail is off:
 * no SES identity, and the event dispatcher mails nobody.
 */
export interface EmailProps {
  /** The `From` address, e.g. `registry@example.com`. */
  readonly sender: string;
  /**
   * The SES identity to create and send as: a domain (`example.com`,
   * verified by its DNS records) or the sender's address (verified by a
   * mail SES sends to it).
   * @default the sender's address
   */
  readonly identity?: string | undefined;
  /**
   * The registry's public URL, where links point (a custom domain).
   * @default the HTTP API's endpoint
   */
  readonly publicUrl?: string | undefined;
}

export interface ApiStackProps extends StackProps {
  /** The stage deployed (`infra/stages.ts`). */
  readonly config: StageConfig;
  /** The registry table (`StatefulStack.table`). */
  readonly table: ITable;
  /** The artifact bucket (`StatefulStack.artifactBucket`). */
  readonly artifactBucket: IBucket;
  /** @default e-mail off */
  readonly email?: EmailProps | undefined;
  /** The OAuth signing key (`StatefulStack.oauthSigningKey`). */
  readonly oauthSigningKey: ISecret;
  /**
   * The `s3://` prefixes an admin allow-lists for registering versions by
   * path (context `externalSourcePrefixes`); the functions that read them
   * are granted exactly these.
   * @default - none
   */
  readonly externalSourcePrefixes?: readonly S3Prefix[];
}

/**
 * The stateless part of a stage: one Lambda per function group of the
 * route table behind an HTTP API (`$default` stage at the origin root,
 * optionally on the stage's own domain) with a Lambda REQUEST authorizer,
 * the transition-request state machine loaded from its ASL file with the
 * function its Task states invoke, the hourly cleanup job (which also
 * reconciles pending transition requests), the registration watchdog, the
 * queues where failed asynchronous work lands, and the alarms and
 * dashboard ({@link RegistryMonitoring}). Table and bucket come from the
 * stateful stack through the props.
 *
 * Every caller invokes a function's `live` alias, never the function: a
 * new version takes the alias gradually (CodeDeploy, rolled back by the
 * function's alarms) unless the stage deploys `all-at-once`.
 *
 * The state machine and its function refer to each other: the definition
 * names the function's alias (`${TransitionRequestFunctionArn}`), and the
 * function answers task tokens of the state machine (its policy) and reads
 * its ARN (its environment). Referencing both resources would be a
 * CloudFormation dependency cycle. So the state machine gets a fixed name
 * ({@link transitionRequestStateMachineName}) and the function gets the ARN
 * built from that name with `Stack.formatArn`, which references no
 * resource: the function is created first, then the state machine. The API
 * groups keep the reference (nothing points back at them), so they are
 * created after the state machine they start executions of.
 */
export class ApiStack extends Stack {
  readonly config: StageConfig;
  readonly httpApi: HttpApi;
  /** Where clients reach the registry: the custom domain, if any. */
  readonly apiUrl: string;
  readonly authorizerFunction: RegistryFunction;
  /** The Lambda of each function group of the route table. */
  readonly groupFunctions: ReadonlyMap<FunctionGroup, RegistryFunction>;
  /** Serves the `$default` route (paths the route table does not know). */
  readonly notFoundFunction: RegistryFunction;
  /** Hourly: temporary uploads, and pending requests whose execution is gone. */
  readonly cleanupFunction: RegistryFunction;
  /** Copies a version's upload into the managed prefix (async invocations). */
  readonly registrationFunction: RegistryFunction;
  /** Every 5 minutes: re-drives or fails registrations whose lease ran out. */
  readonly registrationWatchdogFunction: RegistryFunction;
  /** Invoked by the Task states of the transition-request workflow. */
  readonly transitionRequestWorkflowFunction: RegistryFunction;
  readonly transitionRequestStateMachine: StateMachine;
  /** Every function, by its name in `functionTimeoutSeconds`. */
  readonly functions: ReadonlyMap<RegistryFunctionName, RegistryFunction>;
  /** On-failure destination of the registration function. */
  readonly registrationFailures: FailureQueue;
  /**
   * Dead-letter queue of the schedules, and on-failure destination of the
   * scheduled functions.
   */
  readonly scheduledJobFailures: FailureQueue;
  readonly monitoring: RegistryMonitoring;
  /** The gradual deployment of each function (none when `all-at-once`). */
  readonly deploymentGroups: ReadonlyMap<
    RegistryFunctionName,
    LambdaDeploymentGroup
  >;
  /**
   * Stream batches the event dispatcher gave up on (their events stay
   * pending in the table; the sweep dispatches them).
   */
  readonly eventDispatchFailures: FailureQueue;
  /** One message per webhook delivery (and its dead-letter queue). */
  readonly webhookQueue: Queue;
  readonly webhookDeadLetterQueue: Queue;
  /** Every registry event, for platform teams to route anywhere. */
  readonly eventBus: EventBus;
  /** The outbox's stream (and a 5-minute sweep) → queue and bus. */
  readonly eventDispatcherFunction: RegistryFunction;
  /** Sends queued webhook deliveries. */
  readonly webhookDeliveriesFunction: RegistryFunction;
  /** Every 5 minutes: one reminder per request left open too long. */
  readonly remindersFunction: RegistryFunction;
  /** Signs e-mail links (generated; never leaves Secrets Manager but to the functions). */
  readonly emailLinkKey: Secret;
  /** The SES identity mail is sent as, where e-mail is on. */
  readonly emailIdentity: EmailIdentity | undefined;
  /** The Slack app's secret: created here, its value set by the operator. */
  readonly slackSecret: Secret;
  /** Acts on Slack clicks after the callback answered. */
  readonly slackActionsFunction: RegistryFunction;
  /** Slack clicks whose asynchronous decision failed. */
  readonly slackActionFailures: FailureQueue;
  readonly #functions = new Map<RegistryFunctionName, RegistryFunction>();
  readonly #prefix: string;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    this.config = props.config;
    this.#prefix = stageNames(props.config).prefix;
    this.functions = this.#functions;

    this.registrationFailures = new FailureQueue(this, 'RegistrationFailures', {
      purpose: 'registration invocations that never ran to their end',
    });
    this.scheduledJobFailures = new FailureQueue(this, 'ScheduledJobFailures', {
      purpose: 'scheduled runs EventBridge could not deliver or that failed',
    });

    const stateMachineName = transitionRequestStateMachineName(this.#prefix);
    // The state machine by name, not by reference (see the class comment).
    const stateMachineByName = StateMachine.fromStateMachineArn(
      this,
      'TransitionRequestByName',
      this.formatArn({
        service: 'states',
        resource: 'stateMachine',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        resourceName: stateMachineName,
      })
    );
    const events = this.createEventResources();
    this.webhookQueue = events.queue;
    this.webhookDeadLetterQueue = events.deadLetters;
    this.eventBus = events.bus;
    this.slackSecret = this.createSlackSecret();
    const workflowFunction = this.registryFunction(
      'transitionRequestWorkflow',
      'TransitionRequestWorkflowFunction',
      {
        entry: handlerEntries.transitionRequestWorkflow,
        description: 'stagegate workflow: steps of a transition request',
      }
    );
    this.bindNeeds(
      workflowFunction,
      otherRoots.transitionRequestWorkflow.needs,
      {
        table: props.table,
        artifactBucket: props.artifactBucket,
        ...events,
        stateMachine: stateMachineByName,
        slackSecret: this.slackSecret,
      }
    );
    this.transitionRequestWorkflowFunction = workflowFunction;
    this.transitionRequestStateMachine = this.createStateMachine(
      stateMachineName,
      this.transitionRequestWorkflowFunction
    );
    const email = this.createEmailResources(props.email);
    this.emailLinkKey = email.linkKey;
    this.emailIdentity = email.sender?.identity;
    const baseBindings: Bindings = {
      table: props.table,
      artifactBucket: props.artifactBucket,
      oauthSigningKey: props.oauthSigningKey,
      externalSourcePrefixes: props.externalSourcePrefixes,
      stateMachine: this.transitionRequestStateMachine,
      ...events,
      slackSecret: this.slackSecret,
      email,
    };
    this.slackActionsFunction = this.bindNeeds(
      this.registryFunction('slackActions', 'SlackActionsFunction', {
        entry: handlerEntries.slackActions,
        readsSecrets: true,
        description:
          'stagegate: decides transition requests clicked in Slack, as the clicking user',
      }),
      otherRoots.slackActions.needs,
      baseBindings
    );
    // Lambda does not retry a click: a second run would be refused anyway
    // (the request is decided), and a lost one is clicked again; the
    // failed ones are kept (and alarmed) for the operator.
    this.slackActionFailures = new FailureQueue(this, 'SlackActionFailures', {
      purpose: 'Slack clicks whose decision never ran to its end',
    });
    this.slackActionsFunction.live.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.minutes(5),
      onFailure: new SqsDestination(this.slackActionFailures.queue),
    });
    const bindings: Bindings = {
      ...baseBindings,
      slackActions: this.slackActionsFunction,
    };

    this.registrationFunction = this.createRegistrationFunction(bindings);

    this.authorizerFunction = this.bindNeeds(
      this.registryFunction('authorizer', 'Authorizer', {
        entry: handlerEntries.authorizer,
        readsSecrets: otherRoots.authorizer.needs.oauthSigningKey,
        description: 'Resolves bearer tokens to principals for the HTTP API',
      }),
      otherRoots.authorizer.needs,
      bindings
    );

    const groupFunctions = new Map<FunctionGroup, RegistryFunction>();
    for (const group of functionGroups) {
      const needs: FunctionNeeds = groupRoots[group].needs;
      const fn = this.registryFunction(group, `${pascalCase(group)}Function`, {
        entry: handlerEntry(group),
        description: `stagegate API: ${group}`,
        readsSecrets:
          needs.oauthSigningKey === true || needs.slackSecret === true,
      });
      groupFunctions.set(
        group,
        this.bindNeeds(fn, groupRoots[group].needs, bindings)
      );
    }
    this.groupFunctions = groupFunctions;

    this.notFoundFunction = this.bindNeeds(
      this.registryFunction('notFound', 'NotFoundFunction', {
        entry: handlerEntries.notFound,
        description: 'stagegate API: paths outside the route table',
      }),
      otherRoots.notFound.needs,
      bindings
    );

    this.httpApi = this.createHttpApi();
    this.apiUrl = this.config.domain
      ? `https://${this.config.domain.name}`
      : this.httpApi.apiEndpoint;
    // Links in Slack messages and e-mails point at the registry's public
    // URL (its custom domain, or the configured public URL).
    this.slackActionsFunction.addEnvironment(
      PUBLIC_URL_VARIABLE,
      email.publicUrl()
    );

    this.cleanupFunction = this.createCleanup(bindings);
    this.registrationWatchdogFunction =
      this.createRegistrationWatchdog(bindings);

    this.eventDispatchFailures = new FailureQueue(
      this,
      'EventDispatchFailures',
      {
        purpose:
          'table-stream batches the event dispatcher gave up on (the events stay pending for its sweep)',
      }
    );
    this.eventDispatcherFunction = this.createEventDispatcher(
      props.table,
      bindings
    );
    this.eventDispatcherFunction.addEnvironment(
      PUBLIC_URL_VARIABLE,
      email.publicUrl()
    );
    this.webhookDeliveriesFunction = this.createWebhookDeliveries(bindings);
    this.remindersFunction = this.createReminders(bindings);

    this.monitoring = new RegistryMonitoring(this, 'Monitoring', {
      config: this.config,
      prefix: this.#prefix,
      httpApi: this.httpApi,
      functions: this.#functions,
      cleanupFunction: this.cleanupFunction,
      stateMachine: this.transitionRequestStateMachine,
      table: props.table,
      deadLetterQueues: new Map<string, IQueue>([
        ['registration-failures', this.registrationFailures.queue],
        ['scheduled-job-failures', this.scheduledJobFailures.queue],
        ['event-dispatch-failures', this.eventDispatchFailures.queue],
        ['webhook-deliveries', this.webhookDeadLetterQueue],
        ['slack-action-failures', this.slackActionFailures.queue],
      ]),
    });
    this.deploymentGroups = this.createDeploymentGroups();
    this.acknowledgeDeadLetterConfigs();

    new CfnOutput(this, 'ApiUrl', {
      value: this.apiUrl,
      description: 'Registry URL (MLFLOW_TRACKING_URI / DATABRICKS_HOST)',
    });
    new CfnOutput(this, 'TransitionRequestStateMachineArn', {
      value: this.transitionRequestStateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'Subscribe to it for the alarms (docs/operations.md)',
    });
    new CfnOutput(this, 'DashboardName', {
      value: `${this.#prefix}`,
    });
    new CfnOutput(this, 'EventBusName', {
      value: this.eventBus.eventBusName,
      description: `Registry events (source ${REGISTRY_EVENT_SOURCE}, detail-type = event type)`,
    });
    new CfnOutput(this, 'SlackSecretArn', {
      value: this.slackSecret.secretArn,
      description:
        'Put the Slack app\'s {"bot_token", "signing_secret"} here (docs/slack.md)',
    });
    new CfnOutput(this, 'WebhookDeadLetterQueueUrl', {
      value: this.webhookDeadLetterQueue.queueUrl,
      description: 'Webhook deliveries that gave up',
    });
  }

  /**
   * A function of the stage: its timeout from `functionTimeoutSeconds`,
   * the stage's log retention and registry settings.
   */
  private registryFunction(
    name: RegistryFunctionName,
    id: string,
    props: {
      entry: string;
      description: string;
      functionName?: string;
      readsSecrets?: boolean;
    }
  ): RegistryFunction {
    const fn = new RegistryFunction(this, id, {
      ...props,
      timeout: Duration.seconds(functionTimeoutSeconds[name]),
      logRetention: this.config.logRetentionDays,
      environment: functionSettings(this.config),
    });
    this.#functions.set(name, fn);
    return fn;
  }

  /**
   * The webhook delivery queue with its dead-letter queue, both with fixed
   * names (the worker derives the dead-letter queue's URL from the
   * queue's), and the registry's event bus.
   */
  private createEventResources(): {
    queue: Queue;
    deadLetters: Queue;
    bus: EventBus;
  } {
    const name = webhookQueueName(this.stackName);
    const deadLetters = new Queue(this, 'WebhookDeadLetterQueue', {
      queueName: `${name}-dlq`,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const deadLetterReason =
      'This is the dead-letter queue of the webhook delivery queue; what lands here is kept 14 days for inspection and redrive (alarmed).';
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: deadLetterReason,
    });
    Validations.of(deadLetters).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: deadLetterReason,
    });
    const queue = new Queue(this, 'WebhookQueue', {
      queueName: name,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the worker's timeout, as Lambda recommends for an SQS
      // event source: a batch being retried is not received twice.
      visibilityTimeout: Duration.minutes(3),
      retentionPeriod: Duration.days(4),
      // A message whose processing keeps failing (it never reached a
      // recorded outcome) ends up here too.
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    const bus = new EventBus(this, 'RegistryEventBus', {
      eventBusName: `${this.stackName}-registry-events`,
      description: `stagegate registry events: source ${REGISTRY_EVENT_SOURCE}, detail-type the event type, detail Databricks' webhook payload with event_id and model_id`,
    });
    return { queue, deadLetters, bus };
  }

  /**
   * The event dispatcher: the table's stream, filtered to the outbox's
   * inserts, invokes it within a second of each commit; a schedule sweeps
   * every 5 minutes what the stream's retries did not get through (the
   * events stay pending in the table until dispatched, so none is lost
   * when a batch is dropped or the stream's 24 h retention runs out).
   */
  private createEventDispatcher(
    table: ITable,
    resources: Bindings
  ): RegistryFunction {
    const fn = this.bindNeeds(
      this.registryFunction('eventDispatcher', 'EventDispatcherFunction', {
        entry: handlerEntries.eventDispatcher,
        description:
          'stagegate: dispatches registry events to webhooks, the event bus and Slack',
        readsSecrets: otherRoots.eventDispatcher.needs.slackSecret === true,
      }),
      otherRoots.eventDispatcher.needs,
      resources
    );
    // Through the live alias, as every caller: a new version takes the
    // stream gradually too.
    fn.live.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 20,
        bisectBatchOnError: true,
        retryAttempts: 5,
        reportBatchItemFailures: true,
        // What the retries do not get through is recorded (alarmed); its
        // events stay pending in the table for the sweep.
        onFailure: new SqsDlq(this.eventDispatchFailures.queue),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: {
              NewImage: { entity: { S: FilterRule.isEqual('RegistryEvent') } },
            },
          }),
        ],
      })
    );
    Validations.of(fn.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams (granted with the stream event source) supports no resource-level permissions.',
    });
    // A sweep that fails is the next sweep's work five minutes later.
    this.scheduleJob(fn, 'EventDispatcherSweep', {
      description: `stagegate ${this.config.name}: dispatches registry events the table stream did not deliver (every 5 minutes)`,
      rate: Duration.minutes(5),
      maxEventAge: Duration.minutes(5),
      invokeRetries: 0,
      deliveryRetries: 0,
      event: RuleTargetInput.fromObject({ olderThanSeconds: 60 }),
    });
    return fn;
  }

  /**
   * The webhook delivery worker, fed by the queue (batches of 10, partial
   * batch responses): it records each attempt, queues retries again with
   * their delay and dead-letters what gives up.
   */
  private createWebhookDeliveries(resources: Bindings): RegistryFunction {
    const fn = this.bindNeeds(
      this.registryFunction('webhookDeliveries', 'WebhookDeliveriesFunction', {
        entry: handlerEntries.webhookDeliveries,
        description: 'stagegate: sends registry webhook deliveries',
      }),
      otherRoots.webhookDeliveries.needs,
      resources
    );
    fn.live.addEventSource(
      new SqsEventSource(resources.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: 10,
      })
    );
    Validations.of(fn.live).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        "An SQS event source takes no on-failure destination: a message that keeps failing moves to the queue's own dead-letter queue (redrive policy, alarmed).",
    });
    return fn;
  }

  /**
   * Reminders of transition requests left open: every 5 minutes, one per
   * request past its reminder age (each marked, so a failed run is simply
   * the next run's work: neither the schedule nor Lambda retries it; what
   * could not be delivered or failed lands in the scheduled-job-failures
   * queue, alarmed).
   */
  private createReminders(resources: Bindings): RegistryFunction {
    const fn = this.bindNeeds(
      this.registryFunction('reminders', 'RemindersFunction', {
        entry: handlerEntries.reminders,
        description:
          'stagegate: reminds approvers of transition requests left open',
      }),
      otherRoots.reminders.needs,
      resources
    );
    this.scheduleJob(fn, 'RemindersSchedule', {
      description: `stagegate ${this.config.name}: reminders of transition requests open past their reminder age (every 5 minutes)`,
      rate: Duration.minutes(5),
      maxEventAge: Duration.minutes(5),
      invokeRetries: 0,
      deliveryRetries: 0,
    });
    return fn;
  }

  /**
   * Grants a function what its composition root declares it needs
   * (`functions/roots/`), and nothing more, and sets the variables its
   * entry point reads (`needEnvironment`).
   */
  private bindNeeds(
    fn: RegistryFunction,
    needs: FunctionNeeds,
    resources: Bindings
  ): RegistryFunction {
    if (needs.table) fn.bindTable(resources.table, needs.table);
    if (needs.oauthSigningKey) {
      if (!resources.oauthSigningKey) {
        throw new Error('No OAuth signing key to bind');
      }
      fn.bindSigningKey(resources.oauthSigningKey);
    }
    if (needs.externalSources) {
      fn.bindExternalSources(
        resources.externalSourcePrefixes ?? [],
        needs.externalSources
      );
    }
    for (const { prefix, access, list } of needs.bucket ?? []) {
      fn.bindBucket(
        resources.artifactBucket,
        access,
        artifactKeyPrefixes[prefix],
        { list }
      );
    }
    if (needs.bucketName) {
      fn.addEnvironment(
        needEnvironment.bucketName,
        resources.artifactBucket.bucketName
      );
    }
    if (needs.transitionRequestWorkflow) {
      fn.bindTransitionRequestWorkflow(
        resources.stateMachine,
        needs.transitionRequestWorkflow
      );
    }
    if (needs.registrations) this.grantRegistrations(fn);
    if (needs.webhookQueue) {
      fn.bindWebhookQueue(
        resources.queue,
        resources.deadLetters,
        needs.webhookQueue
      );
    }
    if (needs.eventBus) fn.bindEventBus(resources.bus);
    if (needs.mail || needs.emailLinkKey) {
      const { email } = resources;
      if (!email) throw new Error('No e-mail resources to bind yet.');
      if (needs.mail) this.bindMail(fn, email);
      if (needs.emailLinkKey) {
        // GetSecretValue on the one secret (not grantRead's DescribeSecret).
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['secretsmanager:GetSecretValue'],
            resources: [email.linkKey.secretArn],
          })
        );
        fn.addEnvironment(
          needEnvironment.emailLinkKey,
          email.linkKey.secretArn
        );
      }
    }
    if (needs.slackSecret) {
      // GetSecretValue on the one secret (not grantRead's DescribeSecret).
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [resources.slackSecret.secretArn],
        })
      );
      fn.addEnvironment(
        needEnvironment.slackSecret,
        resources.slackSecret.secretArn
      );
    }
    if (needs.slackActions) {
      const actions = resources.slackActions;
      if (!actions) throw new Error('The Slack actions function comes first');
      // The live alias, as every other invocation (safe upgrades).
      actions.live.grantInvoke(fn);
      fn.addEnvironment(
        needEnvironment.slackActions,
        actions.live.functionName
      );
    }
    return fn;
  }

  /** `MAIL_TRANSPORT` and its settings; SES sending as the one identity. */
  private bindMail(fn: RegistryFunction, email: EmailResources): void {
    if (!email.sender) {
      fn.addEnvironment(needEnvironment.mail, 'off');
      return;
    }
    fn.addEnvironment(needEnvironment.mail, 'ses');
    // Links point at STAGEGATE_PUBLIC_URL, set on the dispatcher below.
    fn.addEnvironment('MAIL_FROM', email.sender.address);
    email.sender.identity.grantSendEmail(fn);
  }

  private createEmailResources(props: EmailProps | undefined): EmailResources {
    const linkKey = new Secret(this, 'EmailLinkKey', {
      description:
        'stagegate: signs the Approve/Reject links of approval e-mails (rotating it voids the links out)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(linkKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'An HMAC key with no external party: rotating it voids every approval link sent (at most 72 h old); operators rotate it by hand (docs/email.md).',
    });
    const publicUrl = () => props?.publicUrl ?? this.apiUrl;
    if (!props) return { linkKey, publicUrl };
    const identity = new EmailIdentity(this, 'MailSender', {
      identity:
        props.identity === undefined || props.identity.includes('@')
          ? Identity.email(props.identity ?? props.sender)
          : Identity.domain(props.identity),
    });
    return {
      linkKey,
      sender: { address: props.sender, identity },
      publicUrl,
    };
  }

  /**
   * The Slack app's secret, JSON `{"bot_token", "signing_secret"}` set by
   * the operator after deploying (docs/slack.md); until then its generated
   * placeholder reads as "Slack is not set up".
   */
  private createSlackSecret(): Secret {
    const secret = new Secret(this, 'SlackSecret', {
      description:
        'stagegate Slack app: {"bot_token": "xoxb-...", "signing_secret": "..."} (docs/slack.md)',
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "Slack issues the bot token and signing secret; they are rotated in Slack's app settings and put here by the operator, so there is no rotation Lambda.",
    });
    return secret;
  }

  /**
   * The asynchronous registration: reads (pinned versions of) the temporary
   * uploads, writes and verifies the managed copies, updates the version
   * and reads the session in the table, and invokes its own `live` alias
   * (by its fixed name) to continue a registration that runs out of time.
   * Lambda does not retry it: every failure is recorded on the version by
   * the handler, an invocation that never runs to its end lands in the
   * registration-failures queue (alarmed), and the watchdog re-drives it
   * once its lease runs out.
   */
  private createRegistrationFunction(resources: Bindings): RegistryFunction {
    const functionName = registrationFunctionName(this.#prefix);
    const fn = this.registryFunction('registration', 'RegistrationFunction', {
      entry: handlerEntries.registration,
      description:
        'stagegate: copies a version from its upload into the managed prefix',
      functionName,
    });
    // Its own `registrations` need is granted by name below: a reference
    // to its own ARN in its policy would be a dependency cycle.
    const { registrations, ...needs } = otherRoots.registration.needs;
    this.bindNeeds(fn, needs, resources);
    fn.live.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.hours(1),
      onFailure: new SqsDestination(this.registrationFailures.queue),
    });
    if (registrations) {
      const self = `${functionName}:${LIVE_ALIAS}`;
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [
            this.formatArn({
              service: 'lambda',
              resource: 'function',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              resourceName: self,
            }),
          ],
        })
      );
      fn.addEnvironment(needEnvironment.registrations, self);
    }
    return fn;
  }

  /**
   * The hourly cleanup: temporary uploads and the managed files of deleted
   * versions, then the reconciliation of pending transition requests whose
   * execution is gone. Every step is idempotent and bounded, so EventBridge
   * retries a delivery and Lambda a failed run; what still fails lands in
   * the scheduled-job-failures queue.
   */
  private createCleanup(resources: Bindings): RegistryFunction {
    const fn = this.bindNeeds(
      this.registryFunction('cleanup', 'CleanupFunction', {
        entry: handlerEntries.cleanup,
        description:
          'Removes temporary and deleted artifacts; re-arms or expires pending requests whose execution is gone',
      }),
      otherRoots.cleanup.needs,
      resources
    );
    this.scheduleJob(fn, 'CleanupSchedule', {
      description: `stagegate ${this.config.name}: hourly cleanup and reconciliation`,
      rate: Duration.hours(1),
      maxEventAge: Duration.hours(1),
      invokeRetries: 2,
      deliveryRetries: 3,
    });
    return fn;
  }

  /**
   * The registration watchdog: queries the leases that ran out (table),
   * starts the next attempt of each (invokes the registration function),
   * and when a registration is out of attempts or time marks it failed and
   * deletes its copies by key from the managed prefix (no listing, no
   * reads). A run that fails is simply the next run's work five minutes
   * later, so neither the schedule nor Lambda retries it; a run that could
   * not be delivered, or failed, still lands in the scheduled-job-failures
   * queue, so a watchdog that keeps failing is alarmed on.
   */
  private createRegistrationWatchdog(resources: Bindings): RegistryFunction {
    const fn = this.bindNeeds(
      this.registryFunction(
        'registrationWatchdog',
        'RegistrationWatchdogFunction',
        {
          entry: handlerEntries.registrationWatchdog,
          description:
            'stagegate: re-drives artifact registrations whose attempt stopped',
        }
      ),
      otherRoots.registrationWatchdog.needs,
      resources
    );
    this.scheduleJob(fn, 'RegistrationWatchdogSchedule', {
      description: `stagegate ${this.config.name}: re-drives artifact registrations whose lease ran out (every 5 minutes)`,
      rate: Duration.minutes(5),
      maxEventAge: Duration.minutes(5),
      invokeRetries: 0,
      deliveryRetries: 0,
    });
    return fn;
  }

  /**
   * Runs a job's live alias on a schedule. A run EventBridge cannot
   * deliver (after `deliveryRetries`) and a run that fails (after Lambda's
   * `invokeRetries`) both land in the scheduled-job-failures queue, which
   * is alarmed on; neither is kept past `maxEventAge`.
   */
  private scheduleJob(
    fn: RegistryFunction,
    id: string,
    options: {
      description: string;
      rate: Duration;
      maxEventAge: Duration;
      invokeRetries: number;
      deliveryRetries: number;
      event?: RuleTargetInput;
    }
  ): void {
    fn.live.configureAsyncInvoke({
      retryAttempts: options.invokeRetries,
      maxEventAge: options.maxEventAge,
      onFailure: new SqsDestination(this.scheduledJobFailures.queue),
    });
    new Rule(this, id, {
      description: options.description,
      schedule: Schedule.rate(options.rate),
      targets: [
        new LambdaFunction(fn.live, {
          retryAttempts: options.deliveryRetries,
          maxEventAge: options.maxEventAge,
          deadLetterQueue: this.scheduledJobFailures.queue,
          ...(options.event ? { event: options.event } : {}),
        }),
      ],
    });
  }

  /** Lets a function start registrations (async invocations of `live`). */
  private grantRegistrations(fn: RegistryFunction): void {
    this.registrationFunction.live.grantInvoke(fn);
    fn.addEnvironment(
      needEnvironment.registrations,
      this.registrationFunction.live.functionName
    );
  }

  private createStateMachine(
    stateMachineName: string,
    workflowFunction: RegistryFunction
  ): StateMachine {
    // Typed by the placeholder list of the ASL file, so a new placeholder
    // does not compile until it gets a value here. The Task states invoke
    // the `live` alias: executions waiting for weeks call whatever version
    // holds it then, which is why the function accepts every payload an
    // earlier definition sends (docs/operations.md, "Waiting executions").
    const substitutions: TransitionRequestSubstitutions = {
      TransitionRequestFunctionArn: workflowFunction.live.functionArn,
    };
    const logGroup = new LogGroup(this, 'TransitionRequestLogs', {
      retention: this.config.logRetentionDays,
    });
    const stateMachine = new StateMachine(this, 'TransitionRequest', {
      // Fixed: the workflow function builds the ARN from it.
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      // Inline (not `fromFile`, which uploads an S3 asset) so the template,
      // and the tests reading it, carry the definition itself.
      definitionBody: DefinitionBody.fromString(
        readFileSync(fromRepoRoot(TRANSITION_REQUEST_ASL), 'utf8')
      ),
      definitionSubstitutions: { ...substitutions },
      logs: {
        destination: logGroup,
        level: LogLevel.ALL,
        // Execution data carries task tokens and request comments; state
        // transitions are still logged, and the table holds the data.
        includeExecutionData: false,
      },
      tracingEnabled: true,
    });
    Validations.of(stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CloudWatch Logs delivery (logs:CreateLogDelivery, ...) and X-Ray (PutTraceSegments, ...) support no resource-level permissions.',
    });
    workflowFunction.live.grantInvoke(stateMachine);
    return stateMachine;
  }

  /**
   * Lambda's function-level dead-letter queue catches failed asynchronous
   * invocations only. The functions invoked asynchronously have an
   * on-failure destination on their `live` alias instead (the invocation
   * record, with the error, lands in SQS); the others are only ever
   * invoked synchronously, and their caller sees each failure.
   */
  private acknowledgeDeadLetterConfigs(): void {
    const asynchronous = new Set<RegistryFunction>([
      this.registrationFunction,
      this.cleanupFunction,
      this.registrationWatchdogFunction,
      this.remindersFunction,
      this.eventDispatcherFunction,
    ]);
    for (const fn of this.#functions.values()) {
      Validations.of(fn).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          fn === this.webhookDeliveriesFunction
            ? 'Invoked by its SQS event source mapping (synchronously): a message that keeps failing moves to the delivery queue’s own dead-letter queue (alarmed).'
            : asynchronous.has(fn)
              ? 'Invoked asynchronously through its live alias, whose on-failure destination (SQS, alarmed) receives every invocation that fails for good, with its error.'
              : 'Invoked synchronously only (API Gateway, the state machine): the caller receives each failure, and a dead-letter queue applies to asynchronous invocations alone.',
      });
    }
  }

  /**
   * With a gradual deployment, each function's new version takes 10% of
   * its invocations first (canary: for 5 minutes; linear: 10% more every
   * minute) and CodeDeploy moves the alias back if an alarm of the function
   * (errors, throttles, and for API functions the API's 5xx rate) fires
   * meanwhile. One role serves every deployment group.
   */
  private createDeploymentGroups(): ReadonlyMap<
    RegistryFunctionName,
    LambdaDeploymentGroup
  > {
    const groups = new Map<RegistryFunctionName, LambdaDeploymentGroup>();
    if (this.config.deployment === 'all-at-once') return groups;
    const application = new LambdaApplication(this, 'Deployments', {
      applicationName: this.#prefix,
    });
    const role = new Role(this, 'DeploymentRole', {
      assumedBy: new ServicePrincipal('codedeploy.amazonaws.com'),
      description: `CodeDeploy of ${this.#prefix}: shifts the live aliases`,
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName(
          'service-role/AWSCodeDeployRoleForLambdaLimited'
        ),
      ],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      reason:
        "CodeDeploy's own service-role policy for Lambda deployments (alias updates, invoking hooks), kept current by AWS.",
    });
    const deploymentConfig =
      this.config.deployment === 'canary'
        ? LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES
        : LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE;
    const apiFunctions = new Set<RegistryFunction>([
      ...this.groupFunctions.values(),
      this.authorizerFunction,
      this.notFoundFunction,
    ]);
    for (const [name, fn] of this.#functions) {
      const alarms: IAlarm[] = [
        this.requireAlarm(this.monitoring.functionErrors, name),
        this.requireAlarm(this.monitoring.functionThrottles, name),
        ...(apiFunctions.has(fn) ? [this.monitoring.api5xxRate] : []),
      ];
      groups.set(
        name,
        new LambdaDeploymentGroup(this, `${pascalCase(name)}Deployment`, {
          application,
          alias: fn.live,
          deploymentConfig,
          alarms,
          role,
          autoRollback: { failedDeployment: true, deploymentInAlarm: true },
        })
      );
    }
    return groups;
  }

  private requireAlarm(
    alarms: ReadonlyMap<string, IAlarm>,
    name: string
  ): IAlarm {
    const alarm = alarms.get(name);
    if (!alarm) throw new Error(`No alarm for ${name}`);
    return alarm;
  }

  private createHttpApi(): HttpApi {
    const domainName = this.createDomainName();
    const httpApi = new HttpApi(this, 'HttpApi', {
      apiName: this.#prefix,
      description: `stagegate model registry (${this.config.name}; MLflow and Databricks REST)`,
      // `$default` serves the API at the origin root: the Databricks SDK
      // drops any base path (docs/architecture.md, decision 2).
      createDefaultStage: true,
      // With a domain of its own, every client uses it: the execute-api
      // URL changes when the API is re-created, the domain does not.
      ...(domainName
        ? {
            defaultDomainMapping: { domainName },
            disableExecuteApiEndpoint: true,
          }
        : {}),
    });
    this.configureDefaultStage(httpApi);

    const authorizer = new HttpLambdaAuthorizer(
      'RegistryAuthorizer',
      this.authorizerFunction.live,
      {
        responseTypes: [HttpLambdaResponseType.IAM],
        // No identity source and no caching. With an identity source, API
        // Gateway answers a request without it by itself, with
        // `{"message":"Unauthorized"}`; our contract is MLflow's
        // `{"error_code":"UNAUTHENTICATED","message":...}`, which only our
        // code can produce. So the authorizer runs on every request (a
        // policy cached for one route would not fit another anyway) and
        // keeps its own short in-memory token cache.
        identitySource: [],
        resultsCacheTtl: Duration.seconds(0),
      }
    );

    const integrations = new Map<FunctionGroup, HttpLambdaIntegration>();
    for (const [group, fn] of this.groupFunctions) {
      integrations.set(
        group,
        // One invoke permission per function (any route of this API), not
        // one per route: a hundred routes' permissions would take the stack
        // past CloudFormation's 500 resources.
        new HttpLambdaIntegration(`${pascalCase(group)}Integration`, fn.live, {
          scopePermissionToRoute: false,
        })
      );
    }
    for (const route of routes) {
      const integration = integrations.get(route.group);
      if (!integration) {
        throw new Error(`No function for group ${route.group}`);
      }
      const isPublic = route.action === 'public';
      const httpRoute = new HttpRoute(this, routeKey(route), {
        httpApi,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration,
        authorizer: isPublic ? undefined : authorizer,
      });
      if (isPublic) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            route.group === 'email-callbacks'
              ? `${routeKey(route)} is public by contract: the page behind approval e-mails, whose signed, single-use link is the credential, verified by its function (docs/email.md).`
              : route.group === 'slack-callbacks'
                ? `${routeKey(route)} is Slack's callback: Slack cannot send a registry token, so its function verifies Slack's signature over the raw body (and refuses replays) before anything else.`
                : `${routeKey(route)} is public by contract (the health probe, unauthenticated in MLflow too, or the API reference); its function has no data access.`,
        });
      }
    }
    new HttpRoute(this, '$default', {
      httpApi,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration(
        'NotFoundIntegration',
        this.notFoundFunction.live
      ),
      authorizer,
    });

    const cfnAuthorizer = defaultChildOf(
      httpApi.node.findChild('RegistryAuthorizer'),
      CfnAuthorizer
    );
    // CDK renders the empty list as `IdentitySource: []`; the property is
    // removed instead, which is how API Gateway documents "no identity
    // source" for an uncached REQUEST authorizer.
    cfnAuthorizer.identitySource = undefined;
    // CDK picks payload 1.0 for IAM-only responses; the authorizer reads the
    // 2.0 event (`routeArn`, lower-cased `headers`) and returns an IAM policy,
    // which 2.0 supports when simple responses are off.
    cfnAuthorizer.authorizerPayloadFormatVersion = '2.0';
    return httpApi;
  }

  /**
   * The stage's own domain, when it has one: a certificate validated in
   * its hosted zone, the API Gateway domain (TLS 1.2), and A and AAAA
   * alias records to it.
   */
  private createDomainName(): DomainName | undefined {
    const domain = this.config.domain;
    if (!domain) return undefined;
    const zone = HostedZone.fromHostedZoneAttributes(this, 'HostedZone', {
      hostedZoneId: domain.hostedZoneId,
      zoneName: domain.hostedZoneName,
    });
    const certificate = new Certificate(this, 'Certificate', {
      domainName: domain.name,
      validation: CertificateValidation.fromDns(zone),
    });
    const domainName = new DomainName(this, 'DomainName', {
      domainName: domain.name,
      certificate,
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    const target = RecordTarget.fromAlias(
      new ApiGatewayv2DomainProperties(
        domainName.regionalDomainName,
        domainName.regionalHostedZoneId
      )
    );
    new ARecord(this, 'DomainRecord', {
      zone,
      recordName: domain.name,
      target,
    });
    new AaaaRecord(this, 'DomainRecordIpv6', {
      zone,
      recordName: domain.name,
      target,
    });
    return domainName;
  }

  /**
   * Access logs and throttling on the `$default` stage. HttpApi creates that
   * stage without options, so they are set on its L1 resource (as properties,
   * not raw overrides, so cdk-nag sees them).
   */
  private configureDefaultStage(httpApi: HttpApi): void {
    const accessLogs = new LogGroup(this, 'HttpApiAccessLogs', {
      retention: this.config.logRetentionDays,
    });
    const stage = defaultChildOf(httpApi.defaultStage, CfnStage);
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        requestTime: '$context.requestTime',
        httpMethod: '$context.httpMethod',
        path: '$context.path',
        routeKey: '$context.routeKey',
        status: '$context.status',
        protocol: '$context.protocol',
        responseLength: '$context.responseLength',
        responseLatency: '$context.responseLatency',
        principalId: '$context.authorizer.principalId',
        authorizerError: '$context.authorizer.error',
        integrationError: '$context.integrationErrorMessage',
      }),
    };
    stage.defaultRouteSettings = {
      throttlingBurstLimit: this.config.api.burstLimit,
      throttlingRateLimit: this.config.api.rateLimit,
    };
  }
}

function defaultChildOf<T extends IConstruct>(
  construct: IConstruct | undefined,
  type: abstract new (...args: never[]) => T
): T {
  const child = construct?.node.defaultChild;
  if (!(child instanceof type)) {
    throw new Error(
      `Expected ${construct?.node.path ?? 'a construct'} to wrap a ${type.name}`
    );
  }
  return child;
}

/** `registered-models`, `notFound` → `RegisteredModels`, `NotFound`. */
function pascalCase(name: string): string {
  return name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
