import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { LambdaRegistrationQueue } from '#adapters/lambda/registration-queue.ts';
import { type LambdaServer, startLambdaServer } from '#local/lambda/server.ts';

let server: LambdaServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function queue(url: string, functionName: string) {
  return new LambdaRegistrationQueue({
    client: new LambdaClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    functionName,
  });
}

describe('local Lambda endpoint', () => {
  it('accepts an asynchronous invocation at once and runs the handler on a later tick', async () => {
    // Prepare
    const events: unknown[] = [];
    let resolveRan: () => void = () => undefined;
    const ran = new Promise<void>((resolve) => {
      resolveRan = resolve;
    });
    server = await startLambdaServer({
      functions: {
        registration: async () => async (event, context) => {
          expect(context.getRemainingTimeInMillis()).toBeGreaterThan(
            14 * 60_000
          );
          events.push(event);
          resolveRan();
        },
      },
    });
    const job = { modelId: 'm', version: 1, uploadId: 'u' };

    // Act
    await queue(server.url, 'registration').enqueue(job);
    await ran;

    // Assess
    expect(events).toEqual([job]);
  });

  it('invokes a qualified name (the live alias), as Lambda does', async () => {
    // Prepare
    const events: unknown[] = [];
    let resolveRan: () => void = () => undefined;
    const ran = new Promise<void>((resolve) => {
      resolveRan = resolve;
    });
    server = await startLambdaServer({
      functions: {
        registration: async () => async (event) => {
          events.push(event);
          resolveRan();
        },
      },
    });

    // Act
    await queue(server.url, 'registration:live').enqueue({
      modelId: 'm',
      version: 1,
      uploadId: 'u',
    });
    await ran;

    // Assess
    expect(events).toHaveLength(1);
  });

  it("ends an invocation at its function's timeout, as Lambda does", async () => {
    // Prepare
    const failures: string[] = [];
    let remaining: number | undefined;
    let reported: () => void = () => undefined;
    const failed = new Promise<void>((resolve) => {
      reported = resolve;
    });
    server = await startLambdaServer({
      functions: {
        slow: async () => (_event, context) => {
          remaining = context.getRemainingTimeInMillis();
          return new Promise(() => undefined);
        },
      },
      timeoutsMs: { slow: 50 },
      onAsyncError: (name, error) => {
        failures.push(`${name}: ${(error as Error).name}`);
        reported();
      },
    });

    // Act
    await queue(server.url, 'slow').enqueue({
      modelId: 'm',
      version: 1,
      uploadId: 'u',
    });
    await failed;

    // Assess
    expect(failures).toEqual(['slow: Sandbox.Timedout']);
    expect(remaining).toBeLessThanOrEqual(50);
  });

  it('answers an unknown function with ResourceNotFoundException', async () => {
    server = await startLambdaServer({ functions: {} });
    await expect(
      queue(server.url, 'nope').enqueue({
        modelId: 'm',
        version: 1,
        uploadId: 'u',
      })
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('reports a failing asynchronous handler without failing the caller', async () => {
    // Prepare
    const failures: string[] = [];
    server = await startLambdaServer({
      functions: {
        broken: async () => async () => {
          throw new Error('boom');
        },
      },
      onAsyncError: (name, error) =>
        failures.push(`${name}: ${(error as Error).message}`),
    });

    // Act
    await queue(server.url, 'broken').enqueue({
      modelId: 'm',
      version: 1,
      uploadId: 'u',
    });
    await server.drain();

    // Assess
    expect(failures).toEqual(['broken: boom']);
  });
});
