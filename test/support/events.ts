import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { AuthorizerContext } from '#http/auth-context.ts';

export interface TestEventOptions {
  readonly method?: string;
  readonly path?: string;
  /** @default `${method} ${path}` */
  readonly routeKey?: string;
  readonly rawQueryString?: string;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  /** Header names in lower case, as API Gateway's payload 2.0 delivers them. */
  readonly headers?: Record<string, string>;
  /**
   * The Lambda authorizer's context (`requestContext.authorizer.lambda`);
   * `null` leaves the authorizer out, as for a route without one.
   * @default the context of a non-admin user `alice@example.com`
   */
  readonly authorizer?: AuthorizerContext | null;
}

export const DEFAULT_AUTHORIZER_CONTEXT: AuthorizerContext = {
  principalId: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: 'risk',
};

/**
 * A complete HTTP API (payload format 2.0) event, as API Gateway sends it to
 * a function behind a Lambda authorizer.
 */
export function createTestEvent(
  options: TestEventOptions = {}
): APIGatewayProxyEventV2 {
  const method = options.method ?? 'GET';
  const path = options.path ?? '/api/2.0/mlflow/registered-models/search';
  const rawQueryString = options.rawQueryString ?? '';
  const headers: Record<string, string> = {
    accept: 'application/json',
    host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    'user-agent': 'mlflow-python-client/3.1.0',
    'x-forwarded-for': '198.51.100.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...(options.body === undefined
      ? {}
      : {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(options.body)),
        }),
    ...options.headers,
  };
  const authorizer =
    options.authorizer === undefined
      ? DEFAULT_AUTHORIZER_CONTEXT
      : options.authorizer;
  const event: APIGatewayProxyEventV2 & {
    requestContext: { authorizer?: { lambda: AuthorizerContext } };
  } = {
    version: '2.0',
    routeKey: options.routeKey ?? `${method} ${path}`,
    rawPath: path,
    rawQueryString,
    cookies: [],
    headers,
    ...(rawQueryString === ''
      ? {}
      : { queryStringParameters: commaJoinedQuery(rawQueryString) }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '198.51.100.7',
        userAgent: 'mlflow-python-client/3.1.0',
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: options.routeKey ?? `${method} ${path}`,
      stage: '$default',
      time: '14/Nov/2023:22:13:20 +0000',
      timeEpoch: 1_700_000_000_000,
      ...(authorizer === null ? {} : { authorizer: { lambda: authorizer } }),
    },
    isBase64Encoded: options.isBase64Encoded ?? false,
    ...(options.body === undefined ? {} : { body: options.body }),
  };
  return event;
}

/** What API Gateway puts in `queryStringParameters`: repeated keys comma-joined. */
function commaJoinedQuery(rawQueryString: string): Record<string, string> {
  const joined: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    joined[key] = key in joined ? `${joined[key]},${value}` : value;
  }
  return joined;
}

/** A frozen Lambda `Context`: handlers may read it, never change it. */
export function createTestContext(): Context {
  return Object.freeze({
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'stagegate-registered-models',
    functionVersion: '$LATEST',
    invokedFunctionArn:
      'arn:aws:lambda:eu-west-1:123456789012:function:stagegate-registered-models',
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/stagegate-registered-models',
    logStreamName: '2023/11/14/[$LATEST]abcdef0123456789',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  });
}
