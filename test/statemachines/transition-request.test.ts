import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { TransitionRequestStatus } from '#domain/transition-request.ts';
import {
  REQUEST_STATUSES,
  releasedOutcomes,
  type WorkflowWork,
  workAfter,
  workIn,
} from '#domain/transition-request-lifecycle.ts';
import { LocalStepFunctionsEngine } from '../../local/stepfunctions/engine.ts';
import type { TransitionRequestSubstitutions } from '../../statemachines/substitutions.ts';
import { waitForTerminalStatus } from './support/polling.ts';

const FUNCTION = 'stagegate-transition-request';
const SUBSTITUTIONS: TransitionRequestSubstitutions = {
  TransitionRequestFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}`,
};
const DEFINITION = fileURLToPath(
  new URL('../../statemachines/transition-request.asl.json', import.meta.url)
);

type Step = 'start' | 'wait' | 'apply' | 'expire' | 'fail';
type Script = Partial<
  Record<Step, (payload: Record<string, unknown>) => unknown>
>;

const engines: LocalStepFunctionsEngine[] = [];
afterAll(async () => {
  for (const engine of engines) await engine.stopAllExecutions();
});

/**
 * Runs the real ASL file with the workflow function replaced by a script
 * per step; records which steps ran, in order, and the task token offered.
 */
function run(script: Script, expiresInSeconds = 600) {
  const calls: Step[] = [];
  const payloads: Record<string, unknown>[] = [];
  const tokens: string[] = [];
  const engine = new LocalStepFunctionsEngine({
    retryDelayMs: 1,
    handlers: {
      [FUNCTION]: async (payload) => {
        const input = payload as Record<string, unknown>;
        const step = input.step as Step;
        calls.push(step);
        payloads.push(input);
        if (step === 'wait') tokens.push(String(input.taskToken));
        const answer = script[step];
        return answer ? answer(input) : { status: 'OPEN', work: 'wait' };
      },
    },
  });
  engines.push(engine);
  const arn = `arn:aws:states:us-east-1:123456789012:stateMachine:tr-${engines.length}`;
  engine.registerStateMachine({
    stateMachineArn: arn,
    definitionPath: DEFINITION,
    substitutions: SUBSTITUTIONS,
  });
  const { executionArn } = engine.startExecution(
    arn,
    JSON.stringify({
      requestId: 'r1',
      modelId: 'm1',
      version: 2,
      expiresInSeconds,
    })
  );
  const untilTerminal = () =>
    waitForTerminalStatus(() => engine.describeExecution(executionArn));
  const untilToken = async () => {
    for (let i = 0; i < 200 && tokens.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const token = tokens[0];
    if (!token) throw new Error('no task token was offered');
    return token;
  };
  return { engine, calls, payloads, executionArn, untilTerminal, untilToken };
}

function transient(): never {
  throw Object.assign(new Error('busy'), { name: 'TransientError' });
}

describe('transition-request.asl.json', () => {
  it('waits for a decision, then applies an approved request', async () => {
    // Prepare
    const flow = run({});

    // Act
    const token = await flow.untilToken();
    flow.engine.sendTaskSuccess(token, JSON.stringify({ outcome: 'approved' }));
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(flow.calls).toEqual(['start', 'wait', 'apply']);
  });

  it.each(['rejected', 'cancelled', 'closed'])(
    'ends without applying a %s request',
    async (outcome) => {
      // Prepare
      const flow = run({});

      // Act
      flow.engine.sendTaskSuccess(
        await flow.untilToken(),
        JSON.stringify({ outcome })
      );
      const description = await flow.untilTerminal();

      // Assess
      expect(description.status).toBe('SUCCEEDED');
      expect(flow.calls).toEqual(['start', 'wait']);
    }
  );

  it('expires an undecided request after the timeout the input carries', async () => {
    // Prepare
    const flow = run({ expire: () => ({ status: 'EXPIRED', work: 'end' }) }, 1);

    // Act
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(flow.calls).toEqual(['start', 'wait', 'expire']);
  });

  it('still applies a request approved just before it expired', async () => {
    // Prepare
    const flow = run(
      { expire: () => ({ status: 'APPROVED', work: 'apply' }) },
      1
    );

    // Act
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(flow.calls).toEqual(['start', 'wait', 'expire', 'apply']);
  });

  it('applies at once a re-armed request that was approved meanwhile', async () => {
    // Prepare
    const flow = run({ start: () => ({ status: 'APPROVED', work: 'apply' }) });

    // Act
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(flow.calls).toEqual(['start', 'apply']);
  });

  it('ends at once for a request already closed when the execution starts', async () => {
    // Prepare
    const flow = run({ start: () => ({ status: 'CANCELLED', work: 'end' }) });

    // Act
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(flow.calls).toEqual(['start']);
  });

  it('retries transient errors of a step', async () => {
    // Prepare
    let failures = 2;
    const flow = run({
      start: () =>
        failures-- > 0 ? transient() : { status: 'OPEN', work: 'wait' },
    });

    // Act
    flow.engine.sendTaskSuccess(
      await flow.untilToken(),
      JSON.stringify({ outcome: 'rejected' })
    );
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(flow.calls).toEqual(['start', 'start', 'start', 'wait']);
  });

  it('closes the request as failed when applying fails for good', async () => {
    // Prepare
    const flow = run({
      apply: () => {
        throw Object.assign(new Error('no such version'), { name: 'Error' });
      },
    });

    // Act
    flow.engine.sendTaskSuccess(
      await flow.untilToken(),
      JSON.stringify({ outcome: 'approved' })
    );
    const description = await flow.untilTerminal();

    // Assess
    expect(description).toMatchObject({
      status: 'FAILED',
      error: 'TransitionRequestFailed',
    });
    expect(flow.calls).toEqual(['start', 'wait', 'apply', 'fail']);
  });

  it('closes the request as failed when an unknown decision arrives', async () => {
    // Prepare
    const flow = run({});

    // Act
    flow.engine.sendTaskSuccess(
      await flow.untilToken(),
      JSON.stringify({ outcome: 'maybe' })
    );
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('FAILED');
    expect(flow.calls).toEqual(['start', 'wait', 'fail']);
  });

  it('hands the execution its own ARN when it takes the request over and when it applies', async () => {
    // Prepare
    const flow = run({ start: () => ({ status: 'APPROVED', work: 'apply' }) });

    // Act
    await flow.untilTerminal();

    // Assess
    expect(flow.payloads.map((p) => [p.step, p.executionArn])).toEqual([
      ['start', flow.executionArn],
      ['apply', flow.executionArn],
    ]);
  });
});

interface ChoiceState {
  readonly Type: 'Choice';
  readonly Choices: readonly {
    readonly Variable: string;
    readonly StringEquals: string;
    readonly Next: string;
  }[];
  readonly Default: string;
}

/** Where a Choice state sends `value`. */
function route(state: string, value: string): string {
  const definition = JSON.parse(readFileSync(DEFINITION, 'utf8')) as {
    States: Record<string, ChoiceState>;
  };
  const choice = definition.States[state];
  if (choice?.Type !== 'Choice') throw new Error(`${state} is no Choice`);
  return (
    choice.Choices.find((c) => c.StringEquals === value)?.Next ?? choice.Default
  );
}

/** The state each kind of work starts with. */
const STATE_OF_WORK: Readonly<Record<WorkflowWork, string>> = {
  wait: 'WaitForDecision',
  apply: 'ApplyTransition',
  end: 'Done',
};

describe('transition-request.asl.json and the lifecycle table', () => {
  it.each(REQUEST_STATUSES)(
    'takes over a request found %s with the work its status leaves',
    (status: TransitionRequestStatus) => {
      // Act
      const next = route('RouteByStatus', workIn(status));

      // Assess
      expect(next).toBe(STATE_OF_WORK[workIn(status)]);
    }
  );

  it.each(releasedOutcomes())(
    'goes on after the decision %s with the work the step that sends it leaves',
    (outcome) => {
      // Act
      const next = route('RouteByDecision', outcome);

      // Assess
      expect(next).toBe(STATE_OF_WORK[workAfter(outcome)]);
    }
  );

  it.each(REQUEST_STATUSES)(
    'after the expiry step, goes on with the work of a request found %s',
    (status: TransitionRequestStatus) => {
      // Act
      const next = route('ApplyIfApprovedMeanwhile', workIn(status));

      // Assess
      expect(next).toBe(
        workIn(status) === 'apply' ? 'ApplyTransition' : 'Done'
      );
    }
  );
});
