import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
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

type Step = 'record' | 'notify' | 'apply' | 'expire' | 'fail';
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
  const tokens: string[] = [];
  const engine = new LocalStepFunctionsEngine({
    retryDelayMs: 1,
    handlers: {
      [FUNCTION]: async (payload) => {
        const input = payload as Record<string, unknown>;
        const step = input.step as Step;
        calls.push(step);
        if (step === 'notify') tokens.push(String(input.taskToken));
        const answer = script[step];
        return answer ? answer(input) : { status: 'OPEN' };
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
  return { engine, calls, untilTerminal, untilToken };
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
    expect(flow.calls).toEqual(['record', 'notify', 'apply']);
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
      expect(flow.calls).toEqual(['record', 'notify']);
    }
  );

  it('expires an undecided request after the timeout the input carries', async () => {
    // Prepare
    const flow = run({ expire: () => ({ status: 'EXPIRED' }) }, 1);

    // Act
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(flow.calls).toEqual(['record', 'notify', 'expire']);
  });

  it('still applies a request approved just before it expired', async () => {
    // Prepare
    const flow = run({ expire: () => ({ status: 'APPROVED' }) }, 1);

    // Act
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(flow.calls).toEqual(['record', 'notify', 'expire', 'apply']);
  });

  it('applies at once a re-armed request that was approved meanwhile', async () => {
    // Prepare
    const flow = run({ record: () => ({ status: 'APPROVED' }) });

    // Act
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(flow.calls).toEqual(['record', 'apply']);
  });

  it('ends at once for a request already closed when the execution starts', async () => {
    // Prepare
    const flow = run({ record: () => ({ status: 'CANCELLED' }) });

    // Act
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(flow.calls).toEqual(['record']);
  });

  it('retries transient errors of a step', async () => {
    // Prepare
    let failures = 2;
    const flow = run({
      record: () => (failures-- > 0 ? transient() : { status: 'OPEN' }),
    });

    // Act
    flow.engine.sendTaskSuccess(
      await flow.untilToken(),
      JSON.stringify({ outcome: 'rejected' })
    );
    const description = await flow.untilTerminal();

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(flow.calls).toEqual(['record', 'record', 'record', 'notify']);
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
    expect(flow.calls).toEqual(['record', 'notify', 'apply', 'fail']);
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
    expect(flow.calls).toEqual(['record', 'notify', 'fail']);
  });
});
