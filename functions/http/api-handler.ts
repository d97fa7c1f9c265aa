import { isDeepStrictEqual } from 'node:util';
import middy, {
  type MiddlewareObj,
  type MiddyfiedHandler,
  type Request,
} from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { z } from 'zod';
import { EndpointNotFoundError } from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import {
  type MetricRecord,
  observedInvocation,
  recordMetric,
} from '#shared/invocation.ts';
import { ACCESS_MESSAGE, type AccessFields } from '#shared/log-format.ts';
import { logger } from '#shared/powertools.ts';
import type { AccessContext, RouteGuard } from './access-guard.ts';
import { assertSourceAllowed, principalFromEvent } from './auth-context.ts';
import { isKnownError, toErrorResponse } from './error-mapping.ts';
import { responseJson } from './json-text.ts';
import { bodyBytes, rawInput } from './request.ts';
import {
  type FunctionGroup,
  type RouteDefinition,
  routeKey,
  routes,
} from './routes.ts';
import { parseInput } from './validation.ts';

export type ApiResult = APIGatewayProxyStructuredResultV2;

/** The Lambda handler of an API function. */
export type ApiHandler = MiddyfiedHandler<
  APIGatewayProxyEventV2,
  ApiResult,
  Error,
  Context
>;

export interface OperationContext<D> {
  readonly principal: Principal;
  readonly deps: D;
  readonly route: RouteDefinition;
  /** What the route's access check established (see route-checks.ts). */
  readonly access: AccessContext;
  /** The body's bytes, for a route whose body is no JSON (`body`). */
  readonly body: () => Buffer;
  /** What the operation may need of the request beyond its input. */
  readonly request: {
    /** The caller's address, as API Gateway (or the local socket) saw it. */
    readonly sourceIp: string;
    /** A header (lower-case name). */
    header(name: string): string | undefined;
  };
}

/**
 * The principal of a `client` route's operation: nobody yet (the operation
 * authenticates the client itself).
 */
const CLIENT: Principal = {
  id: '',
  userName: '',
  kind: 'service_principal',
  isAdmin: false,
  groups: [],
};

/**
 * One API operation: its input and output schemas (the OpenAPI document is
 * generated from them, see functions/http/openapi.ts) and its use-case call.
 */
export interface Operation<D> {
  readonly operation: string;
  /** One line for the API reference, e.g. `Create a registered model`. */
  readonly summary: string;
  /** Validates and types the request's fields (query, body, path). */
  readonly input: z.ZodType;
  /**
   * The 200 answer's JSON body; `redirect` for a 302 to a presigned URL;
   * `html` for a page meant for a browser (the e-mail link page).
   */
  readonly output: z.ZodType | 'redirect' | 'html';
  /** Recorded each time the operation succeeds (a business metric). */
  readonly metric?: MetricRecord;
  execute(
    raw: Record<string, unknown>,
    context: OperationContext<D>
  ): Promise<unknown>;
}

/** What the API reference reads of an operation. */
export type OperationSpec = Pick<
  Operation<never>,
  'operation' | 'summary' | 'input' | 'output'
>;

/**
 * Declares an operation: `input` validates and types the request (query or
 * body, see `rawInput`), `run` calls the domain and returns the response
 * body, which is sent as 200 JSON and must have the type of `output` (so
 * the published schema and the code cannot drift apart). An operation that
 * answers with a redirect says `output: 'redirect'`.
 */
export function defineOperation<I, O, D>(spec: {
  operation: string;
  summary: string;
  input: z.ZodType<I>;
  output: z.ZodType<O>;
  /**
   * The body for `output`, or a response the operation shapes itself
   * (OAuth's token endpoint: `no-store`, OAuth's error shape).
   */
  run: (
    input: I,
    context: OperationContext<D>
  ) => Promise<NoInfer<O> | RawResponse>;
  metric?: MetricRecord;
}): Operation<D>;
export function defineOperation<I, D>(spec: {
  operation: string;
  summary: string;
  input: z.ZodType<I>;
  output: 'redirect';
  run: (input: I, context: OperationContext<D>) => Promise<RawResponse>;
  metric?: MetricRecord;
}): Operation<D>;
export function defineOperation<I, D>(spec: {
  operation: string;
  summary: string;
  input: z.ZodType<I>;
  output: z.ZodType | 'redirect';
  run: (input: I, context: OperationContext<D>) => Promise<unknown>;
  metric?: MetricRecord;
}): Operation<D> {
  return {
    operation: spec.operation,
    summary: spec.summary,
    input: spec.input,
    output: spec.output,
    ...(spec.metric ? { metric: spec.metric } : {}),
    execute: (raw, context) => spec.run(parseInput(spec.input, raw), context),
  };
}

