import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  maxHeaderSize,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEventV2,
  APIGatewayRequestAuthorizerEventV2,
  Context,
} from 'aws-lambda';
import { policyAllows } from '#http/authorizer-policy.ts';
import { LOCAL_BODY } from '#http/request.ts';
import {
  type FunctionGroup,
  handlerEntry,
  type RouteDefinition,
  routeKey,
  routes,
} from '#http/routes.ts';
import {
  functionTimeoutSeconds,
  type RegistryFunctionName,
  SYNC_PAYLOAD_LIMIT_BYTES,
} from '#shared/function-limits.ts';
import { WEB_SECURITY_HEADERS, type WebAssets } from '../web/assets.ts';
import type { DynamoDBRoundTrips } from './dynamodb/round-trips.ts';
import { invokeWithTimeout } from './lambda/invocation.ts';
import { repositoryRoot } from './paths.ts';

/** HTTP API's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/**
 * Routes whose body is a file (`body: 'raw'`, the DBFS API) have no such
 * limit here (MLflow's temporary copies hold whole model files); S3's
 * limit on one PUT is theirs.
 */
const MAX_RAW_BODY_BYTES = 5 * 1024 * 1024 * 1024;
/** HTTP API's integration timeout: no function may run longer behind it. */
const INTEGRATION_TIMEOUT_MS = 30_000;
const AUTHORIZER_ENTRY = 'functions/handlers/authorizer.ts';
const NOT_FOUND_ENTRY = 'functions/handlers/api/not-found.ts';
const API_ID = 'local';
const ROUTE_ARN_PREFIX = `arn:aws:execute-api:us-east-1:000000000000:${API_ID}/$default`;

export type LambdaHandler = (
  event: unknown,
  context: Context
) => Promise<unknown>;

/** Entry file (relative to the repository root) → its handler. */
export type HandlerLoader = (entry: string) => Promise<LambdaHandler>;

/** Imports the entry module, as a Lambda cold start would. */
const importHandler: HandlerLoader = async (entry) => {
  const module = (await import(
    pathToFileURL(`${repositoryRoot}/${entry}`).href
  )) as { handler: LambdaHandler };
  return module.handler;
};

interface MatchedRoute {
  readonly route: RouteDefinition | undefined;
  readonly routeKey: string;
  readonly pathParameters: Record<string, string> | undefined;
}

/** Body bytes the gateway carried for one route key. */
export interface RouteTraffic {
  requests: number;
  requestBytes: number;
  responseBytes: number;
  maxRequestBytes: number;
  maxResponseBytes: number;
}

/**
 * Debug endpoints, served only when the gateway is started with `debug`
 * (`STAGEGATE_DEBUG_ENDPOINTS=true`), without a token, on 127.0.0.1 like
 * everything else; not routes of the API (they do not exist on AWS).
 * `GET` the traffic path for the per-route body byte counters (which show,
 * for example, that artifact bytes never pass through the handlers);
 * `POST` a job path to run that scheduled job now and get its report.
 * `GET` the round-trips path for the DynamoDB operations each recent API
 * call sent (authorizer and handler apart), `DELETE` it to start afresh.
 */
export const TRAFFIC_PATH = '/__stagegate/gateway-traffic';
export const JOBS_PATH = '/__stagegate/jobs/';
export const ROUND_TRIPS_PATH = '/__stagegate/dynamodb-round-trips';

/**
 * Serves the route table the way API Gateway's HTTP API would: each request
 * becomes a payload 2.0 event, the real Lambda REQUEST authorizer runs on
 * every route but the public ones and its IAM policy is enforced, then the
 * real handler of the route's function group runs. Unmatched requests go to
 * the `$default` route (the not-found function), also authorized.
 */
export class LocalGateway {
  readonly #handlers = new Map<string, Promise<LambdaHandler>>();
  readonly #timeouts: Readonly<Record<RegistryFunctionName, number>>;
  readonly #traffic = new Map<string, RouteTraffic>();
  readonly #debug: boolean;
  readonly #afterChange: (() => void) | undefined;
  readonly #jobs: Readonly<Record<string, () => Promise<unknown>>>;
  readonly #load: HandlerLoader;
  readonly #roundTrips: DynamoDBRoundTrips | undefined;
  readonly #web: WebAssets | undefined;
  #server: Server | undefined;

