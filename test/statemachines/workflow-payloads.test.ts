import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { workflowStepEvent } from '#roots/transition-request-workflow.ts';
import { LocalStepFunctionsEngine } from '../../local/stepfunctions/engine.ts';
import type { TransitionRequestSubstitutions } from '../../statemachines/substitutions.ts';
import { waitForTerminalStatus } from './support/polling.ts';

/**
 * The payload-compatibility rule of waiting executions (docs/operations.md):
 * the workflow function reads what the current definition sends on every
 * path, and what every earlier definition sent (the fixtures).
 */

const FUNCTION = 'stagegate-transition-request';
const SUBSTITUTIONS: TransitionRequestSubstitutions = {
  TransitionRequestFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}:live`,
};
const DEFINITION = fileURLToPath(
  new URL('../../statemachines/transition-request.asl.json', import.meta.url)
);
const FIXTURES = JSON.parse(
  readFileSync(
    new URL('./fixtures/workflow-payloads.json', import.meta.url),
    'utf8'
  )
) as { definitions: Record<string, Record<string, unknown>[]> };

const engines: LocalStepFunctionsEngine[] = [];
afterAll(async () => {
  for (const engine of engines) await engine.stopAllExecutions();
});

/**
 * Runs the real definition to its end, answering each step as `answer`
 * says, and returns every payload it sent.
 */
async function payloadsOf(
  answer: (step: string) => unknown,
  options: { expiresInSeconds: number; decide?: string }
): Promise<Record<string, unknown>[]> {
  const payloads: Record<string, unknown>[] = [];
  const engine = new LocalStepFunctionsEngine({
    retryDelayMs: 1,
    handlers: {
      [FUNCTION]: async (payload) => {
        const input = payload as Record<string, unknown>;
        payloads.push(input);
        if (input.step === 'wait' && options.decide) {
          const token = String(input.taskToken);
          setImmediate(() =>
            engine.sendTaskSuccess(
              token,
              JSON.stringify({ outcome: options.decide })
            )
          );
        }
        return answer(String(input.step));
      },
    },
  });
  engines.push(engine);
  const stateMachineArn = `arn:aws:states:us-east-1:123456789012:stateMachine:payloads-${engines.length}`;
  engine.registerStateMachine({
    stateMachineArn,
    definitionPath: DEFINITION,
    substitutions: SUBSTITUTIONS,
  });
  const { executionArn } = engine.startExecution(
    stateMachineArn,
    JSON.stringify({
      requestId: '0123456789abcdef0123456789abcdef',
      modelId: 'fedcba9876543210fedcba9876543210',
      version: 3,
      expiresInSeconds: options.expiresInSeconds,
    })
  );
  await waitForTerminalStatus(() => engine.describeExecution(executionArn));
  return payloads;
}

const waiting = { status: 'OPEN', work: 'wait' };

describe('workflow payloads', () => {
  it('reads every payload of the current definition, on the approve, expiry and failure paths', async () => {
    // Act
    const sent = [
      ...(await payloadsOf(
        (step) =>
          step === 'apply' ? { status: 'APPLIED', work: 'end' } : waiting,
        { expiresInSeconds: 600, decide: 'approved' }
      )),
      ...(await payloadsOf(
        (step) =>
          step === 'expire' ? { status: 'EXPIRED', work: 'end' } : waiting,
        { expiresInSeconds: 1 }
      )),
      ...(await payloadsOf(
        (step) => {
          if (step === 'start') throw new Error('not readable');
          return { status: 'FAILED', work: 'end' };
        },
        { expiresInSeconds: 600 }
      )),
    ];

    // Assess
    expect(new Set(sent.map((payload) => payload.step))).toEqual(
      new Set(['start', 'wait', 'apply', 'expire', 'fail'])
    );
    for (const payload of sent) {
      expect(
        workflowStepEvent.safeParse(payload).success,
        JSON.stringify(payload)
      ).toBe(true);
    }
  });

  it.each(Object.entries(FIXTURES.definitions))(
    'reads every payload the definition of %s sent',
    (_, payloads) => {
      for (const payload of payloads) {
        expect(workflowStepEvent.parse(payload)).toMatchObject(payload);
      }
    }
  );

  it('lets through fields a newer definition adds, for a rolled-back function', () => {
    // Act
    const parsed = workflowStepEvent.parse({
      step: 'wait',
      requestId: 'r',
      modelId: 'm',
      version: 1,
      taskToken: 't',
      approvers: ['alice'],
    });

    // Assess
    expect(parsed).toMatchObject({ step: 'wait', approvers: ['alice'] });
  });

  it('refuses a step it does not know, so the state fails instead of guessing', () => {
    expect(
      workflowStepEvent.safeParse({
        step: 'escalate',
        requestId: 'r',
        modelId: 'm',
        version: 1,
      }).success
    ).toBe(false);
  });
});
