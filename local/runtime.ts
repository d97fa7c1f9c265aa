import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { repositionLegacyPendingRequests } from '#adapters/dynamodb/transition-request-store.ts';
import { bindLegacyWebhooks } from '#adapters/dynamodb/webhook-store.ts';
import {
  NO_EXTERNAL_SOURCES,
  parseExternalSourcePrefixes,
} from '#domain/artifacts/sources.ts';
import { ensureBootstrapAdmin } from '#domain/bootstrap.ts';
import { generateTokenValue } from '#domain/tokens.ts';
import { functionTimeoutSeconds } from '#shared/function-limits.ts';
import type { TransitionRequestSubstitutions } from '../statemachines/substitutions.ts';
import {
  ensureRegistryTable,
  LOCAL_REGION,
  startDynamoDBLocal,
} from './dynamodb/dynamodb-local.ts';
import { DynamoDBRoundTrips } from './dynamodb/round-trips.ts';
import { emailPaths } from './email.ts';
import { type EventLoops, eventPaths, startEventLoops } from './events.ts';
import { LocalGateway } from './gateway.ts';
import { invokeWithTimeout } from './lambda/invocation.ts';
import { lambdaContext, startLambdaServer } from './lambda/server.ts';
import { repositoryRoot } from './paths.ts';
import { assertPortFree, findFreePort } from './ports.ts';
import { dataDirCredentials, makeDataDirPrivate } from './private-data.ts';
import {
  claimDataDir,
  forgetEngines,
  killStaleEngines,
  recordEngines,
  releaseDataDir,
} from './processes.ts';
import { startLocalS3 } from './s3.ts';
import { LocalStepFunctionsEngine } from './stepfunctions/engine.ts';
import { startStepFunctionsServer } from './stepfunctions/server.ts';

export const LOCAL_TABLE_NAME = 'stagegate-registry';
export const LOCAL_BUCKET_NAME = 'stagegate-artifacts';
const LOCAL_WORKFLOW_FUNCTION = 'stagegate-transition-request';
/** Invoked asynchronously by `model-versions/create` (and by itself). */
const LOCAL_REGISTRATION_FUNCTION = 'stagegate-registration';
/** Invoked asynchronously by the Slack callback, once per click. */
const LOCAL_SLACK_ACTIONS_FUNCTION = 'stagegate-slack-actions';

/**
 * The Slack app's secret locally (docs/slack.md): JSON with `bot_token`,
 * `signing_secret` and optionally `api_url`, private to its owner (0600).
 */
export function slackSecretFile(dataDir: string): string {
  return join(dataDir, 'slack.json');
}
export const LOCAL_TRANSITION_REQUEST_STATE_MACHINE_ARN =
  'arn:aws:states:us-east-1:000000000000:stateMachine:stagegate-transition-request';

export interface LocalRuntimeOptions {
  /** Where every engine keeps its data. */
  readonly dataDir: string;
  /** API port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** Bootstrap admin token; generated (and saved) when absent. */
  readonly adminToken?: string | undefined;
  /** How often the cleanup job runs. @default 1 hour */
  readonly cleanupIntervalMs?: number;
  /** How often the registration watchdog runs. @default 1 minute */
  readonly watchdogIntervalMs?: number;
  /**
   * Tests only: the first this many asynchronous invocations of the
   * registration function are accepted and never run, as when the process
   * that would run them dies. @default 0
   */
  readonly loseRegistrations?: number;
  /** How often the outbox and the delivery queue are polled. @default 250 ms */
  readonly eventsPollMs?: number;
  /** How often the reminder job runs. @default 1 minute */
  readonly reminderIntervalMs?: number;
  /**
   * Tests only: leaves one stage of the event pipeline idle (events stay
   * in the outbox, or deliveries in the queue), so a test can kill the
   * process while an event waits there.
   */
  readonly pauseEvents?: 'dispatch' | 'delivery' | undefined;
}

