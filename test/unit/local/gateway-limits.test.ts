import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { principalPolicy } from '#http/authorizer-policy.ts';
import { handlerEntry } from '#http/routes.ts';
import {
  type HandlerLoader,
  type LambdaHandler,
  LocalGateway,
} from '#local/gateway.ts';
import {
  functionTimeoutSeconds,
  SYNC_PAYLOAD_LIMIT_BYTES,
} from '#shared/function-limits.ts';

/**
 * What Lambda does to an API call that the local gateway must do too, so
 * tests see it: each function ends at its own deployed timeout, and
 * neither an event nor a response may exceed Lambda's 6 MB synchronous
 * payload. Handlers here are stand-ins (`load`), so nothing reaches a
 * table.
 */

const AUTHORIZER = 'functions/handlers/authorizer.ts';
const REGISTERED_MODELS = handlerEntry('registered-models');
const HEALTH = handlerEntry('health');

/** An authorizer that lets every request through, as a valid token would. */
const allowAll: LambdaHandler = async (event) =>
  principalPolicy((event as { routeArn: string }).routeArn, { id: 'p1' }, {
    principalId: 'p1',
    userName: 'alice',
    kind: 'user',
    isAdmin: 'false',
    groups: '[]',
  } as never);

let gateway: LocalGateway | undefined;
/** Lets the handlers left waiting by a test finish. */
let release: (() => void) | undefined;

afterEach(async () => {
  release?.();
  release = undefined;
  await gateway?.close();
  gateway = undefined;
  vi.restoreAllMocks();
});

async function serve(
  handlers: Record<string, LambdaHandler>,
  timeouts = functionTimeoutSeconds
): Promise<string> {
  const load: HandlerLoader = async (entry) => {
    const handler = handlers[entry];
    if (!handler) throw new Error(`no handler for ${entry}`);
    return handler;
  };
  gateway = new LocalGateway({ load, timeouts });
  return `http://127.0.0.1:${await gateway.listen(0)}`;
}

function ok(body: unknown) {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

describe('LocalGateway', () => {
  describe('function timeouts', () => {
    it("gives each function its deployed timeout, as Lambda's context shows it", async () => {
      // Prepare
      let remaining: number | undefined;
      const base = await serve({
        [HEALTH]: async (_event, context: Context) => {
          remaining = context.getRemainingTimeInMillis();
          return ok({ status: 'OK' });
        },
      });

      // Act
      const response = await fetch(`${base}/health`);

      // Assess
      expect(response.status).toBe(200);
      const timeoutMs = functionTimeoutSeconds.health * 1000;
      expect(remaining).toBeLessThanOrEqual(timeoutMs);
      expect(remaining).toBeGreaterThan(timeoutMs - 1000);
    });

    it('fails an operation that outlasts its function’s timeout with a 500, as Lambda and API Gateway do', async () => {
      // Prepare: the function times out after 50 ms; its operation never
      // ends on its own.
      const log = vi.spyOn(console, 'error').mockImplementation(() => {});
      let contextAtEnd: Context | undefined;
      const base = await serve(
        {
          [AUTHORIZER]: allowAll,
          [REGISTERED_MODELS]: (_event, context: Context) =>
            new Promise((resolve) => {
              contextAtEnd = context;
              release = () => resolve(ok({ registered_model: {} }));
            }),
        },
        { ...functionTimeoutSeconds, 'registered-models': 0.05 }
      );

      // Act
      const response = await fetch(
        `${base}/api/2.0/mlflow/registered-models/get?name=m`
      );

      // Assess
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        error_code: 'INTERNAL_ERROR',
        message: 'Internal error.',
      });
      expect(contextAtEnd?.getRemainingTimeInMillis()).toBe(0);
      expect(String(log.mock.calls[0]?.[1])).toContain(
        'Task timed out after 0.05 seconds'
      );
    });

    it('ends a slow authorizer too, before any handler runs', async () => {
      // Prepare
      vi.spyOn(console, 'error').mockImplementation(() => {});
      const handler = vi.fn(async () => ok({}));
      const base = await serve(
        {
          [AUTHORIZER]: () =>
            new Promise((resolve) => {
              release = () => resolve(undefined);
            }),
          [REGISTERED_MODELS]: handler,
        },
        { ...functionTimeoutSeconds, authorizer: 0.05 }
      );

      // Act
      const response = await fetch(
        `${base}/api/2.0/mlflow/registered-models/get?name=m`
      );

      // Assess
      expect(response.status).toBe(500);
      expect(handler).not.toHaveBeenCalled();
    });
  });

  describe("Lambda's 6 MB synchronous payload", () => {
    it('answers a request whose event would exceed it with 413, naming the limit, before any handler runs', async () => {
      // Prepare
      const handler = vi.fn(async () => ok({}));
      const base = await serve({
        [AUTHORIZER]: allowAll,
        [REGISTERED_MODELS]: handler,
      });

      // Act: 7 MB, under HTTP API's 10 MB.
      const response = await fetch(
        `${base}/api/2.0/mlflow/registered-models/create`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'm', description: 'x'.repeat(7e6) }),
        }
      );

      // Assess
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining(
          `at most ${SYNC_PAYLOAD_LIMIT_BYTES} are accepted`
        ),
      });
      expect(handler).not.toHaveBeenCalled();
    });

    it('fails a response over it with a 500, as Lambda refuses to return it', async () => {
      // Prepare
      vi.spyOn(console, 'error').mockImplementation(() => {});
      const base = await serve({
        [AUTHORIZER]: allowAll,
        [REGISTERED_MODELS]: async () =>
          ok({ description: 'x'.repeat(SYNC_PAYLOAD_LIMIT_BYTES) }),
      });

      // Act
      const response = await fetch(
        `${base}/api/2.0/mlflow/registered-models/get?name=m`
      );

      // Assess
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({
        error_code: 'INTERNAL_ERROR',
      });
    });

    it('passes an event just under it', async () => {
      // Prepare
      const base = await serve({
        [AUTHORIZER]: allowAll,
        [REGISTERED_MODELS]: async () => ok({ registered_model: {} }),
      });

      // Act
      const response = await fetch(
        `${base}/api/2.0/mlflow/registered-models/create`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'm', description: 'x'.repeat(5e6) }),
        }
      );

      // Assess
      expect(response.status).toBe(200);
    });
  });
});
