import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { hasValidSignature } from '../sigv4.ts';
import {
  type ExecutionListItem,
  type ExecutionStatus,
  type LocalStepFunctionsEngine,
  LocalStepFunctionsError,
} from './engine.ts';

/** Larger request bodies get 413 without being buffered. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

const TARGET_PREFIX = 'AWSStepFunctions.';
const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
];

export interface StepFunctionsServerOptions {
  /** Port on 127.0.0.1; 0 lets the OS pick a free one. */
  readonly port: number;
  /** The only address this server binds to. @default '127.0.0.1' */
  readonly host?: '127.0.0.1';
  readonly engine: LocalStepFunctionsEngine;
  /**
   * When given, only requests signed (SigV4) with these are served; others
   * get 403 `InvalidSignatureException`. The port is open to every local
   * account, and the engine starts and decides workflows.
   * @default - any request is served (tests)
   */
  readonly credentials?:
    | { readonly accessKeyId: string; readonly secretAccessKey: string }
    | undefined;
  /** Receives errors that are not Step Functions API errors (they answer 500). @default console.error */
  readonly onInternalError?: (error: unknown) => void;
}

export interface StepFunctionsServer {
  /** `http://127.0.0.1:<port>`: the `endpoint` for `SFNClient` (or `AWS_ENDPOINT_URL_SFN`). */
  readonly url: string;
  /** The port actually bound. */
  readonly port: number;
  /** Stops listening and drops open connections; resolves once closed. */
  close(): Promise<void>;
}

type JsonObject = Record<string, unknown>;
type Operation = (
  engine: LocalStepFunctionsEngine,
  input: JsonObject
) => JsonObject;

/** A protocol-level failure (not a Step Functions API error). */
class ProtocolError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(status: number, type: string, message: string) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

/**
 * The subset of the Step Functions API the registry uses, in awsJson1_0
 * terms: timestamps are epoch seconds, JSON documents stay strings.
 */
const OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  [
    'StartExecution',
    (engine, input) => {
      const started = engine.startExecution(
        requiredString(input, 'stateMachineArn'),
        optionalString(input, 'input'),
        optionalString(input, 'name')
      );
      return {
        executionArn: started.executionArn,
        startDate: epochSeconds(started.startDate),
      };
    },
  ],
  [
    'DescribeExecution',
    (engine, input) => {
      const execution = engine.describeExecution(
        requiredString(input, 'executionArn')
      );
      return {
        ...executionSummary(execution),
        input: execution.input,
        inputDetails: { included: true },
        output: execution.output,
        outputDetails:
          execution.output === undefined ? undefined : { included: true },
        error: execution.error,
        cause: execution.cause,
      };
    },
  ],
  [
    'StopExecution',
    (engine, input) => {
      const { stopDate } = engine.stopExecution(
        requiredString(input, 'executionArn'),
        optionalString(input, 'error'),
        optionalString(input, 'cause')
      );
      return { stopDate: epochSeconds(stopDate) };
    },
  ],
  [
    'SendTaskSuccess',
    (engine, input) => {
      engine.sendTaskSuccess(
        requiredString(input, 'taskToken'),
        requiredString(input, 'output')
      );
      return {};
    },
  ],
  [
    'SendTaskFailure',
    (engine, input) => {
      engine.sendTaskFailure(
        requiredString(input, 'taskToken'),
        optionalString(input, 'error'),
        optionalString(input, 'cause')
      );
      return {};
    },
  ],
  [
    'SendTaskHeartbeat',
    (engine, input) => {
      engine.sendTaskHeartbeat(requiredString(input, 'taskToken'));
      return {};
    },
  ],
  [
    'ListExecutions',
    (engine, input) => {
      const statusFilter = optionalString(input, 'statusFilter');
      if (statusFilter !== undefined && !isExecutionStatus(statusFilter)) {
        throw new LocalStepFunctionsError(
          'ValidationException',
          `statusFilter must be one of ${EXECUTION_STATUSES.join(', ')}`
        );
      }
      const page = engine.listExecutions({
        stateMachineArn: requiredString(input, 'stateMachineArn'),
        statusFilter,
        maxResults: optionalNumber(input, 'maxResults'),
        nextToken: optionalString(input, 'nextToken'),
      });
      return {
        executions: page.executions.map(executionSummary),
        nextToken: page.nextToken,
      };
    },
  ],
]);

