import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a {@link WebhookReceiver} got. */
export interface ReceivedWebhook {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw body, exactly as sent (what the signature covers). */
  readonly body: string;
  /** The status it was answered with. */
  readonly status: number;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hook`. */
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** What it answers from now on. */
  respondWith(status: number, body: string): void;
  /**
   * What it answers to the next requests whose body `matches`, one status
   * each, before going back to its usual answer.
   */
  failNext(matches: (body: string) => boolean, statuses: number[]): void;
  /**
   * Waits until `done` holds for what was received (polling, bounded).
   * @throws Error with what arrived when it does not within `timeoutMs`.
   */
  until(
    done: (received: readonly ReceivedWebhook[]) => boolean,
    timeoutMs?: number
  ): Promise<void>;
  close(): Promise<void>;
}

/** An HTTP receiver for webhook deliveries, on 127.0.0.1. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let reply = { status: 200, body: '{"ok":true}' };
  const scripted: { matches: (body: string) => boolean; statuses: number[] }[] =
    [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const script = scripted.find(
        (entry) => entry.statuses.length > 0 && entry.matches(body)
      );
      const status = script?.statuses.shift() ?? reply.status;
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
        status,
      });
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(reply.body);
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve())
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    respondWith: (status, body) => {
      reply = { status, body };
    },
    failNext: (matches, statuses) => {
      scripted.push({ matches, statuses: [...statuses] });
    },
    // Bounded generously: in the integration tier the registry's delivery
    // worker is shared with every other suite's webhooks, some of them
    // retried or slow, ahead of this one in the queue.
    until: async (done, timeoutMs = 40_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!done(received)) {
        if (Date.now() > deadline) {
          throw new Error(
            `The receiver did not get what was expected within ${timeoutMs} ms; it got: ${received.map((r) => r.body).join('\n')}`
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * Databricks' reference check of `X-Databricks-Signature`: lowercase hex
 * HMAC-SHA256 of the raw body with the shared secret, compared in
 * constant time.
 */
export function signatureVerifies(
  secret: string,
  body: string,
  signature: string | string[] | undefined
): boolean {
  if (typeof signature !== 'string') return false;
  const expected = createHmac('sha256', secret).update(body).digest('hex');
  return (
    signature.length === expected.length &&
    timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
  );
}

/**
 * Standard Webhooks' verification, as its reference libraries do it: the
 * `webhook-signature` list holds a `v1,<base64>` HMAC-SHA256 of
 * `<webhook-id>.<webhook-timestamp>.<body>`, and the timestamp is within
 * five minutes of now (replays are rejected). A `whsec_` secret's key is
 * its base64-decoded part; any other secret's, its UTF-8 bytes.
 */
export function standardSignatureVerifies(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
  now = Date.now()
): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (
    typeof id !== 'string' ||
    typeof timestamp !== 'string' ||
    typeof signatures !== 'string'
  ) {
    return false;
  }
  if (Math.abs(now / 1000 - Number(timestamp)) > 300) return false;
  const key = secret.startsWith('whsec_')
    ? Buffer.from(secret.slice(6), 'base64')
    : Buffer.from(secret, 'utf8');
  const expected = createHmac('sha256', key)
    .update(`${id}.${timestamp}.${body}`)
    .digest('base64');
  return signatures.split(' ').some((entry) => {
    const [version, mac] = entry.split(',');
    return (
      version === 'v1' &&
      mac !== undefined &&
      mac.length === expected.length &&
      timingSafeEqual(Buffer.from(mac), Buffer.from(expected))
    );
  });
}
