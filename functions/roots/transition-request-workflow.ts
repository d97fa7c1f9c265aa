import {
  runWorkflowStep,
  type WorkflowStepInput,
} from '#domain/registry/request-workflow.ts';
import type { RequestDependencies } from '#domain/registry/requests.ts';
import { observedHandler, recordMetric } from '#shared/invocation.ts';
import { requestDependencies } from '#shared/request-dependencies.ts';
import { defineRoot } from '#shared/root.ts';
import { registryTableNeed } from './api-root.ts';

/**
 * The function the Task states of statemachines/transition-request.asl.json
 * invoke with `{step, requestId, modelId, version, taskToken?}`. Errors
 * named `TransientError` are retried by the state machine.
 */
export const transitionRequestWorkflowRoot = defineRoot({
  // The steps read and write requests and versions as the API groups do
  // (both indexes), and forward decisions to waiting executions.
  needs: { table: registryTableNeed, transitionRequestWorkflow: 'respond' },
  wire: ({ table, workflow }): RequestDependencies =>
    requestDependencies({ table, workflow }),
  build: (deps: RequestDependencies) =>
    observedHandler(
      async (event: WorkflowStepInput) => {
        const result = await runWorkflowStep(deps, event);
        if (event.step === 'apply' && result.status === 'APPLIED') {
          recordMetric({
            name: 'Transitions',
            dimensions: { Trigger: 'APPROVED_REQUEST' },
          });
        }
        return result;
      },
      (event) => ({ requestId: event.requestId, step: event.step })
    ),
});
