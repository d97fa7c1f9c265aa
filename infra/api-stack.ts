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
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
} from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  EventBus,
  type IEventBus,
  Rule,
  RuleTargetInput,
  Schedule,
} from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  FilterCriteria,
  FilterRule,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import {
  DynamoEventSource,
  SqsEventSource,
} from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
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
  type FunctionNeeds,
  needEnvironment,
} from '../functions/shared/needs.ts';
import type { TransitionRequestSubstitutions } from '../statemachines/substitutions.ts';
import { acknowledgeWildcardResource } from './constructs/nag.ts';
import { RegistryFunction } from './constructs/registry-function.ts';
import { fromRepoRoot } from './paths.ts';
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
 * The fixed name of a stack's transition-request state machine
 * (`<stack name>-transition-request`); see {@link ApiStack} for why it is
 * not generated.
 */
export function transitionRequestStateMachineName(stackName: string): string {
  if (Token.isUnresolved(stackName)) {
    throw new Error('The API stack needs a concrete stack name');
  }
  const name = `${stackName}-transition-request`;
  if (name.length > STATE_MACHINE_NAME_MAX_LENGTH) {
    throw new Error(
      `State machine name ${name} is longer than ${STATE_MACHINE_NAME_MAX_LENGTH} characters: use a shorter stack name`
    );
  }
  return name;
}

/**
 * The fixed name of a stack's registration function
 * (`<stack name>-registration`): the function invokes itself to continue a
 * long registration, and a reference to its own ARN in its policy would be
 * a dependency cycle.
 */