  constructor(
    options: {
      /** Serve the debug endpoints. @default false */
      debug?: boolean;
      /** Scheduled jobs the debug endpoint may run, by name. */
      jobs?: Readonly<Record<string, () => Promise<unknown>>>;
      /**
       * Where handlers come from; tests build them from the composition
       * roots with in-memory fakes. @default importing the entry module
       */
      load?: HandlerLoader;
      /** Counts each call's DynamoDB round trips (debug endpoints only). */
      roundTrips?: DynamoDBRoundTrips;
      /**
       * Each function's timeout in seconds, as deployed. Tests shorten
       * one to see a slow operation end as on Lambda.
       * @default functionTimeoutSeconds
       */
      timeouts?: Readonly<Record<RegistryFunctionName, number>>;
      /**
       * Called after a handler answered a call that may have changed
       * something (not a GET): the local event dispatcher looks at the
       * outbox at once, as DynamoDB Streams would wake it on AWS.
       */
      afterChange?: () => void;
      /**
       * The web page, served at `/` and `/assets/…` as CloudFront serves
       * it from S3 on AWS (same origin as the API). @default none
       */
      web?: WebAssets;
    } = {}
  ) {
    this.#web = options.web;
    this.#timeouts = options.timeouts ?? functionTimeoutSeconds;
    this.#afterChange = options.afterChange;
    this.#debug = options.debug ?? false;
    this.#jobs = options.jobs ?? {};
    this.#load = options.load ?? importHandler;
    this.#roundTrips = options.roundTrips;
  }

