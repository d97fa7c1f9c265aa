import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackSignature } from '#domain/slack/signature.ts';

/** One Web API call (or `response_url` post) the stand-in received. */
export interface SlackCall {
  /** `chat.postMessage`, `chat.update`, `users.info`, `views.open`, or `respond`. */
  readonly method: string;
  /** The JSON body (form bodies as their fields). */
  readonly body: Record<string, unknown>;
  /** For `respond`: which response URL (its last path segment). */
  readonly responseId?: string;
  readonly authorization?: string | undefined;
  /** What the stand-in answered (`chat.postMessage`: the message's `ts`). */
  answer: Record<string, unknown>;
}

/** A Slack user as the stand-in's `users.info` describes them. */
export interface StandInUser {
  readonly email?: string;
  readonly emailConfirmed?: boolean;
  readonly isBot?: boolean;
}

export interface SlackStandIn {
  /** The Web API base URL (`http://127.0.0.1:<port>/api`). */
  readonly apiUrl: string;
  readonly calls: SlackCall[];
  /** Adds (or replaces) a user `users.info` knows. */
  addUser(id: string, user: StandInUser): void;
  /** A fresh `response_url` of the stand-in, and its id. */
  responseUrl(): { url: string; id: string };
  /** The calls of one method, oldest first. */
  callsOf(method: string): SlackCall[];
  /**
   * Waits until `done` holds for the calls received (polling, bounded).
   * @throws Error listing the calls when it does not within `timeoutMs`.
   */
  until(
    done: (calls: readonly SlackCall[]) => boolean,
    timeoutMs?: number
  ): Promise<void>;
  close(): Promise<void>;
}

/**
 * A local stand-in for Slack's Web API, recording what the registry calls:
 * `chat.postMessage` (answers a fresh `ts`), `chat.update`, `users.info`
 * (from the users added), `views.open`, and posts to its response URLs.
 */
export async function startSlackStandIn(): Promise<SlackStandIn> {
  const calls: SlackCall[] = [];
  const users = new Map<string, StandInUser>();
  let nextTs = 1;
  let nextResponse = 1;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const form = (request.headers['content-type'] ?? '').startsWith(
        'application/x-www-form-urlencoded'
      );
      const body = form
        ? Object.fromEntries(new URLSearchParams(text))
        : (JSON.parse(text || '{}') as Record<string, unknown>);
      const path = request.url ?? '';
      const respond = /^\/respond\/([^/]+)$/.exec(path);
      const method = respond ? 'respond' : path.replace(/^\/api\//, '');
      const call: SlackCall = {
        method,
        body,
        ...(respond?.[1] ? { responseId: respond[1] } : {}),
        authorization: request.headers.authorization,
        answer: {},
      };
      let answer: Record<string, unknown> = { ok: true };
      if (method === 'chat.postMessage') {
        answer = {
          ok: true,
          channel: body.channel,
          ts: `1700000000.${String(nextTs++).padStart(6, '0')}`,
        };
      } else if (method === 'users.info') {
        const id = String(body.user);
        const user = users.get(id);
        answer = user
          ? {
              ok: true,
              user: {
                id,
                deleted: false,
                is_bot: user.isBot ?? false,
                is_email_confirmed: user.emailConfirmed ?? true,
                profile: user.email ? { email: user.email } : {},
              },
            }
          : { ok: false, error: 'user_not_found' };
      }
      call.answer = answer;
      calls.push(call);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve())
  );
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${origin}/api`,
    calls,
    addUser: (id, user) => {
      users.set(id, user);
    },
    responseUrl: () => {
      const id = String(nextResponse++);
      return { url: `${origin}/respond/${id}`, id };
    },
    callsOf: (method) => calls.filter((call) => call.method === method),
    until: async (done, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!done(calls)) {
        if (Date.now() > deadline) {
          throw new Error(
            `Slack stand-in: not there within ${timeoutMs} ms; received ${JSON.stringify(
              calls.map((call) => call.method)
            )}`
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve()))
      ),
  };
}

/** A callback as Slack sends it: form-encoded payload, signed now. */
export function signedCallback(
  signingSecret: string,
  payload: unknown,
  options: { timestamp?: number } = {}
): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({
    payload: JSON.stringify(payload),
  }).toString();
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(signingSecret, timestamp, body),
    },
  };
}
