import {
  runWorkflowStep,
  type WorkflowStepInput,
} from '#domain/registry/request-workflow.ts';
import { logger } from '#shared/powertools.ts';
import { requestDependenciesFromEnv } from '#shared/request-dependencies.ts';

const deps = requestDependenciesFromEnv();

/**
 * The Task states of statemachines/transition-request.asl.json invoke this
 * function with `{step, requestId, modelId, version, taskToken?}`. Errors
 * named `TransientError` are retried by the state machine.
 */
export async function handler(event: WorkflowStepInput) {
  logger.appendKeys({ requestId: event.requestId, step: event.step });
  return runWorkflowStep(deps, event);
}
