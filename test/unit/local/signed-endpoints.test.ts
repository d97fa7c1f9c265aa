import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { type LambdaServer, startLambdaServer } from '#local/lambda/server.ts';
import { hasValidSignature } from '#local/sigv4.ts';
import { LocalStepFunctionsEngine } from '#local/stepfunctions/engine.ts';
import {
  type StepFunctionsServer,
  startStepFunctionsServer,
} from '#local/stepfunctions/server.ts';

/**
 * The local Lambda and Step Functions endpoints listen on loopback ports
 * that every local account can reach; given the data directory's
 * credentials, they serve only requests the AWS SDK signed with them.
 */

const owner = {
  accessKeyId: 'SGOWNER0000000001',
  secretAccessKey: 's'.repeat(40),
};
const stranger = { ...owner, secretAccessKey: 't'.repeat(40) };
const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:fixture';

let lambda: LambdaServer | undefined;
let sfn: StepFunctionsServer | undefined;

afterEach(async () => {
  await lambda?.close();
  await sfn?.close();
  lambda = undefined;
  sfn = undefined;
});

function lambdaClient(url: string, credentials: typeof owner) {
  return new LambdaClient({ endpoint: url, region: 'us-east-1', credentials });
}

describe('signed local endpoints', () => {
  it('the Lambda endpoint runs only invocations signed with the credentials', async () => {
    // Prepare
    const ran: unknown[] = [];
    lambda = await startLambdaServer({
      functions: {
        registration: async () => async (event) => {
          ran.push(event);
          return { ok: true };
        },
      },
      credentials: owner,
    });
    const invoke = (credentials: typeof owner, name: string) =>
      lambdaClient(lambda?.url ?? '', credentials)
        .send(
          new InvokeCommand({
            FunctionName: name,
            Payload: new TextEncoder().encode('{"n":1}'),
          })
        )
        .then((result) => result.StatusCode)
        .catch((error: Error) => error.name);

    // Act
    const signed = await invoke(owner, 'registration');
    // The name as an ARN: its colons are percent-encoded in the path.
    const signedByArn = await invoke(
      owner,
      'arn:aws:lambda:us-east-1:000000000000:function:registration'
    );
    const forged = await invoke(stranger, 'registration');
    const unsigned = await fetch(
      `${lambda.url}/2015-03-31/functions/registration/invocations`,
      { method: 'POST', body: '{"n":2}' }
    );

    // Assess
    expect(signed).toBe(200);
    expect(signedByArn).toBe(200);
    expect(forged).toBe('InvalidSignatureException');
    expect(unsigned.status).toBe(403);
    expect(ran).toEqual([{ n: 1 }, { n: 1 }]);
  });

  it('the Step Functions endpoint starts executions only for signed requests', async () => {
    // Prepare
    const engine = new LocalStepFunctionsEngine({ handlers: {} });
    engine.registerStateMachine({
      stateMachineArn: ARN,
      definitionPath: fileURLToPath(
        new URL(
          '../../statemachines/fixtures/approval-flow.asl.json',
          import.meta.url
        )
      ),
      substitutions: {
        RecordRequestFunctionArn: 'arn:aws:lambda:us-east-1:0:function:r',
        NotifyApproversFunctionArn: 'arn:aws:lambda:us-east-1:0:function:n',
      },
    });
    sfn = await startStepFunctionsServer({
      port: 0,
      engine,
      credentials: owner,
      onInternalError: () => undefined,
    });
    const start = (credentials: typeof owner) =>
      new SFNClient({ endpoint: sfn?.url, region: 'us-east-1', credentials })
        .send(new StartExecutionCommand({ stateMachineArn: ARN, input: '{}' }))
        .then((result) => result.executionArn?.startsWith('arn:') ?? false)
        .catch((error: Error) => error.name);

    // Act
    const signed = await start(owner);
    const forged = await start(stranger);
    const unsigned = await fetch(sfn.url, {
      method: 'POST',
      headers: {
        'x-amz-target': 'AWSStepFunctions.StartExecution',
        'content-type': 'application/x-amz-json-1.0',
      },
      body: JSON.stringify({ stateMachineArn: ARN, input: '{}' }),
    });
    await engine.stopAllExecutions();

    // Assess
    expect(signed).toBe(true);
    expect(forged).toBe('InvalidSignatureException');
    expect(unsigned.status).toBe(403);
  });

  it('refuses a signature replayed more than 15 minutes later', async () => {
    // Prepare: a request as the SDK signs it, captured on the wire
    let captured: Parameters<typeof hasValidSignature>[0] | undefined;
    lambda = await startLambdaServer({ functions: {} });
    const client = lambdaClient(lambda.url, owner);
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as {
          method: string;
          path: string;
          headers: Record<string, string>;
          body: Uint8Array;
        };
        captured = {
          method: request.method,
          url: request.path,
          headers: Object.fromEntries(
            Object.entries(request.headers).map(([k, v]) => [
              k.toLowerCase(),
              v,
            ])
          ),
          body: Buffer.from(request.body),
        };
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'capture' }
    );
    await client
      .send(
        new InvokeCommand({
          FunctionName: 'f',
          Payload: new TextEncoder().encode('{}'),
        })
      )
      .catch(() => undefined);
    if (!captured) throw new Error('nothing captured');

    // Act
    const now = hasValidSignature(captured, owner);
    const later = hasValidSignature(captured, owner, Date.now() + 16 * 60_000);
    const tampered = hasValidSignature(
      { ...captured, body: Buffer.from('{"x":1}') },
      owner
    );

    // Assess
    expect(now).toBe(true);
    expect(later).toBe(false);
    expect(tampered).toBe(false);
  });
});
