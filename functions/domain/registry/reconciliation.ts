import type { TransitionRequest } from '../transition-request.ts';
import {
  closeRequest,
  type RequestDependencies,
  restartWorkflow,
} from './requests.ts';

export interface ReconciliationOptions {
  /**
   * A request whose execution has not recorded itself yet is left alone
   * this long after its last change: its execution may simply not have
   * run its first step.
   */
  readonly graceMs: number;
  /** Requests looked at per run (soonest expiry first); the next run takes the rest. */
  readonly maxPerRun: number;
  /**
   * Every execution that ran before is gone, so none is asked about: the
   * local runtime at start, whose executions lived in the previous
   * process's memory. @default false
   */
  readonly allExecutionsLost?: boolean;
}

export interface ReconciliationReport {
  /** Pending requests looked at. */
  readonly examined: number;
  /** Their execution still runs (or may not have started yet): left alone. */
  readonly running: number;
  /** Taken over by a fresh execution (still open, or approved and not applied). */
  readonly rearmed: number;
  /** Open past their expiry, with no execution left to expire them. */
  readonly expired: number;
  /** Requests this run could not handle; the next run tries again. */
  readonly failures: readonly { requestId: string; error: string }[];
}

/**
 * The reconciliation of pending transition requests (open, or approved and
 * not yet applied), as the scheduled job runs it hourly on AWS and the
 * local runtime at every start: a request whose execution is gone (ended
 * without finishing the request, deleted with a replaced state machine,
 * lost with a local process) is handed to a fresh execution with the time
 * it has left, which waits for its decision or applies its approval, or,
 * when it is open past its expiry, is expired here.
 *
 * A request's executions are found by the ARN its latest execution
 * recorded; a request with none recorded is given `graceMs` to get one.
 * Every step is the lifecycle's own (`restartWorkflow`, `closeRequest`),
 * conditional on the status read, so a decision racing this run wins or
 * loses cleanly, and an execution that turns out to be alive after all
 * ends without applying anything (only the latest one may).
 */
export async function reconcilePendingRequests(
  deps: RequestDependencies,
  options: ReconciliationOptions
): Promise<ReconciliationReport> {
  const pending = (await deps.requests.listPendingRequests()).slice(
    0,
    options.maxPerRun
  );
  let running = 0;
  let rearmed = 0;
  let expired = 0;
  const failures: { requestId: string; error: string }[] = [];
  for (const request of pending) {
    try {
      if (
        !options.allExecutionsLost &&
        (await executionAlive(deps, request, options))
      ) {
        running += 1;
        continue;
      }
      if (request.status === 'OPEN' && deps.now() >= request.expiresAt) {
        const seconds = Math.round(
          (request.expiresAt - request.creationTimestamp) / 1000
        );
        if (
          await closeRequest(
            deps,
            request,
            'expire',
            `Expired: no decision within ${seconds} s.`
          )
        ) {
          expired += 1;
        }
        continue;
      }
      await restartWorkflow(deps, request);
      rearmed += 1;
    } catch (error) {
      failures.push({
        requestId: request.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return {
    examined: pending.length,
    running,
    rearmed,
    expired,
    failures,
  };
}

async function executionAlive(
  deps: RequestDependencies,
  request: TransitionRequest,
  options: ReconciliationOptions
): Promise<boolean> {
  if (request.executionArn === undefined) {
    return deps.now() - request.lastUpdatedTimestamp < options.graceMs;
  }
  return (
    (await deps.workflow.executionState(request.executionArn)) === 'running'
  );
}