  /** Request and response body bytes per route key, since the start. */
  traffic(): Record<string, RouteTraffic> {
    return Object.fromEntries(
      [...this.#traffic].map(([key, counts]) => [key, { ...counts }])
    );
  }

  #count(routeKey: string, requestBytes: number, responseBytes: number) {
    const counts = this.#traffic.get(routeKey) ?? {
      requests: 0,
      requestBytes: 0,
      responseBytes: 0,
      maxRequestBytes: 0,
      maxResponseBytes: 0,
    };
    counts.requests += 1;
    counts.requestBytes += requestBytes;
    counts.responseBytes += responseBytes;
    counts.maxRequestBytes = Math.max(counts.maxRequestBytes, requestBytes);
    counts.maxResponseBytes = Math.max(counts.maxResponseBytes, responseBytes);
    this.#traffic.set(routeKey, counts);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = createServer((request, response) => {
      this.#serve(request, response).catch((error: unknown) => {
        console.error('local gateway error', error);
        sendError(response, 500, 'INTERNAL_ERROR', 'Internal error.');
      });
    });
    server.on('clientError', answerClientError);
    server.keepAliveTimeout = 5000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Loads a handler once, as a Lambda cold start would. */
  #handler(entry: string): Promise<LambdaHandler> {
    let loaded = this.#handlers.get(entry);
    if (!loaded) {
      loaded = this.#load(entry);
      this.#handlers.set(entry, loaded);
    }
    return loaded;
  }

  async #serveDebug(method: string, path: string, response: ServerResponse) {
    if (method === 'GET' && path === TRAFFIC_PATH) {
      send(response, 200, { routes: this.traffic() });
      return;
    }
    if (path === ROUND_TRIPS_PATH && this.#roundTrips) {
      if (method === 'GET') {
        send(response, 200, { calls: this.#roundTrips.recent() });
        return;
      }
      if (method === 'DELETE') {
        this.#roundTrips.reset();
        send(response, 200, {});
        return;
      }
    }
    const job = path.startsWith(JOBS_PATH)
      ? this.#jobs[path.slice(JOBS_PATH.length)]
      : undefined;
    if (method === 'POST' && job) {
      send(response, 200, { report: await job() });
      return;
    }
    sendError(
      response,
      404,
      'ENDPOINT_NOT_FOUND',
      `No debug endpoint for ${method} ${path}`
    );
  }

  /** A file of the web page, when the path names one (no token needed). */
  #serveWeb(method: string, path: string, response: ServerResponse): boolean {
    if (method !== 'GET' && method !== 'HEAD') return false;
    const asset = this.#web?.get(path === '/' ? '/index.html' : path);
    if (!asset) return false;
    for (const [name, value] of Object.entries(WEB_SECURITY_HEADERS)) {
      response.setHeader(name, value);
    }
    response.setHeader('content-type', asset.contentType);
    response.setHeader('cache-control', asset.cacheControl);
    response.statusCode = 200;
    endWith(response, asset.body);
    return true;
  }

  async #serve(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = (request.method ?? 'GET').toUpperCase();
    if (this.#debug && url.pathname.startsWith('/__stagegate/')) {
      await this.#serveDebug(method, url.pathname, response);
      return;
    }
    const matched = matchRoute(method, url.pathname);
    if (!matched.route && this.#serveWeb(method, url.pathname, response)) {
      return;
    }
    if (this.#roundTrips) {
      await this.#roundTrips.track(matched.routeKey, () =>
        this.#serveApi(request, response, url, method, matched)
      );
    } else {
      await this.#serveApi(request, response, url, method, matched);
    }
  }

  async #serveApi(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    method: string,
    matched: MatchedRoute
  ) {
    const limit =
      matched.route?.body === 'raw' ? MAX_RAW_BODY_BYTES : MAX_BODY_BYTES;
    const { body, size } = await readBody(request, limit);
    response.once('finish', () =>
      this.#count(matched.routeKey, size, bytesWritten(response))
    );
    if (body === undefined) {
      sendError(
        response,
        413,
        'INVALID_PARAMETER_VALUE',
        `The request body has ${size} bytes; at most ${limit} are accepted.`
      );
      return;
    }
    const event = toEvent(request, url, method, body, matched);
    // As API Gateway answers it; it names the call in the debug counters.
    response.setHeader('apigw-requestid', event.requestContext.requestId);
    this.#roundTrips?.identify(event.requestContext.requestId);
    const routeArn = `${ROUTE_ARN_PREFIX}/${method}${url.pathname}`;

    if (matched.route?.action !== 'public') {
      const authorizer = await this.#handler(AUTHORIZER_ENTRY);
      let result: APIGatewayAuthorizerResult;
      try {
        const authorizerEvent = toAuthorizerEvent(event, routeArn);
        const authorize = () =>
          invoke(authorizer, authorizerEvent, this.#timeoutMs('authorizer'));
        result = (await (this.#roundTrips
          ? this.#roundTrips.phase('authorizer', authorize)
          : authorize())) as APIGatewayAuthorizerResult;
      } catch (error) {
        // As API Gateway: an authorizer that throws "Unauthorized" is a 401,
        // anything else a 500; neither reaches the handler.
        if ((error as Error).message === 'Unauthorized') {
          sendError(response, 401, 'UNAUTHENTICATED', 'Unauthorized.');
        } else {
          sendError(response, 500, 'INTERNAL_ERROR', 'Internal error.');
        }
        return;
      }
      if (!policyAllows(result.policyDocument, routeArn)) {
        // API Gateway's own body, kept: a deny in the authorizer's policy
        // never reaches a handler on AWS either.
        send(response, 403, { message: 'Forbidden' });
        return;
      }
      event.requestContext.authorizer = {
        lambda: result.context ?? {},
        principalId: result.principalId,
      };
    }

    const functionName: RegistryFunctionName = matched.route
      ? (matched.route.group as FunctionGroup)
      : 'notFound';
    const entry = matched.route
      ? handlerEntry(matched.route.group as FunctionGroup)
      : NOT_FOUND_ENTRY;
    // Lambda refuses a synchronous invocation whose event is over 6 MB,
    // which API Gateway answers with 413.
    const eventBytes = Buffer.byteLength(JSON.stringify(event));
    if (eventBytes > SYNC_PAYLOAD_LIMIT_BYTES) {
      sendError(
        response,
        413,
        'INVALID_PARAMETER_VALUE',
        `The request is ${eventBytes} bytes as a Lambda event; at most ${SYNC_PAYLOAD_LIMIT_BYTES} are accepted.`
      );
      return;
    }
    let result: unknown;
    try {
      result = await invoke(
        await this.#handler(entry),
        event,
        this.#timeoutMs(functionName)
      );
    } catch (error) {
      console.error(`handler ${entry} failed`, error);
      sendError(response, 500, 'INTERNAL_ERROR', 'Internal error.');
      return;
    }
    // A response over 6 MB fails the invocation on Lambda: a 500 to the
    // client, whatever the handler meant to answer.
    const resultBytes = Buffer.byteLength(JSON.stringify(result ?? null));
    if (resultBytes > SYNC_PAYLOAD_LIMIT_BYTES) {
      console.error(
        `handler ${entry} answered ${resultBytes} bytes; Lambda refuses more than ${SYNC_PAYLOAD_LIMIT_BYTES}`
      );
      sendError(response, 500, 'INTERNAL_ERROR', 'Internal error.');
      return;
    }
    if (method !== 'GET') this.#afterChange?.();
    writeResult(response, result);
  }

  /** A function's timeout, never beyond the integration's. */
  #timeoutMs(name: RegistryFunctionName): number {
    return Math.min(this.#timeouts[name] * 1000, INTEGRATION_TIMEOUT_MS);
  }
}

