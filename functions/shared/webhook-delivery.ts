import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
} from '#domain/webhook-delivery.ts';
import { getOptionalStringFromEnv } from './config.ts';

function secondsFromEnv(
  name: string,
  fallbackMs: number,
  range: { min: number; max: number }
): number {
  const raw = getOptionalStringFromEnv(name);
  if (raw === undefined) return fallbackMs;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < range.min || seconds > range.max) {
    throw new Error(
      `${name} must be a number of seconds from ${range.min} to ${range.max}, got '${raw}'.`
    );
  }
  return Math.round(seconds * 1000);
}

/**
 * How webhook deliveries are retried: `WEBHOOK_MAX_ATTEMPTS` (8),
 * `WEBHOOK_RETRY_BASE_SECONDS` (30, fractions allowed),
 * `WEBHOOK_RETRY_MAX_SECONDS` (3600) and `WEBHOOK_TIMEOUT_SECONDS` (10).
 * @throws Error at cold start for a value out of range.
 */
export function retryPolicyFromEnv(): RetryPolicy {
  const rawAttempts = getOptionalStringFromEnv('WEBHOOK_MAX_ATTEMPTS');
  const maxAttempts =
    rawAttempts === undefined
      ? DEFAULT_RETRY_POLICY.maxAttempts
      : Number(rawAttempts);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 50) {
    throw new Error(
      `WEBHOOK_MAX_ATTEMPTS must be a whole number from 1 to 50, got '${rawAttempts}'.`
    );
  }
  return {
    maxAttempts,
    baseDelayMs: secondsFromEnv(
      'WEBHOOK_RETRY_BASE_SECONDS',
      DEFAULT_RETRY_POLICY.baseDelayMs,
      { min: 0.001, max: 86_400 }
    ),
    maxDelayMs: secondsFromEnv(
      'WEBHOOK_RETRY_MAX_SECONDS',
      DEFAULT_RETRY_POLICY.maxDelayMs,
      { min: 0.001, max: 86_400 }
    ),
    timeoutMs: secondsFromEnv(
      'WEBHOOK_TIMEOUT_SECONDS',
      DEFAULT_RETRY_POLICY.timeoutMs,
      { min: 0.1, max: 60 }
    ),
  };
}

/**
 * `STAGEGATE_ALLOW_HTTP_WEBHOOKS=true` (the local runtime): webhooks may
 * post over http and to private, loopback and link-local addresses.
 */
export function allowPrivateWebhooksFromEnv(): boolean {
  return getOptionalStringFromEnv('STAGEGATE_ALLOW_HTTP_WEBHOOKS') === 'true';
}
