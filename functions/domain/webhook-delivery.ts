import { createHmac } from 'node:crypto';
import type { RegistryEventType } from './events.ts';
import { webhookSignature } from './webhook.ts';

/**
 * One message to one webhook and what became of it (the delivery log):
 * `PENDING` while queued or waiting for its next attempt, then
 * `DELIVERED` (a 2xx answer), `FAILED` (a permanent refusal, or the
 * attempts ran out: its message is dead-lettered) or `CANCELLED` (the
 * webhook was deleted, disabled or unsubscribed before it went out).
 */
export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED' | 'CANCELLED';

export interface DeliveryAttempt {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Epoch ms when it was sent. */
  readonly at: number;
  /** The receiver's HTTP status; absent when no response came back. */
  readonly statusCode?: number | undefined;
  readonly latencyMs: number;
  /** Why no (good) response came back. */
  readonly error?: string | undefined;
}

export interface WebhookDelivery {
  /** 32 hex: the first delivery of a message has the message's id. */
  readonly id: string;
  readonly webhookId: string;
  /**
   * The message (event type × webhook): `webhook-id` of every attempt and
   * redelivery of it, so receivers can drop what they already have.
   */
  readonly messageId: string;
  readonly eventId: string;
  readonly eventType: RegistryEventType;
  readonly modelId: string;
  /** The exact body sent (what the signatures cover). */
  readonly body: string;
  readonly status: DeliveryStatus;
  readonly attempts: readonly DeliveryAttempt[];
  /** When a PENDING delivery is next attempted (epoch ms). */
  readonly nextAttemptAt?: number | undefined;
  readonly creationTimestamp: number;
  readonly lastUpdatedTimestamp: number;
  /** A manual redelivery names the delivery it repeats. */
  readonly redeliveryOf?: string | undefined;
  /** Why it ended as it did (FAILED, CANCELLED). */
  readonly reason?: string | undefined;
}

/** How deliveries are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Delay after the first failed attempt; doubled after each next one. */
  readonly baseDelayMs: number;
  /** No delay is longer (a `Retry-After` included). */
  readonly maxDelayMs: number;
  /** One attempt's bound, connect to last byte. */
  readonly timeoutMs: number;
}

/**
 * 8 attempts over about two hours (30 s, 1, 2, 4, 8, 16, 32 min, with
 * jitter), 10 s each: a receiver that is down for a deploy or an outage of
 * that order still gets everything.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  timeoutMs: 10_000,
};

/**
 * The wait before attempt `failed + 1`: `base · 2^(failed-1)`, capped,
 * with jitter in its upper half (so retries of many deliveries spread
 * out but never come sooner than half the schedule), and never sooner
 * than a receiver's `Retry-After`.
 */
export function backoffDelayMs(
  policy: RetryPolicy,
  failed: number,
  options: { random?: () => number; retryAfterMs?: number | undefined } = {}
): number {
  const random = options.random ?? Math.random;
  const exponential = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * 2 ** Math.max(0, failed - 1)
  );
  const jittered = exponential * (0.5 + random() / 2);
  return Math.round(
    Math.min(policy.maxDelayMs, Math.max(jittered, options.retryAfterMs ?? 0))
  );
}

/**
 * What a response (or its absence) means: 2xx delivered; no response,
 * 408, 429 and 5xx are worth retrying; any other status is the receiver
 * refusing the message, which retrying would not change.
 */
export function classifyResponse(
  statusCode: number | undefined
): 'delivered' | 'retryable' | 'permanent' {
  if (statusCode === undefined) return 'retryable';
  if (statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode === 408 || statusCode === 429 || statusCode >= 500) {
    return 'retryable';
  }
  return 'permanent';
}

/** `Retry-After` in seconds or as an HTTP date, in ms from `now`. */
export function retryAfterMs(
  header: string | undefined,
  now: number
): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The key of Standard Webhooks' signature: a secret in their format
 * (`whsec_<base64>`) is its decoded bytes, so their libraries verify as
 * they are; any other secret (Databricks' are free text) its UTF-8 bytes.
 */
export function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

/**
 * Standard Webhooks' `webhook-signature`: `v1,` and the base64
 * HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>`. Signing the id
 * and the time lets a receiver reject replays (an old timestamp, an id
 * seen before), which Databricks' signature alone cannot.
 */
export function standardWebhooksSignature(
  secret: string,
  messageId: string,
  timestampSeconds: number,
  body: string
): string {
  const mac = createHmac('sha256', standardWebhooksKey(secret))
    .update(`${messageId}.${timestampSeconds}.${body}`, 'utf8')
    .digest('base64');
  return `v1,${mac}`;
}

/**
 * The headers of one attempt: JSON, Standard Webhooks' id and timestamp
 * (always) and signature, Databricks' `X-Databricks-Signature` (both with
 * a secret), and the webhook's `Authorization` when it has one.
 */
export function deliveryHeaders(options: {
  messageId: string;
  body: string;
  at: number;
  secret?: string | undefined;
  authorization?: string | undefined;
}): Record<string, string> {
  const timestamp = Math.floor(options.at / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'webhook-id': options.messageId,
    'webhook-timestamp': String(timestamp),
  };
  if (options.secret !== undefined) {
    headers['x-databricks-signature'] = webhookSignature(
      options.secret,
      options.body
    );
    headers['webhook-signature'] = standardWebhooksSignature(
      options.secret,
      options.messageId,
      timestamp,
      options.body
    );
  }
  if (options.authorization !== undefined) {
    headers.authorization = options.authorization;
  }
  return headers;
}

/** Whether a delivery has nothing left to do. */
export function isFinal(status: DeliveryStatus): boolean {
  return status !== 'PENDING';
}
