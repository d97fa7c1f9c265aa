import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  afterAll,
  afterEach,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from 'vitest';
import { z } from 'zod';
import type { Principal } from '#domain/principal.ts';
import { createToken } from '#domain/tokens.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler, defineOperation } from '#http/api-handler.ts';
import { authorizerContextFor } from '#http/auth-context.ts';
import { handlerEntry } from '#http/routes.ts';
import {
  type HandlerLoader,
  type LambdaHandler,
  LocalGateway,
} from '#local/gateway.ts';
import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import { registeredModelsRoot } from '#roots/api/registered-models.ts';
import { authorizerRoot } from '#roots/authorizer.ts';
import { ACCESS_MESSAGE } from '#shared/log-format.ts';
import { logger } from '#shared/powertools.ts';
import { createTestContext, createTestEvent } from '#test/support/events.ts';
import type { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';
import { MemoryIpAccessStore } from '#test/support/memory-ip-access-store.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';
import { alice, bob, identitiesWith } from './fixtures.ts';

/**
 * A request's log lines carry its own request id and nothing of another
 * request: on Lambda, where one instance serves invocations one after
 * another, and in the local runtime, where one process serves them at once.
 */

const MLFLOW = '/api/2.0/mlflow';
const NOW = 1_700_000_000_000;
type LogLine = Record<string, unknown>;

/** The JSON lines the functions print while `act` runs. */
async function logLines(act: () => Promise<unknown>): Promise<LogLine[]> {
  const printed: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await act();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return printed
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{"level"'))
    .map((line) => JSON.parse(line) as LogLine);
}

/**
 * A store whose backend is down: every call fails with a driver error. With
 * `arrivals`, each call first waits until that many calls are in flight,
 * so concurrent requests are all inside their handlers at once.
 */
function unreachableStore(arrivals = 1): ModelRegistryStore {
  let arrived = 0;
  let release: () => void = () => undefined;
  const allIn = new Promise<void>((resolve) => {
    release = resolve;
  });
  return new Proxy(new MemoryModelRegistryStore(), {
    get: () => async () => {
      arrived += 1;
      if (arrived >= arrivals) release();
      await allIn;
      throw new Error('connect ECONNREFUSED 10.0.0.7:8000');
    },
  });
}

function registeredModels(options: {
  store: ModelRegistryStore;
  identities: MemoryIdentityStore;
}) {
  return registeredModelsRoot.build({
    store: options.store,
    identities: options.identities,
    now: () => NOW,
    newId: () => 'f'.repeat(32),
  });
}

/** An API Gateway event and Lambda context with their own request ids. */
function invocation(
  requestId: string,
  awsRequestId: string,
  options: Parameters<typeof createTestEvent>[0]
) {
  const event = createTestEvent(options);
  return {
    event: { ...event, requestContext: { ...event.requestContext, requestId } },
    context: { ...createTestContext(), awsRequestId },
  };
}

beforeEach(() => {
  // The unit tier runs at WARN; the access entries are INFO.
  logger.setLogLevel('INFO');
});

afterEach(() => {
  logger.setLogLevel('WARN');
  vi.restoreAllMocks();
});

describe('request log lines', () => {
  describe('on Lambda, invocation after invocation', () => {
    it("carry each request's own ids and principal, and nothing of the request before", async () => {
      // Prepare: the first request fails after its operation and principal
      // are known; the second fails earlier, reading its principal, as a
      // request refused before its operation runs does.
      const identities = await identitiesWith(alice, bob);
      vi.spyOn(identities, 'getPrincipal').mockImplementation(async (id) => {
        if (id === bob.id) throw new Error('connect ECONNREFUSED 10.0.0.7');
        return alice;
      });
      const handler = registeredModels({
        store: unreachableStore(),
        identities,
      });
      const first = invocation('api-request-1', 'lambda-request-1', {
        method: 'GET',
        path: `${MLFLOW}/registered-models/get`,
        rawQueryString: 'name=m',
      });
      const second = invocation('api-request-2', 'lambda-request-2', {
        method: 'GET',
        path: `${MLFLOW}/registered-models/search`,
        authorizer: authorizerContextFor(bob),
      });

      // Act
      const lines = await logLines(async () => {
        await handler(first.event, first.context);
        await handler(second.event, second.context);
      });

      // Assess: an error and an access entry each
      const ofFirst = lines.filter(
        (line) => line.correlation_id === 'api-request-1'
      );
      const ofSecond = lines.filter(
        (line) => line.correlation_id === 'api-request-2'
      );
      expect(lines).toHaveLength(4);
      expect(ofFirst.map((line) => line.message)).toEqual([
        'Unhandled error',
        ACCESS_MESSAGE,
      ]);
      expect(ofSecond.map((line) => line.message)).toEqual([
        'Unhandled error',
        ACCESS_MESSAGE,
      ]);
      for (const line of ofFirst) {
        expect(line).toMatchObject({
          function_request_id: 'lambda-request-1',
          operation: 'getRegisteredModel',
          principalId: alice.id,
        });
      }
      for (const line of ofSecond) {
        expect(line.function_request_id).toBe('lambda-request-2');
        expect(line).not.toHaveProperty('operation');
        expect(JSON.stringify(line)).not.toMatch(
          /api-request-1|lambda-request-1|getRegisteredModel|alice/
        );
      }
      expect(ofSecond[0]).not.toHaveProperty('principalId');
      expect(ofSecond[1]).toMatchObject({
        principalId: bob.id,
        userName: bob.userName,
        status: 500,
        errorCode: 'INTERNAL_ERROR',
      });
    });

    it("drop the keys another function's invocation appended", async () => {
      // Prepare: locally every function shares one logger; the workflow
      // appends the transition request's id and step.
      logger.appendKeys({ requestId: 'transition-request-7', step: 'notify' });
      const handler = registeredModels({
        store: unreachableStore(),
        identities: await identitiesWith(alice, bob),
      });
      const call = invocation('api-request-3', 'lambda-request-3', {
        method: 'GET',
        path: `${MLFLOW}/registered-models/get`,
        rawQueryString: 'name=m',
      });

      // Act
      const lines = await logLines(() => handler(call.event, call.context));

      // Assess
      expect(lines).toHaveLength(2);
      for (const line of lines) {
        expect(line).toMatchObject({ correlation_id: 'api-request-3' });
        expect(line).not.toHaveProperty('requestId');
        expect(line).not.toHaveProperty('step');
      }
    });
  });

  describe('in the local runtime, requests at once in one process', () => {
    let gateway: LocalGateway | undefined;

    afterAll(async () => {
      await gateway?.close();
    });

    it("carry each request's own ids and principal, however they interleave", async () => {
      // Prepare: the real authorizer and registered-models handlers, built
      // from their roots; both requests wait inside their handler until
      // the other has arrived, then fail.
      const identities = await identitiesWith(alice, bob);
      const tokens = { now: () => NOW, identities };
      const aliceToken = (await createToken(tokens, alice, {})).tokenValue;
      const bobToken = (await createToken(tokens, bob, {})).tokenValue;
      const handlers: Record<string, unknown> = {
        'functions/handlers/authorizer.ts': authorizerRoot.build({
          ...tokens,
          cacheTtlMs: 0,
          ipAccess: new MemoryIpAccessStore(),
          signingKeys: { find: async () => undefined },
        }),
        [handlerEntry('registered-models')]: registeredModels({
          store: unreachableStore(2),
          identities,
        }),
      };
      const load: HandlerLoader = async (entry) => {
        const handler = handlers[entry];
        if (!handler) throw new Error(`no handler for ${entry}`);
        return handler as LambdaHandler;
      };
      gateway = new LocalGateway({ load });
      const base = `http://127.0.0.1:${await gateway.listen(0)}`;
      const get = (name: string, token: string) =>
        fetch(`${base}${MLFLOW}/registered-models/get?name=${name}`, {
          headers: { authorization: `Bearer ${token}` },
        });

      // Act
      const lines = await logLines(async () => {
        const answers = await Promise.all([
          get('alices-model', aliceToken),
          get('bobs-model', bobToken),
        ]);
        expect(answers.map((answer) => answer.status)).toEqual([500, 500]);
      });

      // Assess: each request's lines (its authorizer's and its handler's)
      // share one request id and name only its own caller.
      const access = lines.filter((line) => line.message === ACCESS_MESSAGE);
      expect(access).toHaveLength(2);
      for (const caller of [alice, bob] satisfies Principal[]) {
        const entry = access.find((line) => line.userName === caller.userName);
        const requestId = entry?.correlation_id;
        expect(requestId).toEqual(expect.any(String));
        const own = lines.filter((line) => line.correlation_id === requestId);
        expect(own.map((line) => line.message)).toEqual([
          'Unhandled error',
          ACCESS_MESSAGE,
        ]);
        const functionRequestIds = new Set(
          own.map((line) => line.function_request_id)
        );
        expect(functionRequestIds.size).toBe(1);
        for (const line of own) {
          expect(line).toMatchObject({
            operation: 'getRegisteredModel',
            principalId: caller.id,
          });
        }
      }
      expect(new Set(access.map((line) => line.correlation_id)).size).toBe(2);
    });
  });
});

describe('access entry', () => {
  it('names route, status, caller and latency, never a token, query or body', async () => {
    // Prepare
    const identities = await identitiesWith(alice);
    const handler = registeredModels({
      store: new MemoryModelRegistryStore(),
      identities,
    });
    const body = JSON.stringify({ name: 'secret-sauce-model' });
    const call = invocation('api-request-4', 'lambda-request-4', {
      method: 'POST',
      path: `${MLFLOW}/registered-models/create`,
      rawQueryString: 'token=dapi0123',
      headers: { authorization: 'Bearer dapi-not-for-logs' },
      body,
    });

    // Act
    const lines = await logLines(() => handler(call.event, call.context));

    // Assess
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: ACCESS_MESSAGE,
        correlation_id: 'api-request-4',
        route: `POST ${MLFLOW}/registered-models/create`,
        method: 'POST',
        path: `${MLFLOW}/registered-models/create`,
        status: 200,
        latencyMs: expect.any(Number),
        principalId: alice.id,
        userName: alice.userName,
      }),
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/dapi|secret-sauce|token=/);
  });

  it('counts the request, and an error answer by its code', async () => {
    // Prepare
    const added = vi.spyOn(Metrics.prototype, 'addMetric');
    const dimensions = vi.spyOn(Metrics.prototype, 'addDimension');
    const handler = registeredModels({
      store: new MemoryModelRegistryStore(),
      identities: await identitiesWith(alice),
    });
    const call = invocation('api-request-5', 'lambda-request-5', {
      method: 'GET',
      path: `${MLFLOW}/registered-models/get`,
      rawQueryString: 'name=missing',
    });

    // Act
    let status: number | undefined;
    await logLines(async () => {
      status = (await handler(call.event, call.context)).statusCode;
    });

    // Assess
    expect(status).toBe(404);
    expect(added.mock.calls.map(([name]) => name).sort()).toEqual([
      'Errors',
      'Requests',
    ]);
    expect(dimensions).toHaveBeenCalledWith(
      'ErrorCode',
      'RESOURCE_DOES_NOT_EXIST'
    );
  });

  it("records an operation's metric when it succeeds, and only then", async () => {
    // Prepare
    const added = vi.spyOn(Metrics.prototype, 'addMetric');
    const identities = await identitiesWith(alice);
    const outcomes = [true, false];
    const handler = createApiHandler({
      group: 'tokens',
      deps: {},
      guard: createRouteGuard({ identities }),
      operations: ['createToken', 'listTokens', 'deleteToken'].map(
        (operation) =>
          defineOperation({
            operation,
            summary: operation,
            metric: { name: 'TokenWork', dimensions: { Kind: operation } },
            input: z.object({}),
            output: z.object({}),
            run: async () => {
              if (!outcomes.shift()) throw new Error('broken');
              return {};
            },
          })
      ),
    });
    const list = () =>
      handler(
        createTestEvent({ method: 'GET', path: '/api/2.0/token/list' }),
        createTestContext()
      );

    // Act
    const statuses: (number | undefined)[] = [];
    await logLines(async () => {
      statuses.push((await list()).statusCode, (await list()).statusCode);
    });

    // Assess
    expect(statuses).toEqual([200, 500]);
    expect(
      added.mock.calls.filter(([name]) => name === 'TokenWork')
    ).toHaveLength(1);
  });
});