type LocalEvent = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: unknown;
  };
};

/** A greedy `{name+}` segment, last in a template (API Gateway's proxy). */
const GREEDY = /^\{(\w+)\+\}$/;

/**
 * Routes in matching order: exact and `{param}` templates first, then
 * greedy ones, so a greedy route never shadows a more specific one.
 */
const matchingOrder = [
  ...routes.filter((route) => !route.path.includes('+}')),
  ...routes.filter((route) => route.path.includes('+}')),
];

function matchRoute(method: string, path: string): MatchedRoute {
  for (const route of matchingOrder) {
    if (route.method !== method) continue;
    const pathParameters = matchPath(route.path, path);
    if (pathParameters) {
      return {
        route,
        routeKey: routeKey(route),
        pathParameters:
          Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
      };
    }
  }
  return { route: undefined, routeKey: '$default', pathParameters: undefined };
}

/**
 * Matches a path against a route template as HTTP API does: `{name}` takes
 * one non-empty segment; a final `{name+}` takes the rest of the path (one
 * or more segments, given as one parameter, segments decoded one by one).
 */
export function matchPath(
  template: string,
  path: string
): Record<string, string> | undefined {
  const templateParts = template.split('/');
  const pathParts = path.split('/');
  const greedy = GREEDY.exec(templateParts.at(-1) ?? '')?.[1];
  if (greedy) {
    if (pathParts.length < templateParts.length) return undefined;
  } else if (templateParts.length !== pathParts.length) {
    return undefined;
  }
  const parameters: Record<string, string> = {};
  for (const [index, part] of templateParts.entries()) {
    const actual = pathParts[index] ?? '';
    if (greedy && index === templateParts.length - 1) {
      const rest = pathParts.slice(index);
      if (rest.join('/') === '') return undefined;
      parameters[greedy] = rest.map(decodeSegment).join('/');
      break;
    }
    const parameter = /^\{(\w+)\}$/.exec(part)?.[1];
    if (parameter) {
      if (actual === '') return undefined;
      parameters[parameter] = decodeSegment(actual);
    } else if (part !== actual) {
      return undefined;
    }
  }
  return parameters;
}

/** A malformed escape stays as it was rather than failing the request. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Body bytes of a finished response (headers not counted). */
function bytesWritten(response: ServerResponse): number {
  return (response as ServerResponse & { bodyBytes?: number }).bodyBytes ?? 0;
}

function toEvent(
  request: IncomingMessage,
  url: URL,
  method: string,
  body: Buffer,
  matched: MatchedRoute
): LocalEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value)
      ? value.join(',')
      : value;
  }
  const cookies = headers.cookie?.split(';').map((cookie) => cookie.trim());
  delete headers.cookie;
  // As API Gateway adds them (the caller's own are replaced).
  const sourceIp = request.socket.remoteAddress ?? '127.0.0.1';
  headers['x-forwarded-for'] = sourceIp;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = String(request.socket.localPort ?? '');
  const rawQueryString = url.search.startsWith('?') ? url.search.slice(1) : '';
  // API Gateway's own (lossy) view: repeated keys comma-joined.
  const queryStringParameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[key] =
      key in queryStringParameters
        ? `${queryStringParameters[key]},${value}`
        : value;
  }
  // A file's bytes are binary whatever the content type says (the MLflow
  // client sends none); API Gateway hands binary bodies over base64-encoded.
  const raw = matched.route?.body === 'raw';
  const textual = !raw && isTextual(headers['content-type']);
  const now = new Date();
  const event: LocalEvent = {
    version: '2.0',
    routeKey: matched.routeKey,
    rawPath: url.pathname,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters } : {}),
    ...(matched.pathParameters
      ? { pathParameters: matched.pathParameters }
      : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: API_ID,
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: '127',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: matched.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 && !(raw && body.length > MAX_BODY_BYTES)
      ? {
          body: textual ? body.toString('utf8') : body.toString('base64'),
          isBase64Encoded: !textual,
        }
      : { isBase64Encoded: false }),
  };
  if (raw && body.length > MAX_BODY_BYTES) {
    // Beyond what API Gateway carries: the bytes themselves (`bodyBytes`).
    Object.defineProperty(event, LOCAL_BODY, { value: body });
  }
  return event;
}

