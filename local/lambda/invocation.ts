import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';

let scopes: Promise<InvokeStoreBase> | undefined;

/**
 * The local runtime runs every function in this one process, several
 * invocations at once, as a Lambda execution environment with
 * multi-concurrency does. There the runtime gives each invocation its own
 * scope in the InvokeStore (an AsyncLocalStorage) and announces it with
 * `AWS_LAMBDA_MAX_CONCURRENCY`; Powertools then keeps the logger's keys and
 * Lambda context, and the metrics, per invocation. This sets up the same,
 * so concurrent local requests never log each other's ids or principals.
 */
function invocationScopes(): Promise<InvokeStoreBase> {
  scopes ??= InvokeStore.getInstanceAsync(true).then((store) => {
    // Only its presence is read. Set once the store exists: Powertools
    // fails any logger call made with the variable set and no store.
    process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';
    return store;
  });
  return scopes;
}

/** Runs one invocation of `handler` in its own scope, as Lambda would. */
export async function invokeLocally<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  event: E,
  context: Context
): Promise<R> {
  const store = await invocationScopes();
  return store.run(
    { [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId },
    () => handler(event, context)
  );
}

/**
 * The error of an invocation that outlasted its function's timeout, as
 * Lambda reports it (`Sandbox.Timedout`, "Task timed out after … seconds").
 */
export class FunctionTimeoutError extends Error {
  override readonly name = 'Sandbox.Timedout';

  constructor(timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
  }
}

/**
 * Runs one invocation as `invokeLocally` does, ended after `timeoutMs` as
 * Lambda ends it: the caller gets `FunctionTimeoutError` at the deadline
 * (the handler's `getRemainingTimeInMillis` reaches 0 then). Unlike
 * Lambda, the handler's own work is not frozen; whatever it still does
 * runs on in the local process, and its result is dropped.
 */
export async function invokeWithTimeout<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  event: E,
  context: Context,
  timeoutMs: number
): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      invokeLocally(handler, event, context),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new FunctionTimeoutError(timeoutMs)),
          timeoutMs
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
