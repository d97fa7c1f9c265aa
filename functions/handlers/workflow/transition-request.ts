import type { Context } from 'aws-lambda';
import {
  runWorkflowStep,
  type WorkflowStepInput,
} from '#domain/registry/request-workflow.ts';
import { startInvocation } from '#shared/powertools.ts';
import { requestDependenciesFromEnv } from '#shared/request-dependencies.ts';

const deps = requestDependenciesFromEnv();

/**
 * The Task states of statemachines/transition-request.asl.json invoke this
 * function with `{step, requestId, modelId, version, taskToken?}`. Errors
 * named `TransientError` are retried by the state machine.
 */
export async function handler(event: WorkflowStepInput, context?: Context) {
  startInvocation(context, { requestId: event.requestId, step: event.step });
  return runWorkflowStep(deps, event);
}