function toAuthorizerEvent(
  event: LocalEvent,
  routeArn: string
): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn,
    identitySource: [],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    ...(event.cookies ? { cookies: event.cookies } : {}),
    headers: event.headers as Record<string, string>,
    ...(event.queryStringParameters
      ? {
          queryStringParameters: event.queryStringParameters as Record<
            string,
            string
          >,
        }
      : {}),
    requestContext: event.requestContext,
    ...(event.pathParameters
      ? { pathParameters: event.pathParameters as Record<string, string> }
      : {}),
  } as APIGatewayRequestAuthorizerEventV2;
}

function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/(json|.*\+json|xml|x-www-form-urlencoded|javascript))/i.test(
    contentType
  );
}

/** The body (undefined past HTTP API's limit) and how many bytes came. */
function readBody(
  request: IncomingMessage,
  limit: number
): Promise<{ body: Buffer | undefined; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () =>
      resolve({ body: tooLarge ? undefined : Buffer.concat(chunks), size })
    );
    request.on('error', reject);
  });
}

/**
 * Runs a handler as Lambda would, in its own invocation scope, ended at
 * its function's timeout (`FunctionTimeoutError`).
 */
function invoke(
  handler: LambdaHandler,
  event: unknown,
  timeoutMs: number
): Promise<unknown> {
  const context = lambdaContext(Date.now() + timeoutMs);
  return invokeWithTimeout(handler, event, context, timeoutMs);
}

function lambdaContext(deadline: number): Context {
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'stagegate-local',
    functionVersion: '$LATEST',
    invokedFunctionArn:
      'arn:aws:lambda:us-east-1:000000000000:function:stagegate-local',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/stagegate-local',
    logStreamName: requestId,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Payload 2.0 response rules: a structured result, or any value as JSON. */
function writeResult(response: ServerResponse, result: unknown) {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const structured = result as {
      statusCode: number;
      headers?: Record<string, string | number | boolean>;
      body?: string;
      isBase64Encoded?: boolean;
      cookies?: string[];
    };
    for (const [name, value] of Object.entries(structured.headers ?? {})) {
      response.setHeader(name, String(value));
    }
    if (structured.cookies?.length) {
      response.setHeader('set-cookie', structured.cookies);
    }
    response.statusCode = structured.statusCode;
    endWith(
      response,
      structured.body === undefined
        ? undefined
        : structured.isBase64Encoded
          ? Buffer.from(structured.body, 'base64')
          : structured.body
    );
    return;
  }
  response.statusCode = 200;
  response.setHeader('content-type', 'application/json');
  endWith(
    response,
    typeof result === 'string' ? result : JSON.stringify(result)
  );
}

/**
 * Ends the response, remembering its body size for the traffic counters.
 * Content-Length is always set, so a HEAD answer carries the length its
 * body would have (HTTP sends no body for HEAD) and the client knows the
 * response ended.
 */
function endWith(response: ServerResponse, body: string | Buffer | undefined) {
  const bytes = body === undefined ? 0 : Buffer.byteLength(body);
  (response as ServerResponse & { bodyBytes?: number }).bodyBytes = bytes;
  if (!response.hasHeader('content-length')) {
    response.setHeader('content-length', bytes);
  }
  response.end(body);
}

/**
 * The gateway's own refusals, in the MLflow error shape every client of the
 * registry parses (`{error_code, message}`), like the handlers' answers.
 */
function sendError(
  response: ServerResponse,
  status: number,
  errorCode: string,
  message: string
) {
  send(response, status, { error_code: errorCode, message });
}

/**
 * Requests Node's parser refuses before there is a request object (headers
 * over `maxHeaderSize`, a malformed request line), answered on the socket
 * in the MLflow error shape instead of Node's bodyless default.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex) {
  const inResponse = (socket as Duplex & { _httpMessage?: ServerResponse })
    ._httpMessage;
  if (!socket.writable || inResponse?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason, errorCode, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          'INVALID_PARAMETER_VALUE',
          `The request headers are larger than the ${maxHeaderSize} bytes accepted.`,
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [
            408,
            'Request Timeout',
            'BAD_REQUEST',
            'The request did not arrive in time.',
          ]
        : [
            400,
            'Bad Request',
            'BAD_REQUEST',
            'The request is not well-formed HTTP.',
          ];
  const body = JSON.stringify({ error_code: errorCode, message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}

function send(response: ServerResponse, status: number, body: unknown) {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.statusCode = status;
  response.setHeader('content-type', 'application/json');
  endWith(response, JSON.stringify(body));
}
