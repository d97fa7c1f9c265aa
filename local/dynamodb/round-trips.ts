import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

/** DynamoDB's JSON protocol names the operation in this header's value. */
const TARGET_PREFIX = 'DynamoDB_20120810.';

const READS = new Set([
  'GetItem',
  'BatchGetItem',
  'Query',
  'Scan',
  'TransactGetItems',
]);

/** Which part of an API call made a round trip. */
export type CallPhase = 'authorizer' | 'handler';

/** The DynamoDB round trips of one API call, in the order they were sent. */
export interface CallRoundTrips {
  readonly routeKey: string;
  /** The call's API Gateway request id (the `apigw-requestid` header). */
  requestId?: string;
  readonly roundTrips: { operation: string; phase: CallPhase }[];
}

/** Whether a DynamoDB operation only reads (a transaction's checks do not). */
export function isRead(operation: string): boolean {
  return READS.has(operation);
}

/**
 * Counts the DynamoDB round trips each API call makes, for the bench and
 * the debug endpoints. Handlers run in this process, so every request
 * their SDK clients send passes Node's `http.client.request.start`
 * diagnostics channel inside the call's async context; the work a call
 * starts elsewhere (a workflow execution resumed by its SendTaskSuccess)
 * runs in the Step Functions endpoint's context and is not counted to it.
 */
export class DynamoDBRoundTrips {
  readonly #context = new AsyncLocalStorage<{
    call: CallRoundTrips;
    phase: CallPhase;
  }>();
  readonly #calls: CallRoundTrips[] = [];
  readonly #limit: number;
  readonly #onRequest = (message: unknown) => {
    const current = this.#context.getStore();
    if (!current) return;
    const { request } = message as { request: ClientRequest };
    const target = request.getHeader('x-amz-target');
    if (typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) {
      return;
    }
    current.call.roundTrips.push({
      operation: target.slice(TARGET_PREFIX.length),
      phase: current.phase,
    });
  };

  /** @param limit how many recent calls are kept. @default 1000 */
  constructor(limit = 1000) {
    this.#limit = limit;
    subscribe('http.client.request.start', this.#onRequest);
  }

  /** Runs one API call, counting its round trips. */
  track<T>(routeKey: string, run: () => Promise<T>): Promise<T> {
    const call: CallRoundTrips = { routeKey, roundTrips: [] };
    this.#calls.push(call);
    if (this.#calls.length > this.#limit) this.#calls.shift();
    return this.#context.run({ call, phase: 'handler' }, run);
  }

  /** Names the current call by its request id. */
  identify(requestId: string): void {
    const current = this.#context.getStore();
    if (current) current.call.requestId = requestId;
  }

  /** Counts what `run` sends to the current call's `phase`. */
  phase<T>(phase: CallPhase, run: () => Promise<T>): Promise<T> {
    const current = this.#context.getStore();
    return current ? this.#context.run({ ...current, phase }, run) : run();
  }

  /** The recent calls, oldest first. */
  recent(): CallRoundTrips[] {
    return this.#calls.map((call) => ({
      routeKey: call.routeKey,
      ...(call.requestId === undefined ? {} : { requestId: call.requestId }),
      roundTrips: [...call.roundTrips],
    }));
  }

  reset(): void {
    this.#calls.length = 0;
  }

  close(): void {
    unsubscribe('http.client.request.start', this.#onRequest);
  }
}
