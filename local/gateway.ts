import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { pathToFileURL } from 'node:url';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEventV2,
  APIGatewayRequestAuthorizerEventV2,
  Context,
} from 'aws-lambda';
import { policyAllows } from '#http/authorizer-policy.ts';
import {
  type FunctionGroup,
  handlerEntry,
  type RouteDefinition,
  routeKey,
  routes,
} from '#http/routes.ts';
import { repositoryRoot } from './paths.ts';

/** HTTP API's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** HTTP API's integration timeout. */
const INTEGRATION_TIMEOUT_MS = 30_000;
const API_ID = 'local';
const ROUTE_ARN_PREFIX = `arn:aws:execute-api:us-east-1:000000000000:${API_ID}/$default`;

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

interface MatchedRoute {
  readonly route: RouteDefinition | undefined;
  readonly routeKey: string;
  readonly pathParameters: Record<string, string> | undefined;
}

/**
 * Serves the route table the way API Gateway's HTTP API would: each request
 * becomes a payload 2.0 event, the real Lambda REQUEST authorizer runs on
 * every route but the public ones and its IAM policy is enforced, then the
 * real handler of the route's function group runs. Unmatched requests go to
 * the `$default` route (the not-found function), also authorized.
 */
export class LocalGateway {
  readonly #handlers = new Map<string, Promise<LambdaHandler>>();
  #server: Server | undefined;

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = createServer((request, response) => {
      this.#serve(request, response).catch((error: unknown) => {
        console.error('local gateway error', error);
        send(response, 500, { message: 'Internal Server Error' });
      });
    });
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

  /** Loads a handler module once, as a Lambda cold start would. */
  #handler(entry: string): Promise<LambdaHandler> {
    let loaded = this.#handlers.get(entry);
    if (!loaded) {
      loaded = import(pathToFileURL(`${repositoryRoot}/${entry}`).href).then(
        (module: { handler: LambdaHandler }) => module.handler
      );
      this.#handlers.set(entry, loaded);
    }
    return loaded;
  }

  async #serve(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request);
    if (body === undefined) {
      send(response, 413, { message: 'Request Entity Too Large' });
      return;
    }
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = (request.method ?? 'GET').toUpperCase();
    const matched = matchRoute(method, url.pathname);
    const event = toEvent(request, url, method, body, matched);
    const routeArn = `${ROUTE_ARN_PREFIX}/${method}${url.pathname}`;

    if (matched.route?.action !== 'public') {
      const authorizer = await this.#handler(
        'functions/handlers/authorizer.ts'
      );
      let result: APIGatewayAuthorizerResult;
      try {
        result = (await invoke(
          authorizer,
          toAuthorizerEvent(event, routeArn)
        )) as APIGatewayAuthorizerResult;
      } catch (error) {
        // As API Gateway: an authorizer that throws "Unauthorized" is a 401,
        // anything else a 500; neither reaches the handler.
        if ((error as Error).message === 'Unauthorized') {
          send(response, 401, { message: 'Unauthorized' });
        } else {
          send(response, 500, { message: 'Internal Server Error' });
        }
        return;
      }
      if (!policyAllows(result.policyDocument, routeArn)) {
        send(response, 403, { message: 'Forbidden' });
        return;
      }
      event.requestContext.authorizer = {
        lambda: result.context ?? {},
        principalId: result.principalId,
      };
    }

    const entry = matched.route
      ? handlerEntry(matched.route.group as FunctionGroup)
      : 'functions/handlers/api/not-found.ts';
    let result: unknown;
    try {
      result = await invoke(await this.#handler(entry), event);
    } catch (error) {
      console.error(`handler ${entry} failed`, error);
      send(response, 500, { message: 'Internal Server Error' });
      return;
    }
    writeResult(response, result);
  }
}

type LocalEvent = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: unknown;
  };
};

function matchRoute(method: string, path: string): MatchedRoute {
  for (const route of routes) {
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

function matchPath(
  template: string,
  path: string
): Record<string, string> | undefined {
  const templateParts = template.split('/');
  const pathParts = path.split('/');
  if (templateParts.length !== pathParts.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [index, part] of templateParts.entries()) {
    const actual = pathParts[index] ?? '';
    const parameter = /^\{(\w+)\}$/.exec(part)?.[1];
    if (parameter) {
      if (actual === '') return undefined;
      parameters[parameter] = decodeURIComponent(actual);
    } else if (part !== actual) {
      return undefined;
    }
  }
  return parameters;
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
  const rawQueryString = url.search.startsWith('?') ? url.search.slice(1) : '';
  // API Gateway's own (lossy) view: repeated keys comma-joined.
  const queryStringParameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[key] =
      key in queryStringParameters
        ? `${queryStringParameters[key]},${value}`
        : value;
  }
  const textual = isTextual(headers['content-type']);
  const now = new Date();
  return {
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
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: matched.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? {
          body: textual ? body.toString('utf8') : body.toString('base64'),
          isBase64Encoded: !textual,
        }
      : { isBase64Encoded: false }),
  };
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

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(tooLarge ? undefined : Buffer.concat(chunks))
    );
    request.on('error', reject);
  });
}

/** Runs a handler as Lambda would, bounded by the integration timeout. */
async function invoke(
  handler: LambdaHandler,
  event: unknown
): Promise<unknown> {
  const deadline = Date.now() + INTEGRATION_TIMEOUT_MS;
  const context = lambdaContext(deadline);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      handler(event, context),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('Integration timeout')),
          INTEGRATION_TIMEOUT_MS
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
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
    response.end(
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
  response.end(typeof result === 'string' ? result : JSON.stringify(result));
}

function send(response: ServerResponse, status: number, body: unknown) {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.statusCode = status;
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(body));
}