/**
 * Serves `engine` over the Step Functions wire protocol (awsJson1_0:
 * `POST /`, `X-Amz-Target: AWSStepFunctions.<Operation>`), so handlers use
 * `@aws-sdk/client-sfn` unchanged. Engine errors answer 400 with
 * `{"__type": "<AWS error name>", "message"}`, which the SDK turns into its
 * typed exceptions; an unknown operation answers 400
 * `UnknownOperationException`; a body over 1 MiB answers 413.
 * Binds to 127.0.0.1 only.
 * @throws Error when `host` is anything but 127.0.0.1, or the port cannot be bound.
 */
export async function startStepFunctionsServer(
  options: StepFunctionsServerOptions
): Promise<StepFunctionsServer> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') {
    throw new Error(
      `The local Step Functions server binds to 127.0.0.1 only, not ${String(host)}`
    );
  }
  const onInternalError =
    options.onInternalError ??
    ((error: unknown) =>
      console.error('Local Step Functions server error', error));
  const server = createServer((request, response) => {
    handle(request, response, options).catch((error: unknown) => {
      onInternalError(error);
      send(response, 500, {
        __type: 'InternalFailure',
        message: 'An internal error occurred',
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('The local Step Functions server has no TCP address');
  }
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; without this close waits for them.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  options: Pick<StepFunctionsServerOptions, 'engine' | 'credentials'>
): Promise<void> {
  const { engine } = options;
  try {
    const body = await readBody(request);
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
      throw new ProtocolError(
        403,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided.'
      );
    }
    const target = request.headers['x-amz-target'];
    const operation =
      request.method === 'POST' &&
      typeof target === 'string' &&
      target.startsWith(TARGET_PREFIX)
        ? OPERATIONS.get(target.slice(TARGET_PREFIX.length))
        : undefined;
    if (!operation) {
      throw new ProtocolError(
        400,
        'UnknownOperationException',
        `Unknown operation: ${String(target)}`
      );
    }
    send(response, 200, operation(engine, parseBody(body)));
  } catch (error) {
    if (error instanceof LocalStepFunctionsError) {
      send(response, 400, { __type: error.code, message: error.message });
    } else if (error instanceof ProtocolError) {
      send(response, error.status, {
        __type: error.type,
        message: error.message,
      });
    } else {
      throw error;
    }
  }
}

/**
 * The request body, or a 413 ProtocolError once it passes the limit. An
 * oversized body is still read to its end (and dropped), so the client gets
 * to read the answer instead of a reset connection.
 */
function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BODY_BYTES) {
        chunks.push(chunk);
      } else {
        chunks.length = 0;
      }
    });
    request.on('end', () => {
      if (size > MAX_REQUEST_BODY_BYTES) {
        reject(
          new ProtocolError(
            413,
            'RequestEntityTooLargeException',
            `Request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes`
          )
        );
      } else {
        resolve(Buffer.concat(chunks));
      }
    });
    request.on('error', reject);
  });
}

function parseBody(body: Buffer): JsonObject {
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProtocolError(
      400,
      'SerializationException',
      'The request body is not valid JSON'
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProtocolError(
      400,
      'SerializationException',
      'The request body must be a JSON object'
    );
  }
  return parsed as JsonObject;
}

function send(
  response: ServerResponse,
  status: number,
  body: JsonObject
): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(payload);
}

function executionSummary(execution: ExecutionListItem): JsonObject {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
    stopDate: execution.stopDate && epochSeconds(execution.stopDate),
  };
}

function isExecutionStatus(value: string): value is ExecutionStatus {
  return (EXECUTION_STATUSES as readonly string[]).includes(value);
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function requiredString(input: JsonObject, field: string): string {
  const value = optionalString(input, field);
  if (value === undefined) {
    throw new LocalStepFunctionsError(
      'ValidationException',
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`
    );
  }
  return value;
}

function optionalString(input: JsonObject, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new LocalStepFunctionsError(
      'ValidationException',
      `'${field}' must be a string`
    );
  }
  return value;
}

function optionalNumber(input: JsonObject, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number') {
    throw new LocalStepFunctionsError(
      'ValidationException',
      `'${field}' must be a number`
    );
  }
  return value;
}
