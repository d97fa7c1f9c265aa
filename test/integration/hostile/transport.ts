import { Agent, request } from 'node:http';

/**
 * One request exactly as it goes on the wire: any method token, a raw
 * (already percent-encoded) path and query, any headers and body bytes.
 * `fetch` normalizes or refuses much of this (methods, encoded dots,
 * duplicate headers), so the suite speaks HTTP/1.1 through `node:http`.
 */
export interface WireRequest {
  readonly method: string;
  /** Starts with `/`; percent-encoded as it should be sent. */
  readonly path: string;
  /** Without the `?`; empty for none. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Buffer | undefined;
}

export type WireAnswer =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly text: string;
    }
  | { readonly kind: 'timeout' }
  /** The connection failed (reset, refused) before a status line came. */
  | { readonly kind: 'error'; readonly message: string }
  /** `node:http` refused to send it (a header or path it cannot encode). */
  | { readonly kind: 'unsendable'; readonly message: string }
  /** Not sent: the server had stopped answering (see the run's breaker). */
  | { readonly kind: 'skipped' };

/** Keep-alive connections shared by every request of one run. */
export function createAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

/**
 * Sends one request and reads the whole answer, giving up after
 * `timeoutMs` (the socket is destroyed, so a stalled server cannot hold
 * the run).
 */
export function send(
  base: URL,
  wire: WireRequest,
  options: { agent: Agent; timeoutMs: number }
): Promise<WireAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: WireAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const headers: Record<string, string | number> = { ...wire.headers };
    // A chunked request carries no length (both would be refused as a
    // smuggling attempt before the gateway sees them).
    if (wire.body !== undefined && !('transfer-encoding' in headers)) {
      headers['content-length'] = Buffer.byteLength(wire.body);
    }
    let outgoing: ReturnType<typeof request>;
    try {
      outgoing = request({
        host: base.hostname,
        port: base.port,
        method: wire.method,
        path: wire.query === '' ? wire.path : `${wire.path}?${wire.query}`,
        headers,
        agent: options.agent,
      });
    } catch (error) {
      resolve({ kind: 'unsendable', message: (error as Error).message });
      return;
    }
    const timer = setTimeout(() => {
      outgoing.destroy(new Error('timeout'));
      finish({ kind: 'timeout' });
    }, options.timeoutMs);
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const flat: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) {
            flat[name] = Array.isArray(value) ? value.join(', ') : value;
          }
        }
        finish({
          kind: 'response',
          status: response.statusCode ?? 0,
          headers: flat,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
      response.on('error', (error) =>
        finish({ kind: 'error', message: error.message })
      );
    });
    outgoing.on('error', (error) =>
      finish({ kind: 'error', message: error.message })
    );
    outgoing.end(wire.body);
  });
}

/**
 * Runs `work` over `items` with at most `limit` in flight, in order of
 * start; answers the results in the items' order.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) {
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker)
  );
  return results;
}