export interface LocalRuntime {
  readonly url: string;
  readonly dataDir: string;
  readonly adminToken: string;
  /** True when this start generated the admin token (print it once). */
  readonly adminTokenGenerated: boolean;
  readonly adminTokenFile: string | undefined;
  /** DynamoDB Local's endpoint (the bench's physical reference). */
  readonly dynamodbEndpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts the whole registry on this machine: DynamoDB Local, the S3 server,
 * the Step Functions engine behind its awsJson endpoint, and the API gateway
 * emulator running the real authorizer and handlers. All of
 * it binds to 127.0.0.1 and keeps its data under `dataDir`, private to the
 * account running it (`makeDataDirPrivate`, `dataDirCredentials`).
 */
export async function startLocalRuntime(
  options: LocalRuntimeOptions
): Promise<LocalRuntime> {
  const dataDir = resolve(options.dataDir);
  makeDataDirPrivate(dataDir);
  claimDataDir(dataDir);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      await stop().catch(() => undefined);
    }
    stops.length = 0;
  };
  try {
    await killStaleEngines(dataDir);
    await assertPortFree(options.port);
    const credentials = dataDirCredentials(dataDir);

    const [dynamodb, s3] = await Promise.all([
      findFreePort().then((port) =>
        startDynamoDBLocal({
          dataDir: join(dataDir, 'dynamodb'),
          port,
          credentials,
        })
      ),
      startLocalS3({
        directory: join(dataDir, 's3'),
        bucketName: LOCAL_BUCKET_NAME,
        // The allow-listed sources live in the local S3 server too.
        otherBuckets: [
          ...new Set(
            parseExternalSourcePrefixes(
              process.env.EXTERNAL_SOURCE_PREFIXES
            ).map((prefix) => prefix.bucket)
          ),
        ],
        credentials,
      }),
    ]);
    stops.push(dynamodb.stop, s3.stop);
    if (dynamodb.process.pid !== undefined) {
      recordEngines(dataDir, [dynamodb.process.pid]);
    }
    stops.push(async () => forgetEngines(dataDir));

    await ensureRegistryTable(dynamodb.endpoint, LOCAL_TABLE_NAME, credentials);

    // The same ASL file and substitution keys as the CDK app deploys.
    // The workflow's Lambda runs in-process, loaded on first use (after the
    // environment below is set), as a cold start would load it.
    let events: EventLoops | undefined;
    const stepFunctions = new LocalStepFunctionsEngine({
      handlers: {
        [LOCAL_WORKFLOW_FUNCTION]: async (payload) => {
          const module = await import(
            '#handlers/workflow/transition-request.ts'
          );
          const timeoutMs =
            functionTimeoutSeconds.transitionRequestWorkflow * 1000;
          try {
            return await invokeWithTimeout(
              module.handler,
              payload as never,
              lambdaContext(LOCAL_WORKFLOW_FUNCTION, timeoutMs),
              timeoutMs
            );
          } finally {
            // A step may have committed events (an applied transition).
            events?.kick();
          }
        },
      },
    });
    // The live alias, as on AWS (locally there is one version).
    const substitutions: TransitionRequestSubstitutions = {
      TransitionRequestFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${LOCAL_WORKFLOW_FUNCTION}:live`,
    };
    stepFunctions.registerStateMachine({
      stateMachineArn: LOCAL_TRANSITION_REQUEST_STATE_MACHINE_ARN,
      definitionPath: join(
        repositoryRoot,
        'statemachines',
        'transition-request.asl.json'
      ),
      substitutions,
    });
    const sfnServer = await startStepFunctionsServer({
      port: 0,
      engine: stepFunctions,
      credentials,
    });
    stops.push(
      () => stepFunctions.stopAllExecutions('stagegate stopped'),
      () => sfnServer.close()
    );

    // The functions the registry invokes itself (asynchronous artifact
    // registration), behind Lambda's Invoke API; loaded on first use.
    const lambda = await startLambdaServer({
      functions: {
        [LOCAL_REGISTRATION_FUNCTION]: async () => {
          const module = await import('#handlers/jobs/registration.ts');
          return module.handler;
        },
        [LOCAL_SLACK_ACTIONS_FUNCTION]: async () => {
          const module = await import('#handlers/jobs/slack-actions.ts');
          return async (event, context) => {
            try {
              return await module.handler(event as never, context);
            } finally {
              // A decision committed events (its outcome for the message).
              events?.kick();
            }
          };
        },
      },
      timeoutsMs: {
        [LOCAL_REGISTRATION_FUNCTION]:
          functionTimeoutSeconds.registration * 1000,
      },
      loseAsyncInvocations: options.loseRegistrations ?? 0,
      credentials,
    });
    stops.push(() => lambda.close());

    // The handlers read their configuration from the environment at import,
    // exactly as on Lambda; set it before the gateway loads any of them.
    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SFN: sfnServer.url,
      AWS_ENDPOINT_URL_LAMBDA: lambda.url,
      // The live alias, as on AWS.
      REGISTRATION_FUNCTION_NAME: `${LOCAL_REGISTRATION_FUNCTION}:live`,
      TRANSITION_REQUEST_STATE_MACHINE_ARN:
        LOCAL_TRANSITION_REQUEST_STATE_MACHINE_ARN,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      REGISTRY_TABLE_NAME: LOCAL_TABLE_NAME,
      ARTIFACT_BUCKET_NAME: LOCAL_BUCKET_NAME,
      S3_FORCE_PATH_STYLE: 'true',
      // The admin's allow-list of s3:// sources, as the CDK stack sets it.
      EXTERNAL_SOURCE_PREFIXES:
        process.env.EXTERNAL_SOURCE_PREFIXES || NO_EXTERNAL_SOURCES,
      // INFO: one line per request (the access entry), readable in a
      // terminal (`STAGEGATE_LOG_FORMAT`); WARN keeps only problems.
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO',
      // CloudWatch's EMF lines would drown the console; there is no
      // CloudWatch to read them.
      POWERTOOLS_METRICS_DISABLED:
        process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
      // Local webhooks may post to http and private hosts (127.0.0.1).
      STAGEGATE_ALLOW_HTTP_WEBHOOKS:
        process.env.STAGEGATE_ALLOW_HTTP_WEBHOOKS ?? 'true',
      // The delivery queue and the event bus, in the data directory.
      ...eventPaths(dataDir).environment,
      // E-mail: the `.eml` outbox and the link key, in the data directory.
      ...emailPaths(dataDir).environment,
      SLACK_SECRET_ID: pathToFileURL(slackSecretFile(dataDir)).href,
      SLACK_ACTIONS_FUNCTION_NAME: LOCAL_SLACK_ACTIONS_FUNCTION,
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    const admin = resolveAdminToken(dataDir, options.adminToken);
    // The key that signs OAuth access tokens, as Secrets Manager keeps it
    // on AWS; the token endpoint and the authorizer read it.
    process.env.OAUTH_SIGNING_KEY_FILE = ensureSigningKeyFile(dataDir);
    const client = createDocumentClient(
      new DynamoDBClient({
        endpoint: dynamodb.endpoint,
        region: LOCAL_REGION,
        credentials,
      })
    );
    await ensureBootstrapAdmin(
      new DynamoDBIdentityStore({ client, tableName: LOCAL_TABLE_NAME }),
      admin.token,
      Date.now()
    );
    // Data directories from before webhooks were bound to model ids.
    await bindLegacyWebhooks({ client, tableName: LOCAL_TABLE_NAME });
    // Data directories from before the inbox ordered pending requests.
    await repositionLegacyPendingRequests({
      client,
      tableName: LOCAL_TABLE_NAME,
    });
    client.destroy();

    const debug = process.env.STAGEGATE_DEBUG_ENDPOINTS === 'true';
    const roundTrips = debug ? new DynamoDBRoundTrips() : undefined;
    if (roundTrips) stops.push(async () => roundTrips.close());
    const gateway = new LocalGateway({
      debug,
      // Loaded here, not at import: `npm start --help` needs no esbuild.
      web: (await import('../web/build.ts')).buildWebAssets(),
      roundTrips,
      jobs: {
        cleanup: runCleanupJob,
        'registration-watchdog': () => runRegistrationWatchdog(false),
        reminders: runReminders,
      },
      afterChange: () => events?.kick(),
    });
    const port = await gateway.listen(options.port);
    stops.push(() => gateway.close());
    // Links in Slack messages and e-mails: this registry.
    process.env.STAGEGATE_PUBLIC_URL ??= `http://127.0.0.1:${port}`;

    await rearmPendingRequests();
    // Registrations that were copying when the last process died: nothing
    // renews their leases any more, so they resume now rather than once
    // the leases run out.
    await runRegistrationWatchdog(true);
    // Temporary copies whose grace ran out while the registry was stopped
    // (a laptop is off more often than not): removed now, not an hour on,
    // beside serving (readiness does not wait for housekeeping); stopping
    // waits for it.
    const startupCleanup = runCleanupJob().then(
      () => undefined,
      (error: unknown) => console.error('cleanup job failed', error)
    );
    stops.push(() => startupCleanup);

    // Events committed before a restart (or kill) are still pending in
    // the outbox, and queued deliveries in the queue: both resume now.
    events = startEventLoops({
      dataDir,
      pollMs: options.eventsPollMs ?? 250,
      pause: options.pauseEvents,
    });
    const loops = events;
    stops.push(() => loops.stop());

    const cleanup = startTimer(
      'cleanup job',
      runCleanupJob,
      options.cleanupIntervalMs ?? 3_600_000
    );
    const watchdog = startTimer(
      'registration watchdog',
      () => runRegistrationWatchdog(false),
      options.watchdogIntervalMs ?? 60_000
    );
    const reminders = startTimer(
      'reminders',
      runReminders,
      options.reminderIntervalMs ?? 60_000
    );
    stops.push(async () => {
      clearInterval(cleanup);
      clearInterval(watchdog);
      clearInterval(reminders);
    });

    return {
      url: `http://127.0.0.1:${port}`,
      dataDir,
      adminToken: admin.token,
      adminTokenGenerated: admin.generated,
      adminTokenFile: admin.file,
      dynamodbEndpoint: dynamodb.endpoint,
      stop: async () => {
        await stopAll();
        releaseDataDir(dataDir);
      },
    };
  } catch (error) {
    await stopAll();
    releaseDataDir(dataDir);
    throw error;
  }
}

