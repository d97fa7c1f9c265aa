import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { checkRegistrySettings } from '../functions/shared/settings.ts';

/**
 * The log retentions CloudWatch Logs accepts, in days (9999: never
 * expire).
 */
const RETENTION_DAYS = new Set(
  Object.values(RetentionDays).filter(
    (value): value is number => typeof value === 'number'
  )
);

/**
 * A stage name: the part of every stack and resource name that keeps two
 * deployments in one account apart (`stagegate-<stage>-…`), so it is
 * short, lower case and starts with a letter.
 */
const STAGE_NAME = /^[a-z][a-z0-9-]{0,19}$/;

const positive = () => z.number().positive();
const wholePositive = () => z.number().int().positive();

/**
 * One deployment of stagegate ("stage"): what `infra/stages.ts` declares
 * per environment, with the defaults of everything left out. Parsed (and
 * checked) by {@link parseStageConfig} when the app is built, so a wrong
 * value fails `cdk synth`, not a deployed function's cold start.
 */
export const stageConfigSchema = z
  .object({
    /** `dev`, `prod`, …: see {@link STAGE_NAME}. */
    name: z.string().regex(STAGE_NAME, {
      message:
        'a stage name is 1 to 20 lower-case letters, digits or hyphens, starting with a letter',
    }),
    /** The team answerable for the deployment (the `owner` tag). */
    owner: z.string().min(1).max(256),
    /**
     * Where it is deployed. @default the account and region of the
     * credentials `cdk deploy` runs with
     */
    account: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
      .optional(),
    /** The HTTP API's stage throttling (every route). */
    api: z
      .object({
        rateLimit: positive().default(100),
        burstLimit: wholePositive().default(200),
      })
      .strict()
      .default({ rateLimit: 100, burstLimit: 200 }),
    /** Days CloudWatch keeps function, workflow and access logs. */
    logRetentionDays: z
      .number()
      .refine((days) => RETENTION_DAYS.has(days), {
        message: `log retention must be one of ${[...RETENTION_DAYS].join(', ')} days`,
      })
      .default(30),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    /**
     * The registry settings passed to the functions (README,
     * "Configuration"); each left out keeps the functions' default.
     */
    registry: z
      .object({
        artifactUrlTtlSeconds: wholePositive().optional(),
        authorizerCacheTtlSeconds: z.number().nonnegative().optional(),
        cleanupMaxAgeHours: positive().optional(),
        failedRetentionHours: positive().optional(),
        registrationDeadlineHours: positive().optional(),
        registrationLeaseSeconds: positive().optional(),
        registrationMaxAttempts: wholePositive().optional(),
      })
      .strict()
      .default({}),
    /**
     * Origins allowed to PUT and GET artifacts with presigned URLs from a
     * browser (the bucket's CORS); none by default: the CLI, MLflow and
     * the SDKs are not browsers and need none. `*` allows any origin (the
     * URL's signature, not the origin, grants access).
     */
    allowedOrigins: z
      .array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ })]))
      .default([]),
    alarms: z
      .object({
        /** Subscribed to the alarm topic (confirmed by e-mail). */
        email: z.email().optional(),
        /** API 5xx answers, percent of requests over 5 minutes. */
        api5xxRatePercent: positive().max(100).default(1),
        /** The API's p99 latency over 5 minutes, milliseconds. */
        apiP99LatencyMs: wholePositive().default(2500),
      })
      .strict()
      .default({ api5xxRatePercent: 1, apiP99LatencyMs: 2500 }),
    /**
     * A stable URL: a domain in a Route 53 public hosted zone of the same
     * account. With it, the `execute-api` endpoint is disabled, so every
     * client uses the name that survives re-creating the API.
     */
    domain: z
      .object({
        name: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/),
        hostedZoneId: z.string().regex(/^Z[A-Z0-9]+$/),
        hostedZoneName: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/),
      })
      .strict()
      .optional(),
    /**
     * How a new function version takes the `live` alias: `canary` (10%
     * for 5 minutes, then all) or `linear` (10% more every minute), each
     * rolled back by CodeDeploy when an alarm of the function fires;
     * `all-at-once` moves the alias in the CloudFormation update (dev).
     */
    deployment: z.enum(['canary', 'linear', 'all-at-once']).default('canary'),
    /** Termination protection on the stateful stack. */
    terminationProtection: z.boolean().default(true),
    /**
     * Daily AWS Backup of the table and the artifact bucket into a vault
     * of the stage, kept this many days (in addition to the table's
     * point-in-time recovery and the bucket's versioning).
     */
    backup: z
      .object({ retentionDays: wholePositive().max(36_500) })
      .strict()
      .optional(),
    /**
     * Days an overwritten or deleted artifact object stays recoverable
     * (as a noncurrent S3 version) before the lifecycle removes it.
     */
    noncurrentArtifactDays: wholePositive().default(30),
  })
  .strict();

