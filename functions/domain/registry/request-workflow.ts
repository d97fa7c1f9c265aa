import {
  ConcurrentModificationError,
  TooManyConcurrentChangesError,
} from '../errors.ts';
import type { TransitionRequestStatus } from '../transition-request.ts';
import {
  applyApprovedRequest,
  closeRequest,
  type RequestDependencies,
} from './requests.ts';

/** What each Task state of transition-request.asl.json sends. */
export interface WorkflowStepInput {
  readonly step: 'record' | 'notify' | 'apply' | 'expire' | 'fail';
  readonly requestId: string;
  readonly modelId: string;
  readonly version: number;
  readonly taskToken?: string;
  readonly error?: unknown;
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
 * acts only on the state it finds, so a retried or re-armed step is
 * harmless; a request deleted with its model simply ends the execution.
 */
export async function runWorkflowStep(
  deps: RequestDependencies,
  input: WorkflowStepInput
): Promise<{ status: TransitionRequestStatus | 'MISSING' }> {
  try {
    return await step(deps, input);
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
): Promise<{ status: TransitionRequestStatus | 'MISSING' }> {
  const request = await deps.requests.getRequest(
    input.modelId,
    input.version,
    input.requestId
  );
  if (!request) {
    if (input.step === 'notify' && input.taskToken) {
      await deps.workflow.sendDecision(input.taskToken, 'closed');
    }
    return { status: 'MISSING' };
  }
  switch (input.step) {
    case 'record':
      return { status: request.status };
    case 'notify': {
      if (!input.taskToken) throw new Error('notify needs a task token');
      if (request.status === 'OPEN') {
        const model = await deps.store.getModelRecordById(request.modelId);
        await deps.notifier.transitionRequested(
          request,
          model?.model.name ?? request.modelId
        );
        if (await deps.requests.setTaskToken(request, input.taskToken)) {
          return { status: 'OPEN' };
        }
      }
      // Decided before this execution had a token to offer: forward the
      // decision now, so the execution proceeds as if it had been waiting.
      const decided = await deps.requests.getRequest(
        request.modelId,
        request.version,
        request.id
      );
      await deps.workflow.sendDecision(
        input.taskToken,
        decided?.decision?.outcome ?? 'closed'
      );
      return { status: decided?.status ?? 'MISSING' };
    }
    case 'apply':
      return { status: await applyApprovedRequest(deps, request) };
    case 'expire': {
      if (request.status !== 'OPEN') return { status: request.status };
      const seconds = Math.round(
        (request.expiresAt - request.creationTimestamp) / 1000
      );
      await closeRequest(
        deps,
        request,
        'EXPIRED',
        `Expired: no decision within ${seconds} s.`
      );
      const after = await deps.requests.getRequest(
        request.modelId,
        request.version,
        request.id
      );
      return { status: after?.status ?? 'EXPIRED' };
    }
    case 'fail':
      if (request.status === 'OPEN') {
        await closeRequest(
          deps,
          request,
          'FAILED',
          'Closed because its approval workflow failed.'
        );
        return { status: 'FAILED' };
      }
      if (request.status === 'APPROVED') {
        await deps.requests.markFinal(request, 'FAILED', deps.now());
        return { status: 'FAILED' };
      }
      return { status: request.status };
  }
}