/**
 * A response an operation shapes itself (a redirect), sent as it is
 * instead of as a JSON body.
 */
export class RawResponse {
  readonly result: ApiResult;

  constructor(result: ApiResult) {
    this.result = result;
  }
}

/** 302 to `location`; never cached (presigned URLs expire). */
export function redirectResponse(location: string): RawResponse {
  return new RawResponse({
    statusCode: 302,
    headers: { location, 'cache-control': 'no-store' },
  });
}

export function jsonResponse(body: unknown, statusCode = 200): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: responseJson(body),
  };
}

/**
 * The single error boundary: typed errors become `{error_code, message}`
 * with their mapped status; anything else is logged with its stack and
 * answered with a generic 500 that reveals nothing.
 */
export function mlflowErrors(): MiddlewareObj<
  APIGatewayProxyEventV2,
  ApiResult
> {
  return {
    onError: (request) => {
      if (!isKnownError(request.error)) {
        logger.error('Unhandled error', request.error as Error);
      }
      request.response = toErrorResponse(request.error);
    },
  };
}

/**
 * Attached once to every API function, outermost: tracing, the
 * invocation's log context keyed by API Gateway's request id as
 * Powertools' `correlation_id` (so even a request refused before its
 * operation is known logs nothing of the one before), the access entry and
 * the request metrics, flushed when the invocation ends. `mlflowErrors`
 * comes after it, so the access entry sees the answer errors were mapped to.
 */
export function apiObservability(): MiddlewareObj<
  APIGatewayProxyEventV2,
  ApiResult,
  Error,
  Context
>[] {
  return [
    ...observedInvocation<APIGatewayProxyEventV2, ApiResult>((event) => ({
      correlation_id: event.requestContext?.requestId,
    })),
    accessEntry(),
  ];
}

const STARTED_AT = 'stagegate.startedAt';

/**
 * One structured entry per request (`ACCESS_MESSAGE`, at INFO): route,
 * method, path, status, latency, the caller's id and user name, and the
 * error code of an error answer. Never a header, a query string or a body,
 * so never a token. Also counts `Requests`, and `Errors` by `ErrorCode`.
 */
function accessEntry(): MiddlewareObj<
  APIGatewayProxyEventV2,
  ApiResult,
  Error,
  Context
> {
  const write = (
    request: Request<APIGatewayProxyEventV2, ApiResult, Error, Context>
  ) => {
    const { event } = request;
    const startedAt = (request.internal as Record<string, unknown>)[STARTED_AT];
    const status = request.response?.statusCode ?? 500;
    const errorCode = request.error
      ? isKnownError(request.error)
        ? request.error.code
        : 'INTERNAL_ERROR'
      : undefined;
    const fields: AccessFields = {
      route: event.routeKey,
      method: event.requestContext?.http?.method ?? '',
      path: event.rawPath,
      status,
      latencyMs:
        typeof startedAt === 'number'
          ? Math.round(performance.now() - startedAt)
          : 0,
      ...callerOf(event),
      ...(errorCode ? { errorCode } : {}),
    };
    logger.info(ACCESS_MESSAGE, { ...fields });
    recordMetric({ name: 'Requests' });
    if (errorCode) {
      recordMetric({ name: 'Errors', dimensions: { ErrorCode: errorCode } });
    }
  };
  return {
    before: (request) => {
      (request.internal as Record<string, unknown>)[STARTED_AT] =
        performance.now();
    },
    after: write,
    onError: write,
  };
}

