import { type LookupAddress, lookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPublicAddress, WebhookDeliveryError } from '#domain/webhook.ts';
import type {
  WebhookRequest,
  WebhookResponse,
  WebhookSender,
} from '#ports/webhook-sender.ts';

/** The most of a receiver's body kept (and answered by the test endpoint). */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024;

/**
 * {@link WebhookSender} over Node's http/https clients. The address check
 * runs in the socket's DNS lookup, on the address actually connected to,
 * so a name that resolves (or re-resolves) to a private address is refused
 * — unlike a check on the URL before sending. Redirects are not followed.
 */
export class NodeWebhookSender implements WebhookSender {
  readonly #allowPrivate: boolean;

  /** @param options.allowPrivate also connect to non-public addresses. */
  constructor(options: { allowPrivate: boolean }) {
    this.#allowPrivate = options.allowPrivate;
  }

  post(webhook: WebhookRequest): Promise<WebhookResponse> {
    const url = new URL(webhook.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<WebhookResponse>((resolve, reject) => {
      const fail = (reason: string, retryable = true) =>
        reject(
          new WebhookDeliveryError(
            `Webhook delivery to ${url.host} failed: ${reason}.`,
            { retryable }
          )
        );
      const req = send(
        url,
        {
          method: 'POST',
          headers: {
            'user-agent': 'stagegate-webhooks',
            ...webhook.headers,
            'content-length': String(Buffer.byteLength(webhook.body)),
          },
          timeout: webhook.timeoutMs,
          lookup: this.#allowPrivate ? undefined : publicOnlyLookup,
          rejectUnauthorized: webhook.verifyTls,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size >= MAX_RESPONSE_BODY_BYTES) return;
            chunks.push(chunk.subarray(0, MAX_RESPONSE_BODY_BYTES - size));
            size += chunk.length;
          });
          res.on('end', () => {
            clearTimeout(deadline);
            const retryAfter = res.headers['retry-after'];
            resolve({
              statusCode: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
            });
          });
          res.on('error', (error) => {
            clearTimeout(deadline);
            fail(error.message);
          });
        }
      );
      // The socket timeout covers idle time only; this bounds the whole call.
      const deadline = setTimeout(() => {
        req.destroy(new Error(`no response within ${webhook.timeoutMs} ms`));
      }, webhook.timeoutMs);
      req.on('timeout', () => {
        req.destroy(new Error(`no response within ${webhook.timeoutMs} ms`));
      });
      req.on('error', (error) => {
        clearTimeout(deadline);
        fail(describe(error), !(error instanceof BlockedAddressError));
      });
      req.end(webhook.body);
    });
  }
}

class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
}

function describe(error: Error): string {
  if (error instanceof BlockedAddressError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${code}` : error.message;
}

/**
 * DNS lookup that refuses any non-public address. Node skips the lookup
 * for IP literals: `validateWebhookUrl` refuses non-public literals before
 * anything is sent.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, '', 0);
      return;
    }
    const all = addresses as LookupAddress[];
    const blocked = all.find((entry) => !isPublicAddress(entry.address));
    if (blocked || all.length === 0) {
      callback(
        new BlockedAddressError(
          'the host resolves to a private, loopback or link-local address'
        ),
        '',
        0
      );
      return;
    }
    if (options.all) {
      callback(null, all);
    } else {
      const [first] = all;
      callback(null, first?.address ?? '', first?.family ?? 4);
    }
  });
};
