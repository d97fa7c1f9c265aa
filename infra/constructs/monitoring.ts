import { Duration, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  metricNames,
} from '../../functions/shared/metric-names.ts';
import type { StageConfig } from '../stage-config.ts';
import { registryTable } from '../table-definition.ts';
import { FailureQueue } from './failure-queue.ts';
import type { RegistryFunction } from './registry-function.ts';

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Below this many requests in 5 minutes the 5xx rate counts as 0: one
 * failed call out of three is worth a look in the logs, not a page.
 */
const MIN_REQUESTS_FOR_RATE = 20;

export interface RegistryMonitoringProps {
  readonly config: StageConfig;
  /** `stagegate-<stage>`: every alarm's name starts with it. */
  readonly prefix: string;
  readonly httpApi: HttpApi;
  /** Every function of the stack, by its name in `functionTimeoutSeconds`. */
  readonly functions: ReadonlyMap<string, RegistryFunction>;
  readonly cleanupFunction: RegistryFunction;
  readonly stateMachine: IStateMachine;
  readonly table: ITable;
  /** The dead-letter queues and on-failure destinations, by name. */
  readonly deadLetterQueues: ReadonlyMap<string, IQueue>;
}

/**
 * What tells an operator that stagegate is failing: one SNS topic (with
 * the stage's e-mail subscribed), the alarms below on it, and one
 * dashboard. Every alarm notifies on ALARM and on OK.
 *
 * | alarm | fires when |
 * | --- | --- |
 * | api-5xx-rate | over `api5xxRatePercent` % of ≥ 20 requests answer 5xx in 5 min |
 * | api-p99-latency | p99 over `apiP99LatencyMs` in 2 of 3 periods of 5 min |
 * | `<function>`-function-errors | any unhandled error or timeout of the function in 5 min (1 h for cleanup) |
 * | `<function>`-function-throttles | any throttled invocation in 5 min (1 h for cleanup) |
 * | transition-requests-failed / -timed-out | any execution failed / timed out in 5 min |
 * | failed-registrations | any version ended FAILED_REGISTRATION in 5 min |
 * | cleanup-errors | the cleanup job failed, or left items for the next run, in 1 h |
 * | table-throttles | any throttled read or write, table or index, in 5 min |
 * | `<queue>`-dead-letters | any message waiting in a dead-letter queue |
 */
export class RegistryMonitoring extends Construct {
  readonly topic: Topic;
  readonly api5xxRate: Alarm;
  readonly apiP99Latency: Alarm;
  /** By function name. */
  readonly functionErrors: ReadonlyMap<string, Alarm>;
  readonly functionThrottles: ReadonlyMap<string, Alarm>;
  readonly executionsFailed: Alarm;
  readonly executionsTimedOut: Alarm;
  readonly failedRegistrations: Alarm;
  readonly cleanupErrors: Alarm;
  readonly tableThrottles: Alarm;
  /** By queue name. */
  readonly deadLetters: ReadonlyMap<string, Alarm>;
  readonly dashboard: Dashboard;
  readonly #props: RegistryMonitoringProps;
  readonly #action: SnsAction;

