import {
  artifactUrlTtlFromEnv,
  hoursFromEnv,
  registrationPolicyFromEnv,
} from './artifacts.ts';
import { type Environment, getOptionalStringFromEnv } from './config.ts';

/**
 * The registry's settings (README, "Configuration"): variables the
 * functions read at cold start, each with its default. Locally they come
 * from the shell running `npm start`; on AWS the CDK app sets them on
 * every function from the stage's configuration (`infra/stages.ts`).
 */
export const registrySettingVariables = [
  'ARTIFACT_URL_TTL_SECONDS',
  'AUTHORIZER_CACHE_TTL_SECONDS',
  'CLEANUP_MAX_AGE_HOURS',
  'FAILED_RETENTION_HOURS',
  'REGISTRATION_DEADLINE_HOURS',
  'REGISTRATION_LEASE_SECONDS',
  'REGISTRATION_MAX_ATTEMPTS',
  'POWERTOOLS_LOG_LEVEL',
  'STAGEGATE_STAGE',
] as const;

export type RegistrySettingVariable = (typeof registrySettingVariables)[number];

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'];

/**
 * Reads every setting as the functions will, so a value they would refuse
 * at cold start is refused before a deployment (the CDK app calls it with
 * the environment it is about to set).
 * @throws Error naming the first variable out of range.
 */
export function checkRegistrySettings(env: Environment): void {
  artifactUrlTtlFromEnv(env);
  authorizerCacheTtlFromEnv(env);
  registrationPolicyFromEnv(env);
  hoursFromEnv('CLEANUP_MAX_AGE_HOURS', 24, env);
  hoursFromEnv('FAILED_RETENTION_HOURS', 72, env);
  const level = getOptionalStringFromEnv('POWERTOOLS_LOG_LEVEL', env);
  if (level !== undefined && !LOG_LEVELS.includes(level.toUpperCase())) {
    throw new Error(
      `POWERTOOLS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${level}'.`
    );
  }
}

/**
 * `AUTHORIZER_CACHE_TTL_SECONDS`, how long a resolved token is trusted.
 * @default 10 seconds
 * @returns milliseconds
 * @throws Error at cold start for a value that is not a number ≥ 0.
 */
export function authorizerCacheTtlFromEnv(
  env: Environment = process.env
): number {
  const raw =
    getOptionalStringFromEnv('AUTHORIZER_CACHE_TTL_SECONDS', env) ?? '10';
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(
      `AUTHORIZER_CACHE_TTL_SECONDS must be a number of seconds, got '${raw}'.`
    );
  }
  return seconds * 1000;
}
