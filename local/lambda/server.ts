import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Context } from 'aws-lambda';
import { hasValidSignature } from '../sigv4.ts';
import { invokeWithTimeout } from './invocation.ts';

/** Larger payloads get 413 (Lambda's own limit for async invocations is 1 MB). */
const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Lambda's maximum timeout, for a function given none. */
const FUNCTION_TIMEOUT_MS = 15 * 60 * 1000;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export type LocalLambdaHandler = (
  event: unknown,
  context: Context
) => Promise<unknown>;

export interface LambdaServerOptions {
  /** Function name → its handler, loaded on first use (a cold start). */
  readonly functions: Readonly<
    Record<string, () => Promise<LocalLambdaHandler>>
  >;
  /**
   * Each function's timeout (milliseconds), as deployed: an invocation
   * that outlasts it fails as on Lambda. @default 15 minutes
   */
  readonly timeoutsMs?: Readonly<Record<string, number>>;
  /** Receives failures of asynchronous invocations. @default console.error */
  readonly onAsyncError?: (functionName: string, error: unknown) => void;
  /**
   * Tests only: the first this many asynchronous invocations are accepted
   * (202) and never run, as an event is lost when the process that would
   * run it dies. @default 0
   */
  readonly loseAsyncInvocations?: number;
  /**
   * When given, only requests signed (SigV4) with these are served; others
   * get 403 `InvalidSignatureException`. The port is open to every local
   * account. @default - any request is served (tests)
   */
  readonly credentials?:
    | { readonly accessKeyId: string; readonly secretAccessKey: string }
    | undefined;
}

export interface LambdaServer {
  /** `http://127.0.0.1:<port>`: the endpoint for `LambdaClient` (`AWS_ENDPOINT_URL_LAMBDA`). */
  readonly url: string;
  /** Resolves once every asynchronous invocation started so far has ended. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Lambda's `Invoke` (REST, `POST /2015-03-31/functions/<name>/invocations`)
 * for the functions the registry invokes itself, so handlers use
 * `@aws-sdk/client-lambda` unchanged, as they use the Step Functions shim.
 * `InvocationType: Event` answers 202 at once and runs the handler
 * in-process on the next tick (Lambda's asynchronous invocation, without
 * its retries); `RequestResponse` runs it and answers its result.
 */
export async function startLambdaServer(
  options: LambdaServerOptions
): Promise<LambdaServer> {
  const running = new Set<Promise<void>>();
  let toLose = options.loseAsyncInvocations ?? 0;
  const loaded = new Map<string, Promise<LocalLambdaHandler>>();
  const onAsyncError =
    options.onAsyncError ??
    ((name: string, error: unknown) =>
      console.error(`local Lambda ${name} failed`, error));
  const timeoutOf = (name: string) =>
    options.timeoutsMs?.[name] ?? FUNCTION_TIMEOUT_MS;
  const handlerOf = (name: string) => {
    const load = options.functions[name];
    if (!load) return undefined;
    let handler = loaded.get(name);
    if (!handler) {
      handler = load();
      loaded.set(name, handler);
    }
    return handler;
  };

  const server: Server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      console.error('local Lambda endpoint error', error);
      sendError(response, 500, 'ServiceException', 'Internal error');
    });
  });

  async function serve(request: IncomingMessage, response: ServerResponse) {
    const name = decodeURIComponent(
      INVOKE_PATH.exec(new URL(request.url ?? '/', 'http://x').pathname)?.[1] ??
        ''
    )
      .replace(/^arn:aws:lambda:[^:]+:\d+:function:/, '')
      // A qualified name (`name:live`) invokes that alias; locally there is
      // only ever the one version.
      .replace(/:[^:]+$/, '');
    if (request.method !== 'POST' || name === '') {
      sendError(
        response,
        404,
        'UnknownOperationException',
        'Unknown operation'
      );
      return;
    }
    const body = await readBody(request);
    if (body === undefined) {
      sendError(response, 413, 'RequestTooLargeException', 'Payload too large');
      return;
    }
    if (
      options.credentials &&
      !hasValidSignature(
        {
          method: request.method ?? '',
          url: request.url ?? '/',
          headers: request.headers,
          body,
        },
        options.credentials
      )
    ) {
      sendError(
        response,
        403,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided.'
      );
      return;
    }
    const handler = handlerOf(name);
    if (!handler) {
      sendError(
        response,
        404,
        'ResourceNotFoundException',
        `Function not found: ${name}`
      );
      return;
    }
    let event: unknown;
    try {
      event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      sendError(
        response,
        400,
        'InvalidRequestContentException',
        'Could not parse request body into json'
      );
      return;
    }
    const invocationType = String(
      request.headers['x-amz-invocation-type'] ?? 'RequestResponse'
    );
    if (invocationType === 'Event') {
      response.statusCode = 202;
      response.end();
      if (toLose > 0) {
        toLose -= 1;
        return;
      }
      const run = new Promise<void>((resolve) => setImmediate(resolve))
        .then(async () =>
          invokeWithTimeout(
            await handler,
            event,
            lambdaContext(name, timeoutOf(name)),
            timeoutOf(name)
          )
        )
        .then(
          () => undefined,
          (error: unknown) => onAsyncError(name, error)
        )
        .finally(() => running.delete(run));
      running.add(run);
      return;
    }
    try {
      const result = await invokeWithTimeout(
        await handler,
        event,
        lambdaContext(name, timeoutOf(name)),
        timeoutOf(name)
      );
      response.statusCode = 200;
      response.setHeader('content-type', 'application/json');
      response.setHeader('x-amz-executed-version', '$LATEST');
      response.end(JSON.stringify(result ?? null));
    } catch (error) {
      response.statusCode = 200;
      response.setHeader('x-amz-function-error', 'Unhandled');
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          errorType: (error as Error).name,
          errorMessage: (error as Error).message,
        })
      );
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    drain: async () => {
      while (running.size > 0) await Promise.all([...running]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A Lambda `Context` for one local invocation of `functionName`: a fresh
 * request id and its timeout (default: Lambda's longest) as the deadline.
 */
export function lambdaContext(
  functionName: string,
  timeoutMs: number = FUNCTION_TIMEOUT_MS
): Context {
  const requestId = randomUUID();
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: requestId,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(size > MAX_PAYLOAD_BYTES ? undefined : Buffer.concat(chunks))
    );
    request.on('error', reject);
  });
}

/** Lambda's REST error shape: the type in a header and in the body. */
function sendError(
  response: ServerResponse,
  status: number,
  type: string,
  message: string
) {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.statusCode = status;
  response.setHeader('content-type', 'application/json');
  response.setHeader('x-amzn-errortype', type);
  response.end(JSON.stringify({ Type: 'User', message }));
}