  constructor(scope: Construct, id: string, props: RegistryMonitoringProps) {
    super(scope, id);
    this.#props = props;
    const { config, prefix, httpApi } = props;

    this.topic = new Topic(this, 'AlarmTopic', {
      topicName: `${prefix}-alarms`,
      displayName: `stagegate ${config.name} alarms`,
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and states only. CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key for these messages would cost more than the rest of the monitoring.',
    });
    if (config.alarms.email) {
      const undelivered = new FailureQueue(this, 'UndeliveredAlarms', {
        purpose: 'alarm notifications SNS could not deliver by e-mail',
      });
      this.topic.addSubscription(
        new EmailSubscription(config.alarms.email, {
          deadLetterQueue: undelivered.queue,
        })
      );
    }
    this.#action = new SnsAction(this.topic);

    const requests = httpApi.metricCount({ period: FIVE_MINUTES });
    const serverErrors = httpApi.metricServerError({ period: FIVE_MINUTES });
    this.api5xxRate = this.alarm('Api5xxRate', {
      name: 'api-5xx-rate',
      description: `More than ${config.alarms.api5xxRatePercent}% of API requests answered 5xx over 5 minutes (counted from ${MIN_REQUESTS_FOR_RATE} requests).`,
      metric: new MathExpression({
        expression: `IF(requests >= ${MIN_REQUESTS_FOR_RATE}, 100 * errors / requests, 0)`,
        usingMetrics: { requests, errors: serverErrors },
        period: FIVE_MINUTES,
        label: '5xx rate (%)',
      }),
      threshold: config.alarms.api5xxRatePercent,
      comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.apiP99Latency = this.alarm('ApiP99Latency', {
      name: 'api-p99-latency',
      description: `API p99 latency above ${config.alarms.apiP99LatencyMs} ms in 2 of 3 periods of 5 minutes.`,
      metric: httpApi.metricLatency({
        statistic: 'p99',
        period: FIVE_MINUTES,
      }),
      threshold: config.alarms.apiP99LatencyMs,
      comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });

    const errors = new Map<string, Alarm>();
    const throttles = new Map<string, Alarm>();
    for (const [name, fn] of props.functions) {
      const period =
        fn === props.cleanupFunction ? Duration.hours(1) : FIVE_MINUTES;
      errors.set(
        name,
        this.alarm(`${construct(name)}FunctionErrors`, {
          name: `${kebab(name)}-function-errors`,
          description: `The ${name} function failed (unhandled error, timeout or crash).`,
          metric: fn.live.metricErrors({ period, statistic: 'Sum' }),
          threshold: 1,
        })
      );
      throttles.set(
        name,
        this.alarm(`${construct(name)}FunctionThrottles`, {
          name: `${kebab(name)}-function-throttles`,
          description: `Invocations of the ${name} function were throttled.`,
          metric: fn.live.metricThrottles({ period, statistic: 'Sum' }),
          threshold: 1,
        })
      );
    }
    this.functionErrors = errors;
    this.functionThrottles = throttles;

    this.executionsFailed = this.alarm('ExecutionsFailed', {
      name: 'transition-requests-failed',
      description:
        'A transition-request workflow execution failed (its request is closed as FAILED by its Catch, or was left for the reconciliation).',
      metric: props.stateMachine.metricFailed({ period: FIVE_MINUTES }),
      threshold: 1,
    });
    this.executionsTimedOut = this.alarm('ExecutionsTimedOut', {
      name: 'transition-requests-timed-out',
      description: 'A transition-request workflow execution timed out.',
      metric: props.stateMachine.metricTimedOut({ period: FIVE_MINUTES }),
      threshold: 1,
    });
    this.failedRegistrations = this.alarm('FailedRegistrations', {
      name: 'failed-registrations',
      description:
        'A model version ended FAILED_REGISTRATION (a copy failed, or the registration ran out of attempts or time).',
      metric: this.registryMetric(metricNames.failedRegistrations),
      threshold: 1,
    });
    const hourly = Duration.hours(1);
    this.cleanupErrors = this.alarm('CleanupErrors', {
      name: 'cleanup-errors',
      description:
        'The hourly cleanup job failed, or could not handle some items (they are retried next run).',
      metric: new MathExpression({
        expression: 'FILL(failed, 0) + FILL(leftOver, 0)',
        usingMetrics: {
          failed: props.cleanupFunction.live.metricErrors({
            period: hourly,
            statistic: 'Sum',
          }),
          leftOver: this.registryMetric(metricNames.cleanupFailures, hourly),
        },
        period: hourly,
        label: 'cleanup errors',
      }),
      threshold: 1,
    });
    this.tableThrottles = this.alarm('TableThrottles', {
      name: 'table-throttles',
      description:
        'The registry table throttled reads or writes (table or index); the API answers 429 once the SDK retries are spent.',
      metric: tableThrottleEvents(props.table),
      threshold: 1,
    });
    const deadLetters = new Map<string, Alarm>();
    for (const [name, queue] of props.deadLetterQueues) {
      deadLetters.set(
        name,
        this.alarm(`${construct(name)}DeadLetters`, {
          name: `${kebab(name)}-dead-letters`,
          description: `Messages wait in the ${name} queue: invocations that failed for good; see docs/operations.md.`,
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: FIVE_MINUTES,
            statistic: 'Maximum',
          }),
          threshold: 1,
        })
      );
    }
    this.deadLetters = deadLetters;

    this.dashboard = this.createDashboard(requests, serverErrors);
  }

  /** Every alarm of the stage. */
  get alarms(): Alarm[] {
    return [
      this.api5xxRate,
      this.apiP99Latency,
      ...this.functionErrors.values(),
      ...this.functionThrottles.values(),
      this.executionsFailed,
      this.executionsTimedOut,
      this.failedRegistrations,
      this.cleanupErrors,
      this.tableThrottles,
      ...this.deadLetters.values(),
    ];
  }

