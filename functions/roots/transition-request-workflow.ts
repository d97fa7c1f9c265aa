import { z } from 'zod';
import {
  runWorkflowStep,
  type WorkflowStepInput,
} from '#domain/registry/request-workflow.ts';
import type { RequestDependencies } from '#domain/registry/requests.ts';
import { observedHandler, recordMetric } from '#shared/invocation.ts';
import { metricNames } from '#shared/metric-names.ts';
import { requestDependencies } from '#shared/request-dependencies.ts';
import { defineRoot } from '#shared/root.ts';
import { registryTableNeed } from './api-root.ts';

/**
 * The payload every Task state of statemachines/transition-request.asl.json
 * sends, from **any** definition that may still have executions waiting
 * (Standard executions keep the definition they started with, for as long
 * as a request may wait, while the `live` alias moves on). The rule
 * (docs/operations.md, "Waiting executions"): fields and steps are only
 * ever added, each new field optional here; none is removed, renamed or
 * given a new meaning while an execution started before the change can
 * still be waiting; a new step ships in a release before the definition
 * that sends it. Unknown fields are let through, so a newer definition
 * does not break an older function during a rollback. The statemachines
 * tier holds this schema to the payloads of the current definition and of
 * every earlier one (test/statemachines/fixtures/workflow-payloads.json).
 */
export const workflowStepEvent = z.looseObject({
  step: z.enum(['start', 'wait', 'apply', 'expire', 'fail']),
  requestId: z.string().min(1),
  modelId: z.string().min(1),
  version: z.number().int().positive(),
  executionArn: z.string().min(1).optional(),
  taskToken: z.string().min(1).optional(),
  error: z.unknown().optional(),
});

/**
 * The function the Task states of statemachines/transition-request.asl.json
 * invoke with `{step, requestId, modelId, version, executionArn?,
 * taskToken?, error?}`. Errors named `TransientError` are retried by the
 * state machine; a payload this version cannot read fails the state (its
 * Catch closes the request as FAILED) rather than being guessed at.
 */
export const transitionRequestWorkflowRoot = defineRoot({
  // The steps read and write requests and versions as the API groups do
  // (both indexes), and forward decisions to waiting executions.
  needs: { table: registryTableNeed, transitionRequestWorkflow: 'respond' },
  wire: ({ table, workflow }): RequestDependencies =>
    requestDependencies({ table, workflow }),
  build: (deps: RequestDependencies) =>
    observedHandler(
      async (event: unknown) => {
        const input: WorkflowStepInput = workflowStepEvent.parse(event);
        const result = await runWorkflowStep(deps, input);
        if (input.step === 'apply' && result.status === 'APPLIED') {
          recordMetric({
            name: metricNames.transitions,
            dimensions: { Trigger: 'APPROVED_REQUEST' },
          });
        }
        return result;
      },
      (event) => {
        const { requestId, step } = (event ?? {}) as Record<string, unknown>;
        return { requestId, step };
      }
    ),
});
