import {
  ConcurrentModificationError,
  TooManyConcurrentChangesError,
} from '../errors.ts';
import type { TransitionRequestStatus } from '../transition-request.ts';
import { workIn } from '../transition-request-lifecycle.ts';
import {
  applyApprovedRequest,
  closeRequest,
  type RequestDependencies,
} from './requests.ts';

/**
 * What each Task state of transition-request.asl.json sends: the step it
 * runs, the request, and the execution running it.
 */
export interface WorkflowStepInput {
  readonly step: 'start' | 'wait' | 'apply' | 'expire' | 'fail';
  readonly requestId: string;
  readonly modelId: string;
  readonly version: number;
  /** `$$.Execution.Id`: the execution's ARN. */
  readonly executionArn?: string;
  readonly taskToken?: string;
  readonly error?: unknown;
}

/**
 * What a step answers: the request's status afterwards, and what the
 * execution does next in it (the Choice states route on `work`).
 */
export interface WorkflowStepResult {
  readonly status: TransitionRequestStatus | 'MISSING';
  readonly work: 'wait' | 'apply' | 'end';
}

/**
 * Thrown for conditions worth retrying; the ASL's Retry names it. Anything
 * else fails the state into the Catch that closes the request as FAILED.
 */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

/**
 * One step of a request's workflow. Every step re-reads the request and
 * acts only on the status it finds, so a retried or re-armed step is
 * harmless; a request deleted with its model simply ends the execution.
 */
export async function runWorkflowStep(
  deps: RequestDependencies,
  input: WorkflowStepInput
): Promise<WorkflowStepResult> {
  try {
    const status = await step(deps, input);
    return { status, work: status === 'MISSING' ? 'end' : workIn(status) };
  } catch (error) {
    if (
      error instanceof ConcurrentModificationError ||
      error instanceof TooManyConcurrentChangesError
    ) {
      throw new TransientError(error.message);
    }
    throw error;
  }
}

async function step(
  deps: RequestDependencies,
  input: WorkflowStepInput
): Promise<TransitionRequestStatus | 'MISSING'> {
  const read = () =>
    deps.requests.getRequest(input.modelId, input.version, input.requestId);
  const request = await read();
  if (!request) {
    if (input.step === 'wait' && input.taskToken) {
      await deps.workflow.sendDecision(input.taskToken, 'closed');
    }
    return 'MISSING';
  }
  switch (input.step) {
    case 'start': {
      // This execution takes the request over: the one that applies it.
      if (
        input.executionArn === undefined ||
        (await deps.requests.recordExecution(request, input.executionArn))
      ) {
        return request.status;
      }
      return (await read())?.status ?? 'MISSING';
    }
    case 'wait': {
      if (!input.taskToken)
        throw new Error('The wait step needs a task token.');
      // Approvers were told by the request's TRANSITION_REQUEST_CREATED
      // event, written with the request (the outbox).
      if (workIn(request.status) === 'wait') {
        if (await deps.requests.setTaskToken(request, input.taskToken)) {
          return request.status;
        }
      }
      // Decided before this execution had a token to offer: forward the
      // decision now, so the execution proceeds as if it had been waiting.
      const decided = await read();
      await deps.workflow.sendDecision(
        input.taskToken,
        decided?.decision?.outcome ?? 'closed'
      );
      return decided?.status ?? 'MISSING';
    }
    case 'apply':
      return applyApprovedRequest(deps, request, input.executionArn);
    case 'expire': {
      const seconds = Math.round(
        (request.expiresAt - request.creationTimestamp) / 1000
      );
      await closeRequest(
        deps,
        request,
        'expire',
        `Expired: no decision within ${seconds} s.`
      );
      // A decision committed just before the expiry still wins.
      return (await read())?.status ?? 'MISSING';
    }
    case 'fail':
      await closeRequest(
        deps,
        request,
        'fail',
        'Closed because its approval workflow failed.'
      );
      return (await read())?.status ?? 'MISSING';
  }
}