  /** A metric the functions emit (namespace `stagegate`, this stage). */
  registryMetric(
    name: string,
    period: Duration = FIVE_MINUTES,
    statistic = 'Sum'
  ): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: {
        service: METRICS_SERVICE,
        stage: this.#props.config.name,
      },
      period,
      statistic,
    });
  }

  private alarm(
    id: string,
    spec: {
      name: string;
      description: string;
      metric: IMetric;
      threshold: number;
      comparison?: ComparisonOperator;
      evaluationPeriods?: number;
      datapointsToAlarm?: number;
    }
  ): Alarm {
    const alarm = new Alarm(this, id, {
      alarmName: `${this.#props.prefix}-${spec.name}`,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator:
        spec.comparison ??
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      datapointsToAlarm: spec.datapointsToAlarm ?? 1,
      // No traffic is no failure.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.#action);
    alarm.addOkAction(this.#action);
    return alarm;
  }

  private createDashboard(requests: Metric, serverErrors: Metric): Dashboard {
    const { httpApi, config, prefix } = this.#props;
    const dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
    });
    const functions = [...this.#props.functions];
    const width = 12;
    dashboard.addWidgets(
      new TextWidget({
        markdown: `# stagegate ${config.name}\nAlarms notify the topic \`${prefix}-alarms\`; what each means and what to do: docs/operations.md.`,
        width: 24,
        height: 2,
      })
    );
    dashboard.addWidgets(
      new AlarmStatusWidget({
        title: 'Alarms',
        alarms: this.alarms,
        width: 24,
        height: 6,
      })
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'API requests and errors',
        left: [
          requests,
          httpApi.metricClientError({ period: FIVE_MINUTES }),
          serverErrors,
        ],
        width,
      }),
      new GraphWidget({
        title: 'API latency (ms)',
        left: ['p50', 'p90', 'p99'].map((statistic) =>
          httpApi.metricLatency({ statistic, period: FIVE_MINUTES })
        ),
        width,
      })
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Function errors',
        left: functions.map(([name, fn]) =>
          fn.live.metricErrors({
            period: FIVE_MINUTES,
            statistic: 'Sum',
            label: name,
          })
        ),
        width,
      }),
      new GraphWidget({
        title: 'Function duration p99 (ms)',
        left: functions.map(([name, fn]) =>
          fn.live.metricDuration({
            period: FIVE_MINUTES,
            statistic: 'p99',
            label: name,
          })
        ),
        width,
      })
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Function throttles and concurrency',
        left: functions.map(([name, fn]) =>
          fn.live.metricThrottles({
            period: FIVE_MINUTES,
            statistic: 'Sum',
            label: name,
          })
        ),
        right: [
          new Metric({
            namespace: 'AWS/Lambda',
            metricName: 'ConcurrentExecutions',
            statistic: 'Maximum',
            period: FIVE_MINUTES,
            label: 'account concurrency',
          }),
        ],
        width,
      }),
      new GraphWidget({
        title: 'Transition-request workflow',
        left: [
          this.#props.stateMachine.metricStarted({ period: FIVE_MINUTES }),
          this.#props.stateMachine.metricSucceeded({ period: FIVE_MINUTES }),
          this.#props.stateMachine.metricFailed({ period: FIVE_MINUTES }),
          this.#props.stateMachine.metricTimedOut({ period: FIVE_MINUTES }),
        ],
        width,
      })
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Registry activity',
        left: [
          this.registryMetric(metricNames.requests),
          this.registryMetric(metricNames.transitions),
          this.registryMetric(metricNames.transitionDecisions),
          this.registryMetric(metricNames.requestsReconciled),
        ],
        width,
      }),
      new GraphWidget({
        title: 'Artifact registrations',
        left: [
          this.registryMetric(metricNames.failedRegistrations),
          this.registryMetric(metricNames.registrationsRedriven),
        ],
        right: [
          this.registryMetric(
            metricNames.registrationTime,
            FIVE_MINUTES,
            'p90'
          ),
        ],
        width,
      })
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Table capacity used and throttles',
        left: [
          this.#props.table.metricConsumedReadCapacityUnits({
            period: FIVE_MINUTES,
          }),
          this.#props.table.metricConsumedWriteCapacityUnits({
            period: FIVE_MINUTES,
          }),
        ],
        right: [tableThrottleEvents(this.#props.table)],
        width,
      }),
      new GraphWidget({
        title: 'Dead-letter queues (messages)',
        left: [...this.#props.deadLetterQueues].map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({
            period: FIVE_MINUTES,
            statistic: 'Maximum',
            label: name,
          })
        ),
        width,
      })
    );
    return dashboard;
  }
}

/** Read and write throttle events of the table and each of its indexes. */
function tableThrottleEvents(table: ITable): MathExpression {
  const usingMetrics: Record<string, IMetric> = {};
  const indexes = [
    undefined,
    ...registryTable.globalSecondaryIndexes.map((index) => index.indexName),
  ];
  for (const [position, index] of indexes.entries()) {
    for (const kind of ['Read', 'Write'] as const) {
      usingMetrics[`${kind.toLowerCase()}${position}`] = table.metric(
        `${kind}ThrottleEvents`,
        {
          period: FIVE_MINUTES,
          statistic: 'Sum',
          ...(index
            ? {
                dimensionsMap: {
                  TableName: table.tableName,
                  GlobalSecondaryIndexName: index,
                },
              }
            : {}),
        }
      );
    }
  }
  return new MathExpression({
    expression: Object.keys(usingMetrics)
      .map((name) => `FILL(${name}, 0)`)
      .join(' + '),
    usingMetrics,
    period: FIVE_MINUTES,
    label: 'throttle events',
  });
}

/** `registered-models`, `notFound` → `RegisteredModels`, `NotFound`. */
function construct(name: string): string {
  return kebab(name)
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** `registrationWatchdog` → `registration-watchdog`, for alarm names. */
function kebab(name: string): string {
  return name.replaceAll(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