export function registrationFunctionName(stackName: string): string {
  if (Token.isUnresolved(stackName)) {
    throw new Error('The API stack needs a concrete stack name');
  }
  const name = `${stackName}-registration`;
  if (name.length > 64) {
    throw new Error(
      `Function name ${name} is longer than 64 characters: use a shorter stack name`
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
}

export interface ApiStackProps extends StackProps {
  /** The registry table (`StatefulStack.table`). */
  readonly table: ITable;
  /** The artifact bucket (`StatefulStack.artifactBucket`). */
  readonly artifactBucket: IBucket;
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
 * The stateless part of stagegate: one Lambda per function group of the
 * route table behind an HTTP API (`$default` stage at the origin root) with
 * a Lambda REQUEST authorizer, the transition-request state machine loaded
 * from its ASL file with the function its Task states invoke, the hourly
 * cleanup job and the registration watchdog. Table and bucket come from
 * {@link StatefulStack} through the props.
 *
 * The state machine and its function refer to each other: the definition
 * names the function (`${TransitionRequestFunctionArn}`), and the function
 * answers task tokens of the state machine (its policy) and reads its ARN
 * (its environment). Referencing both resources would be a CloudFormation
 * dependency cycle. So the state machine gets a fixed name
 * ({@link transitionRequestStateMachineName}) and the function gets the ARN
 * built from that name with `Stack.formatArn`, which references no resource:
 * the function is created first, then the state machine. The API groups
 * keep the reference (nothing points back at them), so they are created
 * after the state machine they start executions of.
 */
export class ApiStack extends Stack {
  readonly httpApi: HttpApi;
  readonly authorizerFunction: RegistryFunction;
  /** The Lambda of each function group of the route table. */
  readonly groupFunctions: ReadonlyMap<FunctionGroup, RegistryFunction>;
  /** Serves the `$default` route (paths the route table does not know). */
  readonly notFoundFunction: RegistryFunction;
  readonly cleanupFunction: RegistryFunction;
  /** Copies a version's upload into the managed prefix (async invocations). */
  readonly registrationFunction: RegistryFunction;
  /** Every 5 minutes: re-drives or fails registrations whose lease ran out. */
  readonly registrationWatchdogFunction: RegistryFunction;
  /** Invoked by the Task states of the transition-request workflow. */
  readonly transitionRequestWorkflowFunction: RegistryFunction;
  readonly transitionRequestStateMachine: StateMachine;
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
  /** The Slack app's secret: created here, its value set by the operator. */
  readonly slackSecret: Secret;
  /** Acts on Slack clicks after the callback answered. */
  readonly slackActionsFunction: RegistryFunction;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);

    const stateMachineName = transitionRequestStateMachineName(this.stackName);
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
    const workflowFunction = new RegistryFunction(
      this,
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
        ...props,
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
    const baseBindings: Bindings = {
      ...props,
      stateMachine: this.transitionRequestStateMachine,
      ...events,
      slackSecret: this.slackSecret,
    };
    this.slackActionsFunction = this.bindNeeds(
      new RegistryFunction(this, 'SlackActionsFunction', {
        entry: handlerEntries.slackActions,
        readsSecrets: true,
        description:
          'stagegate: decides transition requests clicked in Slack, as the clicking user',
      }),
      otherRoots.slackActions.needs,
      baseBindings
    );
    // Lambda does not retry a click: a second run would be refused anyway
    // (the request is decided), and a lost one is clicked again.
    this.slackActionsFunction.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.minutes(5),
    });
    const bindings: Bindings = {
      ...baseBindings,
      slackActions: this.slackActionsFunction,
    };

    this.registrationFunction = this.createRegistrationFunction(bindings);

    this.authorizerFunction = this.bindNeeds(
      new RegistryFunction(this, 'Authorizer', {
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
      const fn = new RegistryFunction(this, `${pascalCase(group)}Function`, {
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
      new RegistryFunction(this, 'NotFoundFunction', {
        entry: handlerEntries.notFound,
        description: 'stagegate API: paths outside the route table',
      }),
      otherRoots.notFound.needs,
      bindings
    );

    this.httpApi = this.createHttpApi();
    // Links in Slack messages point at the version pages of this API.
    this.slackActionsFunction.addEnvironment(
      PUBLIC_URL_VARIABLE,
      this.httpApi.apiEndpoint
    );

    this.cleanupFunction = this.bindNeeds(
      new RegistryFunction(this, 'CleanupFunction', {
        entry: handlerEntries.cleanup,
        description:
          'Removes temporary artifact copies of registered, failed and abandoned uploads',
        timeout: Duration.minutes(5),
      }),
      otherRoots.cleanup.needs,
      bindings
    );
    new Rule(this, 'CleanupSchedule', {
      description: 'Hourly cleanup of temporary artifact uploads',
      schedule: Schedule.rate(Duration.hours(1)),
      targets: [new LambdaFunction(this.cleanupFunction)],
    });

    this.registrationWatchdogFunction =
      this.createRegistrationWatchdog(bindings);

    this.eventDispatcherFunction = this.createEventDispatcher(
      props.table,
      bindings
    );
    this.eventDispatcherFunction.addEnvironment(
      PUBLIC_URL_VARIABLE,
      this.httpApi.apiEndpoint
    );
    this.webhookDeliveriesFunction = this.createWebhookDeliveries(bindings);
    this.remindersFunction = this.bindNeeds(
      new RegistryFunction(this, 'RemindersFunction', {
        entry: handlerEntries.reminders,
        description:
          'stagegate: reminds approvers of transition requests left open',
        timeout: Duration.minutes(2),
      }),
      otherRoots.reminders.needs,
      bindings
    );
    new Rule(this, 'RemindersSchedule', {
      description:
        'Reminders of transition requests open past their reminder age (every 5 minutes)',
      schedule: Schedule.rate(Duration.minutes(5)),
      // A run that fails is the next run's work (each reminder is marked).
      targets: [
        new LambdaFunction(this.remindersFunction, { retryAttempts: 0 }),
      ],
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.httpApi.apiEndpoint,
      description: 'Registry URL (MLFLOW_TRACKING_URI / DATABRICKS_HOST)',
    });
    new CfnOutput(this, 'TransitionRequestStateMachineArn', {
      value: this.transitionRequestStateMachine.stateMachineArn,
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
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This is the dead-letter queue of the webhook delivery queue; what lands here is kept 14 days for inspection and redrive.',
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
      new RegistryFunction(this, 'EventDispatcherFunction', {
        entry: handlerEntries.eventDispatcher,
        description:
          'stagegate: dispatches registry events to webhooks, the event bus and Slack',
        timeout: Duration.minutes(1),
        readsSecrets: otherRoots.eventDispatcher.needs.slackSecret === true,
      }),
      otherRoots.eventDispatcher.needs,
      resources
    );
    fn.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 20,
        bisectBatchOnError: true,
        retryAttempts: 5,
        reportBatchItemFailures: true,
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
    new Rule(this, 'EventDispatcherSweep', {
      description:
        'Dispatches registry events the table stream did not deliver (every 5 minutes)',
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [
        new LambdaFunction(fn, {
          retryAttempts: 0,
          event: RuleTargetInput.fromObject({ olderThanSeconds: 60 }),
        }),
      ],
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
      new RegistryFunction(this, 'WebhookDeliveriesFunction', {
        entry: handlerEntries.webhookDeliveries,
        description: 'stagegate: sends registry webhook deliveries',
        timeout: Duration.seconds(30),
      }),
      otherRoots.webhookDeliveries.needs,
      resources
    );
    fn.addEventSource(
      new SqsEventSource(resources.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: 10,
      })
    );
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
      const invoke = actions.grantInvoke(fn);
      for (const resource of invoke.principalStatements.flatMap(
        (statement) => statement.resources
      )) {
        acknowledgeWildcardResource(
          fn.executionRole,
          resource,
          'lambda:InvokeFunction on versions and aliases (`:*`) of the one Slack actions function; no other function.'
        );
      }
      fn.addEnvironment(needEnvironment.slackActions, actions.functionName);
    }
    return fn;
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
   * and reads the session in the table, and invokes itself (by its fixed
   * name) to continue a registration that runs out of time. Lambda does not
   * retry it: every failure is recorded on the version by the handler, and
   * an invocation that never runs or dies is re-driven by the watchdog once
   * its lease runs out.
   */
  private createRegistrationFunction(resources: Bindings): RegistryFunction {
    const functionName = registrationFunctionName(this.stackName);
    const fn = new RegistryFunction(this, 'RegistrationFunction', {
      entry: handlerEntries.registration,
      description:
        'stagegate: copies a version from its upload into the managed prefix',
      functionName,
      timeout: Duration.minutes(15),
    });
    // Its own `registrations` need is granted by name below: a reference
    // to its own ARN in its policy would be a dependency cycle.
    const { registrations, ...needs } = otherRoots.registration.needs;
    this.bindNeeds(fn, needs, resources);
    fn.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.hours(1),
    });
    if (registrations) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [
            this.formatArn({
              service: 'lambda',
              resource: 'function',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              resourceName: functionName,
            }),
          ],
        })
      );
      fn.addEnvironment(needEnvironment.registrations, functionName);
    }
    return fn;
  }

  /**
   * The registration watchdog: queries the leases that ran out (table),
   * starts the next attempt of each (invokes the registration function),
   * and when a registration is out of attempts or time marks it failed and
   * deletes its copies by key from the managed prefix (no listing, no
   * reads). A run that fails is simply the next run's work, so the
   * schedule does not retry it.
   */
  private createRegistrationWatchdog(resources: Bindings): RegistryFunction {
    const fn = this.bindNeeds(
      new RegistryFunction(this, 'RegistrationWatchdogFunction', {
        entry: handlerEntries.registrationWatchdog,
        description:
          'stagegate: re-drives artifact registrations whose attempt stopped',
        timeout: Duration.minutes(2),
      }),
      otherRoots.registrationWatchdog.needs,
      resources
    );
    new Rule(this, 'RegistrationWatchdogSchedule', {
      description:
        'Re-drives artifact registrations whose lease ran out (every 5 minutes)',
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
    });
    return fn;
  }

  /** Lets a function start registrations (async invocations). */
  private grantRegistrations(fn: RegistryFunction): void {
    const invoke = this.registrationFunction.grantInvoke(fn);
    for (const resource of invoke.principalStatements.flatMap(
      (statement) => statement.resources
    )) {
      acknowledgeWildcardResource(
        fn.executionRole,
        resource,
        'lambda:InvokeFunction on versions and aliases (`:*`) of the one registration function; no other function.'
      );
    }
    fn.addEnvironment(
      needEnvironment.registrations,
      this.registrationFunction.functionName
    );
  }

  private createStateMachine(
    stateMachineName: string,
    workflowFunction: RegistryFunction
  ): StateMachine {
    // Typed by the placeholder list of the ASL file, so a new placeholder
    // does not compile until it gets a value here.
    const substitutions: TransitionRequestSubstitutions = {
      TransitionRequestFunctionArn: workflowFunction.functionArn,
    };
    const logGroup = new LogGroup(this, 'TransitionRequestLogs', {
      retention: RetentionDays.ONE_MONTH,
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
    // The Task states invoke the unqualified ARN; `grantInvoke` adds
    // `<arn>:*` (versions and aliases of that one function) next to it.
    const invoke = workflowFunction.grantInvoke(stateMachine);
    for (const resource of invoke.principalStatements.flatMap(
      (statement) => statement.resources
    )) {
      acknowledgeWildcardResource(
        stateMachine.role,
        resource,
        'lambda:InvokeFunction on versions and aliases (`:*`) of the one workflow function the Task states invoke; no other function.'
      );
    }
    return stateMachine;
  }

  private createHttpApi(): HttpApi {
    const httpApi = new HttpApi(this, 'HttpApi', {
      apiName: 'stagegate',
      description: 'stagegate model registry (MLflow and Databricks REST)',
      // `$default` serves the API at the origin root: the Databricks SDK
      // drops any base path (docs/architecture.md, decision 2).
      createDefaultStage: true,
    });
    this.configureDefaultStage(httpApi);

    const authorizer = new HttpLambdaAuthorizer(
      'RegistryAuthorizer',
      this.authorizerFunction,
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
        new HttpLambdaIntegration(`${pascalCase(group)}Integration`, fn)
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
            route.group === 'slack-callbacks'
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
        this.notFoundFunction
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
   * Access logs and throttling on the `$default` stage. HttpApi creates that
   * stage without options, so they are set on its L1 resource (as properties,
   * not raw overrides, so cdk-nag sees them).
   */
  private configureDefaultStage(httpApi: HttpApi): void {
    const accessLogs = new LogGroup(this, 'HttpApiAccessLogs', {
      retention: RetentionDays.ONE_MONTH,
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
      throttlingBurstLimit: 200,
      throttlingRateLimit: 100,
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

function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
