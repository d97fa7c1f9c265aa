import { createHmac, timingSafeEqual } from 'node:crypto';
import { UnauthenticatedError } from '../errors.ts';

/**
 * Slack's request signing (v0): `X-Slack-Signature` is `v0=` and the hex
 * HMAC-SHA256, keyed by the app's signing secret, of
 * `v0:<X-Slack-Request-Timestamp>:<raw body>`. A request is taken only
 * within this many seconds of its timestamp, either way; a signature seen
 * once is refused for the rest of that window (the replay guard).
 */
export const SLACK_SIGNATURE_WINDOW_SECONDS = 300;

const SIGNATURE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP = /^[0-9]{1,12}$/;

/** The `X-Slack-Signature` of a body at a timestamp (epoch seconds). */
export function slackSignature(
  signingSecret: string,
  timestamp: string | number,
  rawBody: string
): string {
  const mac = createHmac('sha256', signingSecret)
    .update(`v0:${timestamp}:${rawBody}`)
    .digest('hex');
  return `v0=${mac}`;
}

/**
 * Checks a callback's signature over its raw body before anything else
 * reads it: the timestamp within the window of `nowMs`, then the HMAC,
 * compared in constant time.
 * @returns the timestamp (epoch seconds), for the replay guard's window.
 * @throws UnauthenticatedError naming what failed (never the secret).
 */
export function verifySlackSignature(input: {
  readonly signingSecret: string;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  readonly rawBody: string;
  readonly nowMs: number;
}): number {
  const { timestamp, signature } = input;
  if (timestamp === undefined || !TIMESTAMP.test(timestamp)) {
    throw new UnauthenticatedError(
      'X-Slack-Request-Timestamp is missing or not a number of seconds.'
    );
  }
  const seconds = Number(timestamp);
  if (Math.abs(input.nowMs / 1000 - seconds) > SLACK_SIGNATURE_WINDOW_SECONDS) {
    throw new UnauthenticatedError(
      `X-Slack-Request-Timestamp is more than ${SLACK_SIGNATURE_WINDOW_SECONDS} seconds away from now.`
    );
  }
  if (signature === undefined || !SIGNATURE.test(signature)) {
    throw new UnauthenticatedError(
      'X-Slack-Signature is missing or not a v0 signature.'
    );
  }
  const expected = slackSignature(
    input.signingSecret,
    timestamp,
    input.rawBody
  );
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    throw new UnauthenticatedError('X-Slack-Signature does not match.');
  }
  return seconds;
}
