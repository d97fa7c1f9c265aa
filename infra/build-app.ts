import { readFileSync } from 'node:fs';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseExternalSourcePrefixes } from '../functions/domain/artifacts/sources.ts';
import { ApiStack } from './api-stack.ts';
import { fromRepoRoot } from './paths.ts';
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
}

export interface StagegateApp {
  readonly app: App;
  readonly stateful: StatefulStack;
  readonly api: ApiStack;
  readonly web: WebStack;
}

/**
 * Builds the stagegate CDK app: `Stagegate-Stateful` (table, bucket),
 * `Stagegate-Api` (functions, HTTP API, workflow, schedule) and
 * `Stagegate-Web` (the page on S3 behind CloudFront, with the API), checked by
 * cdk-nag's AwsSolutions pack. `infra/app.ts` synthesizes it for the CLI;
 * tests build it in-process. The feature flags are read from `cdk.json` so
 * an in-process app behaves exactly as the CLI's.
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
  Tags.of(app).add('project', 'stagegate');

  const stateful = new StatefulStack(app, 'Stagegate-Stateful', {
    description: 'stagegate model registry: table and artifact bucket',
  });
  const api = new ApiStack(app, 'Stagegate-Api', {
    description: 'stagegate model registry: API, functions and workflows',
    table: stateful.table,
    artifactBucket: stateful.artifactBucket,
    oauthSigningKey: stateful.oauthSigningKey,
    // `cdk deploy -c externalSourcePrefixes=s3://team-bucket/models/,…`
    externalSourcePrefixes: parseExternalSourcePrefixes(
      contextString(app, 'externalSourcePrefixes')
    ),
  });

  const web = new WebStack(app, 'Stagegate-Web', {
    description: 'stagegate model registry: the web page and its CDN',
    httpApi: api.httpApi,
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stateful, api, web };
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
