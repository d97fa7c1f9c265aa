import { readFileSync } from 'node:fs';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { parseExternalSourcePrefixes } from '../functions/domain/artifacts/sources.ts';
import { ApiStack, type EmailProps } from './api-stack.ts';
import { fromRepoRoot } from './paths.ts';
import {
  parseStageConfig,
  type StageConfig,
  type StageInput,
  stageNames,
} from './stage-config.ts';
import { DEFAULT_STAGE, stages } from './stages.ts';
import { StatefulStack } from './stateful-stack.ts';
import { WebStack } from './web-stack.ts';

export interface BuildAppOptions {
  /**
   * Bundle the functions with esbuild. Tests turn it off: templates are the
   * same apart from asset hashes, and synthesis takes a fraction of the time.
   * @default true
   */
  readonly bundling?: boolean;
  /**
   * Run aws-cdk-lib's built-in CloudFormation template validation (about
   * 4 s of WASM per synthesis). Tests turn it off; `cdk synth` keeps it.
   * @default true
   */
  readonly cloudFormationValidation?: boolean;
  /**
   * Context added to (and overriding) the context of `cdk.json`.
   * @default - `cdk.json`'s context only
   */
  readonly context?: Readonly<Record<string, unknown>>;
  /**
   * The stages to build, side by side in one app. @default the stages of
   * `infra/stages.ts` named by the `stage` context (comma-separated;
   * `-c stage=prod`), else `dev`
   */
  readonly stages?: readonly StageInput[];
}

/** One stage: its configuration and its two stacks. */
export interface StagegateDeployment {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  readonly api: ApiStack;
  readonly web: WebStack;
}

export interface StagegateApp {
  readonly app: App;
  /** Every stage built, in the order asked for. */
  readonly deployments: readonly StagegateDeployment[];
  /** The first stage's stacks. */
  readonly stateful: StatefulStack;
  readonly api: ApiStack;
  readonly web: WebStack;
}

/**
 * Builds the stagegate CDK app: per stage, `stagegate-<stage>-stateful`
 * (table, bucket, backups, the bootstrap secret), `stagegate-<stage>-api`
 * (functions, HTTP API, workflow, schedules, alarms) and
 * `stagegate-<stage>-web` (the page on S3 behind CloudFront, with the API on
 * the same origin), checked by cdk-nag's AwsSolutions and Serverless packs.
 * `infra/app.ts` synthesizes it for the CLI; tests build it in-process. The
 * feature flags are read from `cdk.json` so an in-process app behaves
 * exactly as the CLI's.
 */
export function buildApp(options: BuildAppOptions = {}): StagegateApp {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      ...(options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
      ...options.context,
    },
    builtinCloudFormationValidation: options.cloudFormationValidation ?? true,
  });
  const inputs = options.stages ?? selectedStages(app);
  const deployments = inputs.map((input) =>
    buildStage(app, parseStageConfig(input))
  );
  const [first] = deployments;
  if (!first) throw new Error('No stage to build.');

  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new ServerlessChecks(app)
  );
  return {
    app,
    deployments,
    stateful: first.stateful,
    api: first.api,
    web: first.web,
  };
}

function buildStage(app: App, config: StageConfig): StagegateDeployment {
  const names = stageNames(config);
  const env =
    config.account || config.region
      ? { account: config.account, region: config.region }
      : undefined;
  const stateful = new StatefulStack(app, names.statefulStack, {
    description: `stagegate model registry (${config.name}): table and artifact bucket`,
    config,
    env,
    terminationProtection: config.terminationProtection,
  });
  const api = new ApiStack(app, names.apiStack, {
    description: `stagegate model registry (${config.name}): API, functions, workflows and alarms`,
    config,
    env,
    table: stateful.table,
    artifactBucket: stateful.artifactBucket,
    email: emailContext(app),
    oauthSigningKey: stateful.oauthSigningKey,
    // `cdk deploy -c externalSourcePrefixes=s3://team-bucket/models/,…`
    externalSourcePrefixes: parseExternalSourcePrefixes(
      contextString(app, 'externalSourcePrefixes')
    ),
  });
  const web = new WebStack(app, names.webStack, {
    description: `stagegate model registry (${config.name}): the web page and its CDN`,
    env,
    apiUrl: api.apiUrl,
  });
  for (const stack of [stateful, api, web]) {
    Tags.of(stack).add('project', 'stagegate');
    Tags.of(stack).add('stage', config.name);
    Tags.of(stack).add('owner', config.owner);
  }
  return { config, stateful, api, web };
}

/**
 * The stages named by the `stage` context (`-c stage=prod`, or several:
 * `-c stage=dev,prod`), else the default one.
 * @throws Error naming the unknown stage and the known ones.
 */
function selectedStages(app: App): StageInput[] {
  const context: unknown = app.node.tryGetContext('stage');
  const names =
    typeof context === 'string' && context.trim() !== ''
      ? context.split(',').map((name) => name.trim())
      : [DEFAULT_STAGE];
  return names.map((name) => {
    const stage = stages.find((candidate) => candidate.name === name);
    if (!stage) {
      throw new Error(
        `No stage '${name}' in infra/stages.ts (known: ${stages.map((known) => known.name).join(', ')}).`
      );
    }
    return stage;
  });
}

/**
 * E-mail from the context (`-c stagegate:emailSender=registry@example.com`,
 * optionally `stagegate:emailIdentity`, `stagegate:publicUrl`); off
 * without a sender.
 */
function emailContext(app: App): EmailProps | undefined {
  const text = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(`stagegate:${key}`);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const sender = text('emailSender');
  if (sender === undefined) return undefined;
  return {
    sender,
    identity: text('emailIdentity'),
    publicUrl: text('publicUrl'),
  };
}

/** A context value given as a string or a list of strings. */
function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(',');
  return String(value);
}

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(
    readFileSync(fromRepoRoot('cdk.json'), 'utf8')
  );
  if (
    typeof cdkJson === 'object' &&
    cdkJson !== null &&
    'context' in cdkJson &&
    typeof cdkJson.context === 'object' &&
    cdkJson.context !== null
  ) {
    return { ...cdkJson.context };
  }
  return {};
}