/**
 * The admin token: the one given, else the one saved by an earlier start,
 * else a new one saved to `<dataDir>/admin-token` (mode 0600).
 */
function resolveAdminToken(
  dataDir: string,
  given: string | undefined
): { token: string; generated: boolean; file: string | undefined } {
  if (given) return { token: given, generated: false, file: undefined };
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) {
    return {
      token: readFileSync(file, 'utf8').trim(),
      generated: false,
      file,
    };
  }
  const token = generateTokenValue();
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true, file };
}

/**
 * `<dataDir>/oauth-signing-key` (mode 0600): the OAuth signing keys, a
 * random 256-bit key made at the first start. To rotate, put a new key
 * first in its `keys`; keep the old one until its tokens expired.
 */
function ensureSigningKeyFile(dataDir: string): string {
  const file = join(dataDir, 'oauth-signing-key');
  if (!existsSync(file)) {
    const key = {
      kid: randomBytes(8).toString('hex'),
      secret: randomBytes(32).toString('base64url'),
    };
    writeFileSync(file, `${JSON.stringify({ keys: [key] })}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
  }
  return file;
}

/**
 * Executions live in this process's memory, so a restart loses the ones
 * that had work left. Their requests are still pending in the table (open,
 * or approved and not yet applied): the reconciliation the cleanup job
 * runs hourly on AWS hands each to a fresh execution, with the time it has
 * left, so it can still be approved (or expire on time), or is applied; one
 * already past its expiry is expired. On AWS executions outlive any
 * process, and the job asks Step Functions which are gone.
 */
async function rearmPendingRequests(): Promise<number> {
  const [table, workflow, { requestDependencies }, reconciliation] =
    await Promise.all([
      import('#shared/aws/table.ts'),
      import('#shared/aws/workflow.ts'),
      import('#shared/request-dependencies.ts'),
      import('#domain/registry/reconciliation.ts'),
    ]);
  const deps = requestDependencies({
    table: table.registryTableFromEnv(),
    workflow: workflow.approvalWorkflowFromEnv(),
  });
  const report = await reconciliation.reconcilePendingRequests(deps, {
    allExecutionsLost: true,
    graceMs: 0,
    maxPerRun: Number.POSITIVE_INFINITY,
  });
  for (const failure of report.failures) {
    console.error(
      `transition request ${failure.requestId} could not be re-armed: ${failure.error}`
    );
  }
  return report.rearmed;
}

/** The same cleanup handler that EventBridge schedules on AWS. */
async function runCleanupJob(): Promise<unknown> {
  const job = await import('#handlers/jobs/cleanup.ts');
  const timeoutMs = functionTimeoutSeconds.cleanup * 1000;
  return invokeWithTimeout(
    job.handler,
    undefined,
    lambdaContext('stagegate-cleanup', timeoutMs),
    timeoutMs
  );
}

/** The reminder job that EventBridge schedules on AWS. */
async function runReminders(): Promise<unknown> {
  const job = await import('#handlers/jobs/reminders.ts');
  const timeoutMs = functionTimeoutSeconds.reminders * 1000;
  return invokeWithTimeout(
    job.handler,
    undefined,
    lambdaContext('stagegate-reminders', timeoutMs),
    timeoutMs
  );
}

/** The watchdog that EventBridge schedules on AWS. */
async function runRegistrationWatchdog(
  allLeasesLost: boolean
): Promise<unknown> {
  const job = await import('#handlers/jobs/registration-watchdog.ts');
  const timeoutMs = functionTimeoutSeconds.registrationWatchdog * 1000;
  return invokeWithTimeout(
    job.handler,
    { allLeasesLost },
    lambdaContext('stagegate-registration-watchdog', timeoutMs),
    timeoutMs
  );
}

function startTimer(
  name: string,
  run: () => Promise<unknown>,
  intervalMs: number
): NodeJS.Timeout {
  const timer = setInterval(() => {
    run().catch((error: unknown) => console.error(`${name} failed`, error));
  }, intervalMs);
  timer.unref();
  return timer;
}
