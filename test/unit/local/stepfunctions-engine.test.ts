import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type JsonValue,
  LocalStepFunctionsEngine,
  LocalStepFunctionsError,
  type TaskHandler,
} from '../../../local/stepfunctions/engine.ts';
import {
  pollUntil,
  waitForTerminalStatus,
} from '../../statemachines/support/polling.ts';

const ACCOUNT = '123456789012';
const APPROVAL_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:approval-fixture`;
const CALLBACK_TIMEOUT_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:callback-timeout`;
const EXECUTION_TIMEOUT_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:execution-timeout`;
const RECORD_FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:record-request`;
const NOTIFY_FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:notify-approvers`;
const SUBSTITUTIONS = {
  RecordRequestFunctionArn: RECORD_FN,
  NotifyApproversFunctionArn: NOTIFY_FN,
};
/** Shaped like a token, but never handed out. */
const UNKNOWN_TOKEN = 'A'.repeat(43);

const fixture = (file: string) =>
  fileURLToPath(
    new URL(`../../statemachines/fixtures/${file}`, import.meta.url)
  );

class TransientError extends Error {
  override readonly name = 'TransientError';
}

interface Notification {
  readonly executionArn: string;
  readonly payload: Record<string, JsonValue>;
}

interface Harness {
  readonly engine: LocalStepFunctionsEngine;
  readonly notifications: Notification[];
  readonly recordCalls: JsonValue[];
}

/**
 * An engine with the three fixtures registered. The record handler answers
 * `{recordId: 'rec-<requestId>'}` and the notify handler records what it was
 * sent, unless a test passes its own behaviour.
 */
function createHarness(
  behaviour: {
    recordRequest?: TaskHandler;
    notifyApprovers?: TaskHandler;
    handlers?: Record<string, TaskHandler>;
  } = {}
): Harness {
  const notifications: Notification[] = [];
  const recordCalls: JsonValue[] = [];
  const engine = new LocalStepFunctionsEngine({
    retryDelayMs: 0,
    handlers: behaviour.handlers ?? {
      [RECORD_FN]: (payload, invocation) => {
        recordCalls.push(payload);
        return behaviour.recordRequest
          ? behaviour.recordRequest(payload, invocation)
          : { recordId: `rec-${field(payload, 'requestId')}` };
      },
      // By bare name: the ARN in Parameters.FunctionName must still find it.
      'notify-approvers': (payload, invocation) => {
        notifications.push({
          executionArn: invocation.executionArn,
          payload: asObject(payload),
        });
        return behaviour.notifyApprovers?.(payload, invocation);
      },
    },
  });
  // Per test rather than afterEach, so concurrent tests keep their engines.
  onTestFinished(() => engine.stopAllExecutions());
  for (const [stateMachineArn, file] of [
    [APPROVAL_ARN, 'approval-flow.asl.json'],
    [CALLBACK_TIMEOUT_ARN, 'callback-timeout.asl.json'],
    [EXECUTION_TIMEOUT_ARN, 'execution-timeout.asl.json'],
  ] as const) {
    engine.registerStateMachine({
      stateMachineArn,
      definitionPath: fixture(file),
      substitutions: SUBSTITUTIONS,
    });
  }
  return { engine, notifications, recordCalls };
}

/** The token of the nth callback the execution sent; fails as soon as the execution ends without one. */
function awaitTaskToken(
  { engine, notifications }: Harness,
  executionArn: string,
  nth = 0
): Promise<string> {
  return pollUntil(
    () => {
      const token = notifications.filter(
        (notification) => notification.executionArn === executionArn
      )[nth]?.payload.taskToken;
      if (typeof token === 'string') {
        return token;
      }
      const { status, error, cause } = engine.describeExecution(executionArn);
      if (status !== 'RUNNING') {
        throw new Error(
          `Execution ended ${status} (${error}: ${cause}) before callback ${nth} was sent`
        );
      }
      return undefined;
    },
    { description: `callback ${nth} of ${executionArn}` }
  );
}

function settle({ engine }: Harness, executionArn: string) {
  return waitForTerminalStatus(() => engine.describeExecution(executionArn));
}

function asObject(value: JsonValue | undefined): Record<string, JsonValue> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`Expected a JSON object, got ${JSON.stringify(value)}`);
  }
  return value;
}

function field(value: JsonValue, key: string): JsonValue | undefined {
  return asObject(value)[key];
}

function outputOf(description: { output?: string | undefined }): JsonValue {
  if (description.output === undefined) {
    throw new Error('The execution has no output');
  }
  return JSON.parse(description.output) as JsonValue;
}

function catchError(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('Expected an error');
}

describe('LocalStepFunctionsEngine', () => {
  describe('registerStateMachine', () => {
    it('rejects a definition that still has an unsubstituted placeholder', () => {
      // Prepare
      const { engine } = createHarness();

      // Act
      const error = catchError(() =>
        engine.registerStateMachine({
          stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:partial`,
          definitionPath: fixture('approval-flow.asl.json'),
          substitutions: { RecordRequestFunctionArn: RECORD_FN },
        })
      );

      // Assess
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({
        name: 'InvalidDefinition',
        code: 'InvalidDefinition',
        message: expect.stringMatching(/\$\{NotifyApproversFunctionArn\}/),
      });
    });

    it('rejects a state machine ARN that is not one', () => {
      // Prepare
      const { engine } = createHarness();

      // Act
      const error = catchError(() =>
        engine.registerStateMachine({
          stateMachineArn: 'approval-fixture',
          definitionPath: fixture('approval-flow.asl.json'),
          substitutions: SUBSTITUTIONS,
        })
      );

      // Assess
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({ name: 'InvalidArn' });
    });
  });

  describe('startExecution', () => {
    it('gives lambda:invoke results the AWS shape, so ResultSelector reads $.Payload', async () => {
      // Prepare
      const harness = createHarness();

      // Act
      const { executionArn, startDate } = harness.engine.startExecution(
        APPROVAL_ARN,
        JSON.stringify({ requestId: 'r1' })
      );
      await awaitTaskToken(harness, executionArn);

      // Assess
      expect(startDate).toBeInstanceOf(Date);
      expect(executionArn).toBe(
        `arn:aws:states:us-east-1:${ACCOUNT}:execution:approval-fixture:${harness.engine.describeExecution(executionArn).name}`
      );
      expect(harness.recordCalls).toEqual([{ requestId: 'r1' }]);
      expect(harness.notifications[0]?.payload).toMatchObject({
        requestId: 'r1',
        executionId: executionArn,
        record: {
          recordId: 'rec-r1',
          statusCode: 200,
          executedVersion: '$LATEST',
        },
      });
    });

    it('returns the running execution when started again with its name and input', () => {
      // Prepare
      const { engine } = createHarness();
      const input = JSON.stringify({ requestId: 'r2' });
      const first = engine.startExecution(APPROVAL_ARN, input, 'request-r2');

      // Act
      const second = engine.startExecution(APPROVAL_ARN, input, 'request-r2');

      // Assess
      expect(second).toEqual(first);
    });

    it('rejects the name of a running execution with another input', () => {
      // Prepare
      const { engine } = createHarness();
      engine.startExecution(APPROVAL_ARN, '{"requestId":"r3"}', 'request-r3');

      // Act
      const error = catchError(() =>
        engine.startExecution(
          APPROVAL_ARN,
          '{"requestId":"other"}',
          'request-r3'
        )
      );

      // Assess
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({ name: 'ExecutionAlreadyExists' });
    });

    it('rejects input that is not JSON', () => {
      // Prepare
      const { engine } = createHarness();

      // Act
      const error = catchError(() =>
        engine.startExecution(APPROVAL_ARN, '{requestId: r4}')
      );

      // Assess
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({ name: 'InvalidExecutionInput' });
    });

    it('rejects a state machine that was never registered', () => {
      // Prepare
      const { engine } = createHarness();

      // Act
      const error = catchError(() =>
        engine.startExecution(
          `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:unknown`,
          '{}'
        )
      );

      // Assess
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({ name: 'StateMachineDoesNotExist' });
    });

    it('fails a Lambda task whose function has no local handler with Lambda.ResourceNotFoundException', async () => {
      // Prepare
      const { engine } = createHarness({ handlers: {} });

      // Act
      const { executionArn } = engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"r5"}'
      );
      const description = await waitForTerminalStatus(() =>
        engine.describeExecution(executionArn)
      );

      // Assess
      expect(description).toMatchObject({
        status: 'FAILED',
        error: 'Lambda.ResourceNotFoundException',
        cause: expect.stringContaining(RECORD_FN),
      });
    });
  });

  describe('Retry', () => {
    it('retries a handler error by its name and counts the attempts', async () => {
      // Prepare
      let failuresLeft = 2;
      const harness = createHarness({
        recordRequest: () => {
          if (failuresLeft > 0) {
            failuresLeft -= 1;
            throw new TransientError('table busy');
          }
          return { recordId: 'rec-after-retries' };
        },
      });

      // Act
      const { executionArn } = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"r6"}'
      );
      await awaitTaskToken(harness, executionArn);
      const history = await harness.engine.getExecutionHistory(executionArn);

      // Assess
      expect(harness.recordCalls).toHaveLength(3);
      expect(
        history.filter(
          (event) =>
            event.type === 'StateRetried' &&
            event.state.name === 'RecordRequest'
        )
      ).toHaveLength(2);
      expect(harness.notifications[0]?.payload.record).toMatchObject({
        recordId: 'rec-after-retries',
      });
    });

    it('hands a Lambda-style error to Catch once the retries are exhausted', async () => {
      // Prepare
      const harness = createHarness({
        recordRequest: () => {
          throw new TransientError('table busy');
        },
      });

      // Act
      const { executionArn } = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"r7"}'
      );
      const description = await settle(harness, executionArn);

      // Assess
      expect(harness.recordCalls).toHaveLength(3);
      expect(description).toMatchObject({
        status: 'FAILED',
        error: 'TransientError',
      });
      expect(JSON.parse(description.cause ?? '')).toMatchObject({
        errorType: 'TransientError',
        errorMessage: 'table busy',
        trace: expect.any(Array),
      });
    });

    it('gives a retried callback state a fresh token and retires the old one', async () => {
      // Prepare
      let failuresLeft = 1;
      const harness = createHarness({
        notifyApprovers: () => {
          if (failuresLeft > 0) {
            failuresLeft -= 1;
            throw new TransientError('chat unavailable');
          }
        },
      });
      const { executionArn } = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"r8"}'
      );
      const firstToken = await awaitTaskToken(harness, executionArn, 0);

      // Act
      const secondToken = await awaitTaskToken(harness, executionArn, 1);
      const error = catchError(() =>
        harness.engine.sendTaskSuccess(firstToken, '{}')
      );

      // Assess
      expect(secondToken).not.toBe(firstToken);
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({ name: 'TaskTimedOut' });
      expect(harness.engine.describeExecution(executionArn).status).toBe(
        'RUNNING'
      );
    });
  });

  describe('sendTaskSuccess', () => {
    it('completes the callback state with the output, and the execution succeeds', async () => {
      // Prepare
      const harness = createHarness();
      const { executionArn } = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"r9"}'
      );
      const taskToken = await awaitTaskToken(harness, executionArn);

      // Act
      harness.engine.sendTaskSuccess(
        taskToken,
        JSON.stringify({ decision: 'approved', by: 'alice' })
      );
      const description = await settle(harness, executionArn);

      // Assess
      expect(description.status).toBe('SUCCEEDED');
      expect(outputOf(description)).toEqual({
        outcome: 'approved',
        decision: { decision: 'approved', by: 'alice' },
        record: {
          recordId: 'rec-r9',
          statusCode: 200,
          executedVersion: '$LATEST',
        },
      });
      expect(description.stopDate).toBeInstanceOf(Date);
    });

    it('hands out a different token to every execution', async () => {
      // Prepare
      const harness = createHarness();
      const a = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"a"}'
      );
      const b = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"b"}'
      );

      // Act
      const tokens = await Promise.all([
        awaitTaskToken(harness, a.executionArn),
        awaitTaskToken(harness, b.executionArn),
      ]);

      // Assess
      expect(new Set(tokens).size).toBe(2);
    });

    it('rejects a token that was already used with TaskTimedOut', async () => {
      // Prepare
      const harness = createHarness();
      const { executionArn } = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"r10"}'
      );
      const taskToken = await awaitTaskToken(harness, executionArn);
      harness.engine.sendTaskSuccess(taskToken, '{"decision":"approved"}');

      // Act
      const error = catchError(() =>
        harness.engine.sendTaskSuccess(taskToken, '{"decision":"approved"}')
      );

      // Assess
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({
        name: 'TaskTimedOut',
        code: 'TaskTimedOut',
      });
    });

    it('rejects a well-formed token it never handed out with TaskTimedOut', () => {
      // Prepare
      const { engine } = createHarness();

      // Act
      const error = catchError(() =>
        engine.sendTaskSuccess(UNKNOWN_TOKEN, '{}')
      );

      // Assess
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({ name: 'TaskTimedOut' });
    });

    it('rejects a string that is not a task token with InvalidToken', () => {
      // Prepare
      const { engine } = createHarness();

      // Act
      const error = catchError(() =>
        engine.sendTaskSuccess('not-a-token', '{}')
      );

      // Assess
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({ name: 'InvalidToken' });
    });

    it('rejects output that is not JSON with InvalidOutput and keeps the token valid', async () => {
      // Prepare
      const harness = createHarness();
      const { executionArn } = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"r11"}'
      );
      const taskToken = await awaitTaskToken(harness, executionArn);

      // Act
      const error = catchError(() =>
        harness.engine.sendTaskSuccess(taskToken, 'approved')
      );
      harness.engine.sendTaskSuccess(taskToken, '"approved"');
      const description = await settle(harness, executionArn);

      // Assess
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({ name: 'InvalidOutput' });
      expect(description.status).toBe('SUCCEEDED');
    });
  });

  describe('sendTaskFailure', () => {
    it('fails the callback state with the error and cause, which Catch routes', async () => {
      // Prepare
      const harness = createHarness();
      const { executionArn } = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"r12"}'
      );
      const taskToken = await awaitTaskToken(harness, executionArn);

      // Act
      harness.engine.sendTaskFailure(
        taskToken,
        'DecisionRejected',
        'bob rejected the request'
      );
      const description = await settle(harness, executionArn);

      // Assess
      expect(description.status).toBe('SUCCEEDED');
      expect(outputOf(description)).toEqual({
        outcome: 'rejected',
        error: { Error: 'DecisionRejected', Cause: 'bob rejected the request' },
      });
    });
  });

  describe('sendTaskHeartbeat', () => {
    it('accepts a waiting token and rejects it once answered', async () => {
      // Prepare
      const harness = createHarness();
      const { executionArn } = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"r13"}'
      );
      const taskToken = await awaitTaskToken(harness, executionArn);

      // Act
      harness.engine.sendTaskHeartbeat(taskToken);
      harness.engine.sendTaskSuccess(taskToken, '{}');
      const error = catchError(() =>
        harness.engine.sendTaskHeartbeat(taskToken)
      );

      // Assess
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({ name: 'TaskTimedOut' });
    });
  });

  // Concurrent: each test waits out a real 1-second timeout.
  describe.concurrent('TimeoutSeconds', () => {
    it('fails a callback state unanswered after 1 second with States.Timeout, which Catch routes', async ({
      expect,
    }) => {
      // Prepare
      const harness = createHarness();
      const startedAt = Date.now();
      const { executionArn } = harness.engine.startExecution(
        CALLBACK_TIMEOUT_ARN,
        '{}'
      );
      const taskToken = await awaitTaskToken(harness, executionArn);

      // Act
      const description = await settle(harness, executionArn);
      const lateAnswer = catchError(() =>
        harness.engine.sendTaskSuccess(taskToken, '{}')
      );

      // Assess
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(950);
      expect(description.status).toBe('SUCCEEDED');
      expect(outputOf(description)).toMatchObject({
        outcome: 'expired',
        error: { Error: 'States.Timeout' },
      });
      expect(lateAnswer).toBeInstanceOf(LocalStepFunctionsError);
      expect(lateAnswer).toMatchObject({ name: 'TaskTimedOut' });
    });

    it('ends an execution past its own TimeoutSeconds as TIMED_OUT and retires its token', async ({
      expect,
    }) => {
      // Prepare
      const harness = createHarness();
      const { executionArn } = harness.engine.startExecution(
        EXECUTION_TIMEOUT_ARN,
        '{}'
      );
      const taskToken = await awaitTaskToken(harness, executionArn);

      // Act
      const description = await settle(harness, executionArn);
      const lateAnswer = catchError(() =>
        harness.engine.sendTaskSuccess(taskToken, '{}')
      );

      // Assess
      expect(description).toMatchObject({
        status: 'TIMED_OUT',
        error: 'States.Timeout',
      });
      expect(lateAnswer).toBeInstanceOf(LocalStepFunctionsError);
      expect(lateAnswer).toMatchObject({ name: 'TaskTimedOut' });
    });
  });

  describe('stopExecution', () => {
    it('aborts a waiting execution with the error and cause, and retires its token', async () => {
      // Prepare
      const harness = createHarness();
      const { executionArn } = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"r14"}'
      );
      const taskToken = await awaitTaskToken(harness, executionArn);

      // Act
      const { stopDate } = harness.engine.stopExecution(
        executionArn,
        'RequestCancelled',
        'cancelled by its author'
      );
      const description = await settle(harness, executionArn);
      const lateAnswer = catchError(() =>
        harness.engine.sendTaskSuccess(taskToken, '{}')
      );

      // Assess
      expect(description).toMatchObject({
        status: 'ABORTED',
        error: 'RequestCancelled',
        cause: 'cancelled by its author',
        stopDate,
      });
      expect(lateAnswer).toBeInstanceOf(LocalStepFunctionsError);
      expect(lateAnswer).toMatchObject({ name: 'TaskTimedOut' });
    });

    it('rejects an execution that does not exist', () => {
      // Prepare
      const { engine } = createHarness();

      // Act
      const error = catchError(() =>
        engine.stopExecution(
          `arn:aws:states:us-east-1:${ACCOUNT}:execution:approval-fixture:missing`
        )
      );

      // Assess
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect(error).toMatchObject({ name: 'ExecutionDoesNotExist' });
    });
  });

  describe('listExecutions', () => {
    it('lists the executions of a state machine by status, newest first', async () => {
      // Prepare
      const harness = createHarness();
      const waiting = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"w"}',
        'waiting'
      );
      const stopped = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"s"}',
        'stopped'
      );
      harness.engine.stopExecution(stopped.executionArn);
      const newer = harness.engine.startExecution(
        APPROVAL_ARN,
        '{"requestId":"n"}',
        'newer'
      );

      // Act
      const running = harness.engine.listExecutions({
        stateMachineArn: APPROVAL_ARN,
        statusFilter: 'RUNNING',
      });
      const all = harness.engine.listRunningExecutions();

      // Assess
      expect(running.executions.map((execution) => execution.name)).toEqual([
        'newer',
        'waiting',
      ]);
      expect(all.map((execution) => execution.executionArn)).toEqual([
        waiting.executionArn,
        newer.executionArn,
      ]);
    });

    it('pages with nextToken', () => {
      // Prepare
      const { engine } = createHarness();
      for (const name of ['one', 'two', 'three']) {
        engine.startExecution(APPROVAL_ARN, '{"requestId":"p"}', name);
      }

      // Act
      const first = engine.listExecutions({
        stateMachineArn: APPROVAL_ARN,
        maxResults: 2,
      });
      const second = engine.listExecutions({
        stateMachineArn: APPROVAL_ARN,
        maxResults: 2,
        nextToken: first.nextToken,
      });

      // Assess
      expect(first.executions.map((execution) => execution.name)).toEqual([
        'three',
        'two',
      ]);
      expect(second).toEqual({
        executions: [expect.objectContaining({ name: 'one' })],
      });
    });
  });
});