/** The caller the authorizer resolved, if any, without failing. */
function callerOf(
  event: APIGatewayProxyEventV2
): Pick<AccessFields, 'principalId' | 'userName'> {
  try {
    const principal = principalFromEvent(event);
    return { principalId: principal.id, userName: principal.userName };
  } catch {
    return {};
  }
}

/**
 * With STAGEGATE_CHECK_RESPONSES=true (the integration tier sets it), each
 * answer is held to its operation's output schema, field for field, and
 * one that does not fit fails as a 500: the published API reference cannot
 * drift from what the registry sends.
 */
const checkResponses = process.env.STAGEGATE_CHECK_RESPONSES === 'true';

function checkResponse(operation: OperationSpec, body: unknown): void {
  if (operation.output === 'redirect' || operation.output === 'html') {
    throw new Error(
      `${operation.operation} answered a JSON body, not a ${operation.output}`
    );
  }
  const sent = JSON.parse(responseJson(body)) as unknown;
  const result = operation.output.safeParse(sent);
  if (!result.success) {
    throw new Error(
      `${operation.operation} answered a body its output schema refuses: ${result.error.message}`
    );
  }
  // Parsing drops fields the schema does not know; the published objects
  // are closed, so an answer must not carry any.
  if (!isDeepStrictEqual(sent, JSON.parse(JSON.stringify(result.data)))) {
    throw new Error(
      `${operation.operation} answered fields its output schema does not name`
    );
  }
}

/**
 * Builds the Lambda handler of one function group: dispatches on API
 * Gateway's `routeKey` to the group's operations, after the route's access
 * check (parse → authorize → domain → respond). Fails at cold start when
 * the route table and the operations disagree, so a route can never be
 * deployed without its implementation.
 */
export function createApiHandler<D>(options: {
  group: FunctionGroup;
  deps: D;
  operations: readonly Operation<D>[];
  /** Runs each route's declared access check before its operation. */
  guard: RouteGuard;
}): ApiHandler {
  const byOperation = new Map(options.operations.map((o) => [o.operation, o]));
  const routed = new Set<string>();
  const dispatch = new Map<
    string,
    { route: RouteDefinition; operation: Operation<D> }
  >();
  for (const route of routes.filter((r) => r.group === options.group)) {
    const operation = byOperation.get(route.operation);
    if (!operation) {
      throw new Error(`No operation ${route.operation} for ${routeKey(route)}`);
    }
    dispatch.set(routeKey(route), { route, operation });
    routed.add(route.operation);
  }
  const unrouted = [...byOperation.keys()].filter((name) => !routed.has(name));
  if (unrouted.length > 0) {
    throw new Error(`Operations without a route: ${unrouted.join(', ')}`);
  }

  return middy<APIGatewayProxyEventV2, ApiResult, Error, Context>()
    .use(apiObservability())
    .use(mlflowErrors())
    .handler(async (event) => {
      const target = dispatch.get(event.routeKey);
      if (!target) {
        throw new EndpointNotFoundError(
          `No API endpoint for ${event.requestContext.http.method} ${event.rawPath}`
        );
      }
      const input = rawInput(event, {
        rawBody: target.route.body !== undefined,
      });
      let principal = CLIENT;
      let access: AccessContext;
      if (target.route.action === 'client') {
        // OAuth's own client routes: no registry principal yet, but the IP
        // access lists hold for them too.
        assertSourceAllowed(event);
        logger.appendKeys({ operation: target.operation.operation });
        access = await options.guard.check(target.route, principal, input);
      } else {
        ({ principal, access } = await options.guard.admit(
          target.route,
          principalFromEvent(event),
          input,
          (caller) =>
            logger.appendKeys({
              operation: target.operation.operation,
              principalId: caller.id,
            })
        ));
      }
      const body = await target.operation.execute(input, {
        principal,
        deps: options.deps,
        route: target.route,
        access,
        body: () => bodyBytes(event),
        request: {
          sourceIp: event.requestContext.http.sourceIp,
          header: (name) => event.headers?.[name],
        },
      });
      if (target.operation.metric) recordMetric(target.operation.metric);
      if (body instanceof RawResponse) return body.result;
      if (checkResponses) checkResponse(target.operation, body);
      return jsonResponse(body);
    });
}
