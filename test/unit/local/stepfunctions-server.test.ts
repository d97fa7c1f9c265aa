import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JsonValue,
  LocalStepFunctionsEngine,
} from '../../../local/stepfunctions/engine.ts';
import {
  MAX_REQUEST_BODY_BYTES,
  type StepFunctionsServer,
  startStepFunctionsServer,
} from '../../../local/stepfunctions/server.ts';
import {
  pollUntil,
  waitForTerminalStatus,
} from '../../statemachines/support/polling.ts';

const ACCOUNT = '123456789012';
const APPROVAL_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:approval-fixture`;
const RECORD_FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:record-request`;
const NOTIFY_FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:notify-approvers`;

/** taskToken sent to the notify handler, per execution ARN. */
const tokens = new Map<string, string>();
const engine = new LocalStepFunctionsEngine({
  handlers: {
    [RECORD_FN]: () => ({ recordId: 'rec-1' }),
    [NOTIFY_FN]: (payload, { executionArn }) => {
      const token = fieldOf(payload, 'taskToken');
      if (typeof token === 'string') {
        tokens.set(executionArn, token);
      }
    },
  },
});
engine.registerStateMachine({
  stateMachineArn: APPROVAL_ARN,
  definitionPath: fileURLToPath(
    new URL(
      '../../statemachines/fixtures/approval-flow.asl.json',
      import.meta.url
    )
  ),
  substitutions: {
    RecordRequestFunctionArn: RECORD_FN,
    NotifyApproversFunctionArn: NOTIFY_FN,
  },
});

let server: StepFunctionsServer;
let sfn: SFNClient;

beforeAll(async () => {
  server = await startStepFunctionsServer({
    port: 0,
    host: '127.0.0.1',
    engine,
  });
  sfn = new SFNClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  sfn.destroy();
  await server.close();
  await engine.stopAllExecutions();
});

function fieldOf(value: JsonValue, key: string): JsonValue | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? value[key]
    : undefined;
}

async function startApproval(requestId: string, name?: string) {
  return sfn.send(
    new StartExecutionCommand({
      stateMachineArn: APPROVAL_ARN,
      input: JSON.stringify({ requestId }),
      name,
    })
  );
}

/** The callback token of an execution, read through DescribeExecution so an early end fails fast. */
function awaitTaskToken(executionArn: string): Promise<string> {
  return pollUntil(
    async () => {
      const token = tokens.get(executionArn);
      if (token !== undefined) {
        return token;
      }
      const { status, error } = await sfn.send(
        new DescribeExecutionCommand({ executionArn })
      );
      if (status !== 'RUNNING') {
        throw new Error(
          `Execution ended ${status} (${error}) before its callback`
        );
      }
      return undefined;
    },
    { description: `the callback token of ${executionArn}` }
  );
}

function settle(executionArn: string) {
  return waitForTerminalStatus(() =>
    sfn.send(new DescribeExecutionCommand({ executionArn }))
  );
}

function rawRequest(target: string, body: string | Uint8Array) {
  return fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': target,
    },
    body,
  });
}

describe('startStepFunctionsServer', () => {
  describe('listen', () => {
    it('listens on 127.0.0.1 only', async () => {
      // Prepare
      const otherAddresses = Object.values(networkInterfaces())
        .flat()
        .filter((info) => info !== undefined && !info.internal)
        .map((info) => info?.address ?? '');
      const tryConnect = (host: string) =>
        new Promise<string>((resolve) => {
          const socket = connect({ host, port: server.port });
          socket.once('connect', () => {
            socket.destroy();
            resolve('connected');
          });
          socket.once('error', (error: NodeJS.ErrnoException) =>
            resolve(error.code ?? 'error')
          );
        });

      // Act
      const loopback = await tryConnect('127.0.0.1');
      const others = await Promise.all(otherAddresses.map(tryConnect));

      // Assess
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(loopback).toBe('connected');
      expect(others.filter((outcome) => outcome === 'connected')).toEqual([]);
    });
  });

  describe('StartExecution', () => {
    it('starts an execution that DescribeExecution reports with Date timestamps', async () => {
      // Act
      const started = await startApproval('s1', 'server-s1');
      const described = await sfn.send(
        new DescribeExecutionCommand({ executionArn: started.executionArn })
      );

      // Assess
      expect(started.startDate).toBeInstanceOf(Date);
      expect(described).toMatchObject({
        executionArn: started.executionArn,
        stateMachineArn: APPROVAL_ARN,
        name: 'server-s1',
        status: 'RUNNING',
        input: '{"requestId":"s1"}',
      });
      expect(described.startDate).toBeInstanceOf(Date);
      expect(described.startDate?.getTime()).toBe(started.startDate?.getTime());
    });

    it('throws the SDK ExecutionAlreadyExists for a taken name with another input', async () => {
      // Prepare
      await startApproval('s2', 'server-s2');

      // Act
      const attempt = startApproval('other', 'server-s2');

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ExecutionAlreadyExists);
      await expect(attempt).rejects.toMatchObject({
        name: 'ExecutionAlreadyExists',
        $metadata: { httpStatusCode: 400 },
      });
    });
  });

  describe('SendTaskSuccess', () => {
    it('completes the callback state, and the execution succeeds with its output', async () => {
      // Prepare
      const { executionArn } = await startApproval('s3');
      const taskToken = await awaitTaskToken(executionArn ?? '');

      // Act
      await sfn.send(
        new SendTaskSuccessCommand({
          taskToken,
          output: JSON.stringify({ decision: 'approved' }),
        })
      );
      const described = await settle(executionArn ?? '');

      // Assess
      expect(described.status).toBe('SUCCEEDED');
      expect(JSON.parse(described.output ?? 'null')).toMatchObject({
        outcome: 'approved',
        decision: { decision: 'approved' },
      });
      expect(described.stopDate).toBeInstanceOf(Date);
    });

    it('throws the SDK TaskTimedOut for a token already used', async () => {
      // Prepare
      const { executionArn } = await startApproval('s4');
      const taskToken = await awaitTaskToken(executionArn ?? '');
      await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }));

      // Act
      const attempt = sfn.send(
        new SendTaskSuccessCommand({ taskToken, output: '{}' })
      );

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(TaskTimedOut);
      await expect(attempt).rejects.toMatchObject({ name: 'TaskTimedOut' });
    });

    it('throws the SDK InvalidToken for a string that is no task token', async () => {
      // Act
      const attempt = sfn.send(
        new SendTaskSuccessCommand({ taskToken: 'forged', output: '{}' })
      );

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(InvalidToken);
    });
  });

  describe('SendTaskFailure', () => {
    it('fails the callback state with the error that Catch routes', async () => {
      // Prepare
      const { executionArn } = await startApproval('s5');
      const taskToken = await awaitTaskToken(executionArn ?? '');

      // Act
      await sfn.send(
        new SendTaskFailureCommand({
          taskToken,
          error: 'DecisionRejected',
          cause: 'not ready',
        })
      );
      const described = await settle(executionArn ?? '');

      // Assess
      expect(described.status).toBe('SUCCEEDED');
      expect(JSON.parse(described.output ?? 'null')).toEqual({
        outcome: 'rejected',
        error: { Error: 'DecisionRejected', Cause: 'not ready' },
      });
    });
  });

  describe('StopExecution', () => {
    it('aborts the execution, which DescribeExecution then reports', async () => {
      // Prepare
      const { executionArn } = await startApproval('s6');

      // Act
      const stopped = await sfn.send(
        new StopExecutionCommand({
          executionArn,
          error: 'RequestCancelled',
          cause: 'withdrawn',
        })
      );
      const described = await settle(executionArn ?? '');

      // Assess
      expect(stopped.stopDate).toBeInstanceOf(Date);
      expect(described).toMatchObject({
        status: 'ABORTED',
        error: 'RequestCancelled',
        cause: 'withdrawn',
      });
    });
  });

  describe('DescribeExecution', () => {
    it('throws the SDK ExecutionDoesNotExist for an unknown execution', async () => {
      // Act
      const attempt = sfn.send(
        new DescribeExecutionCommand({
          executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:approval-fixture:nope`,
        })
      );

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ExecutionDoesNotExist);
      await expect(attempt).rejects.toMatchObject({
        name: 'ExecutionDoesNotExist',
      });
    });
  });

  describe('ListExecutions', () => {
    it('lists the executions of a state machine with the status asked for', async () => {
      // Prepare
      const { executionArn } = await startApproval('s7', 'server-s7');
      await sfn.send(new StopExecutionCommand({ executionArn }));

      // Act
      const aborted = await sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: APPROVAL_ARN,
          statusFilter: 'ABORTED',
        })
      );

      // Assess
      expect(aborted.executions?.map((execution) => execution.name)).toContain(
        'server-s7'
      );
      expect(
        aborted.executions?.every(
          (execution) =>
            execution.status === 'ABORTED' && execution.stopDate instanceof Date
        )
      ).toBe(true);
    });
  });

  describe('protocol', () => {
    it('answers an operation it does not serve with 400 UnknownOperationException', async () => {
      // Act
      const response = await rawRequest(
        'AWSStepFunctions.CreateStateMachine',
        '{}'
      );

      // Assess
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        __type: 'UnknownOperationException',
      });
    });

    it('answers a body over 1 MiB with 413', async () => {
      // Act
      const response = await rawRequest(
        'AWSStepFunctions.StartExecution',
        new Uint8Array(MAX_REQUEST_BODY_BYTES + 1).fill(0x20)
      );

      // Assess
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({
        __type: 'RequestEntityTooLargeException',
      });
    });

    it('answers a body that is not JSON with 400 SerializationException', async () => {
      // Act
      const response = await rawRequest(
        'AWSStepFunctions.DescribeExecution',
        'executionArn='
      );

      // Assess
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        __type: 'SerializationException',
      });
    });
  });
});