/** What `infra/stages.ts` writes for a stage (defaults left out). */
export type StageInput = z.input<typeof stageConfigSchema>;

/** A stage with every default applied. */
export type StageConfig = z.output<typeof stageConfigSchema>;

/**
 * Parses and checks a stage, including the registry settings as the
 * functions will read them.
 * @throws Error naming the stage and each problem.
 */
export function parseStageConfig(input: StageInput): StageConfig {
  const parsed = stageConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(
      `Stage ${JSON.stringify(input.name)} is misconfigured: ${parsed.error.issues
        .map(
          (issue) => `${issue.path.join('.') || '(stage)'}: ${issue.message}`
        )
        .join('; ')}`
    );
  }
  try {
    checkRegistrySettings(functionSettings(parsed.data));
  } catch (error) {
    throw new Error(
      `Stage ${parsed.data.name} is misconfigured: ${(error as Error).message}`
    );
  }
  return parsed.data;
}

/**
 * The settings every function of the stage gets as environment variables
 * (`registrySettingVariables`); a setting left out of the stage is left
 * out here, and the function keeps its default.
 */
export function functionSettings(config: StageConfig): Record<string, string> {
  const { registry } = config;
  const settings: Record<string, number | string | undefined> = {
    STAGEGATE_STAGE: config.name,
    POWERTOOLS_LOG_LEVEL: config.logLevel,
    ARTIFACT_URL_TTL_SECONDS: registry.artifactUrlTtlSeconds,
    AUTHORIZER_CACHE_TTL_SECONDS: registry.authorizerCacheTtlSeconds,
    CLEANUP_MAX_AGE_HOURS: registry.cleanupMaxAgeHours,
    FAILED_RETENTION_HOURS: registry.failedRetentionHours,
    REGISTRATION_DEADLINE_HOURS: registry.registrationDeadlineHours,
    REGISTRATION_LEASE_SECONDS: registry.registrationLeaseSeconds,
    REGISTRATION_MAX_ATTEMPTS: registry.registrationMaxAttempts,
  };
  return Object.fromEntries(
    Object.entries(settings)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, String(value)])
  );
}

/** Stack and resource names of a stage, all derived from its name. */
export interface StageNames {
  readonly statefulStack: string;
  readonly apiStack: string;
  readonly webStack: string;
  /** Prefix of every named resource: `stagegate-<stage>`. */
  readonly prefix: string;
  /**
   * The registry table: named, so the operator scripts find it, and so
   * CloudFormation can never replace it (a named resource is updated in
   * place or the update fails).
   */
  readonly table: string;
  /** The secret holding the bootstrap admin token. */
  readonly bootstrapSecret: string;
}

export function stageNames(config: Pick<StageConfig, 'name'>): StageNames {
  const prefix = `stagegate-${config.name}`;
  return {
    statefulStack: `${prefix}-stateful`,
    apiStack: `${prefix}-api`,
    webStack: `${prefix}-web`,
    prefix,
    table: `${prefix}-registry`,
    bootstrapSecret: `${prefix}/bootstrap-admin-token`,
  };
}
