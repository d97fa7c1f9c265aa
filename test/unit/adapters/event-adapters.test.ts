import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { QueueDoesNotExist, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeBus } from '#adapters/aws/eventbridge-bus.ts';
import {
  deadLetterQueueUrl,
  SqsDeliveryQueue,
} from '#adapters/aws/sqs-delivery-queue.ts';
import { FileEventBus } from '#adapters/events/file-event-bus.ts';
import { FileDeliveryQueue } from '#adapters/queue/file-delivery-queue.ts';
import { busEntries, registeredModelCreated } from '#domain/events.ts';
import { hasValidSignature } from '#local/sigv4.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-events-'));
  dirs.push(dir);
  return dir;
}

const message = (index: number) => ({
  webhookId: 'a'.repeat(32),
  deliveryId: index.toString(16).padStart(32, '0'),
});

describe('FileDeliveryQueue', () => {
  it('hands out due messages earliest first, and holds delayed ones', async () => {
    // Prepare
    const queue = new FileDeliveryQueue(tempDir());
    await queue.enqueue([message(1)], 60_000);
    await queue.enqueue([message(2), message(3)]);

    // Act
    const now = queue.take(Date.now(), 10);

    // Assess
    // Due at once: both, in either order (same due time).
    expect(now.map((taken) => taken.message.deliveryId).sort()).toEqual([
      message(2).deliveryId,
      message(3).deliveryId,
    ]);
    expect(queue.nextDue()).toBeGreaterThan(Date.now() + 50_000);
    expect(queue.take(Date.now() + 61_000, 10).map((t) => t.message)).toEqual([
      message(1),
    ]);
  });

  it('forgets acknowledged messages, queues released ones again, and recovers what a killed consumer held', async () => {
    // Prepare
    const dir = tempDir();
    const queue = new FileDeliveryQueue(dir);
    await queue.enqueue([message(1), message(2), message(3)]);
    const [done, again, held] = queue.take(Date.now(), 3);
    if (!done || !again || !held) throw new Error('not taken');

    // Act
    queue.ack(done.receipt);
    queue.release(again.receipt, 0);
    const restarted = new FileDeliveryQueue(dir);
    const recovered = restarted.recover();

    // Assess
    expect(recovered).toBe(1);
    expect(
      restarted
        .take(Date.now(), 10)
        .map((taken) => taken.message.deliveryId)
        .sort()
    ).toEqual([again.message.deliveryId, held.message.deliveryId].sort());
  });

  it('keeps dead letters apart, and wakes its consumer on enqueue', async () => {
    // Prepare
    const queue = new FileDeliveryQueue(tempDir());
    let woken = 0;
    const stop = queue.onEnqueue(() => {
      woken += 1;
    });

    // Act
    await queue.deadLetter(message(7));
    await queue.enqueue([message(8)]);
    stop();
    await queue.enqueue([message(9)]);

    // Assess
    expect(queue.deadLetters()).toEqual([message(7)]);
    expect(woken).toBe(1);
    expect(queue.take(Date.now(), 10)).toHaveLength(2);
  });
});

describe('FileEventBus', () => {
  it('appends one EventBridge-shaped line per entry', async () => {
    // Prepare
    const file = join(tempDir(), 'events.jsonl');
    const bus = new FileEventBus(file);
    const event = registeredModelCreated(
      { id: 'e'.repeat(32), at: 1_700_000_000_000 },
      { id: 'm'.repeat(32), name: 'fraud', userId: 'bob' }
    );

    // Act
    await bus.publish(busEntries(event, 'fraud'));
    await bus.publish([]);

    // Assess
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      'detail-type': 'REGISTERED_MODEL_CREATED',
      source: 'stagegate.registry',
      time: '2023-11-14T22:13:20.000Z',
      resources: [],
      detail: expect.objectContaining({
        event: 'REGISTERED_MODEL_CREATED',
        model_id: 'm'.repeat(32),
        model_name: 'fraud',
      }),
    });
  });
});

describe('AWS adapters (SQS, EventBridge)', () => {
  const credentials = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  };
  let server: Server;
  let endpoint: string;
  const calls: {
    headers: IncomingHttpHeaders;
    body: string;
    signed: boolean;
  }[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: {} };

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        calls.push({
          headers: request.headers,
          body: body.toString('utf8'),
          signed: hasValidSignature(
            {
              method: request.method ?? '',
              url: request.url ?? '/',
              headers: request.headers,
              body,
            },
            credentials
          ),
        });
        response.writeHead(answer.status, {
          'content-type': 'application/x-amz-json-1.0',
        });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve())
    );
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  // The SDK's own clients, pointed at the stand-in: what is asserted is
  // what goes over the wire, signed with SigV4.
  const config = () => ({
    region: 'eu-west-1',
    endpoint,
    credentials,
    maxAttempts: 1,
  });

  it('sends deliveries to SQS in signed batches of 10, at most 15 minutes late, and dead letters to the -dlq queue', async () => {
    // Prepare
    calls.length = 0;
    answer = { status: 200, body: { Successful: [] } };
    const queueUrl =
      'https://sqs.eu-west-1.amazonaws.com/1/x-webhook-deliveries';
    const queue = new SqsDeliveryQueue({
      queueUrl,
      client: new SQSClient(config()),
    });

    // Act
    await queue.enqueue(
      Array.from({ length: 12 }, (_, index) => message(index)),
      3_600_000
    );
    await queue.deadLetter(message(1));

    // Assess
    expect(calls.map((call) => call.headers['x-amz-target'])).toEqual([
      'AmazonSQS.SendMessageBatch',
      'AmazonSQS.SendMessageBatch',
      'AmazonSQS.SendMessageBatch',
    ]);
    expect(calls.every((call) => call.signed)).toBe(true);
    const [first, second, dead] = calls.map((call) => JSON.parse(call.body));
    expect(first.Entries).toHaveLength(10);
    expect(second.Entries).toHaveLength(2);
    expect(first.Entries[0]).toEqual({
      Id: '0',
      MessageBody: JSON.stringify(message(0)),
      DelaySeconds: 900,
    });
    expect(dead.QueueUrl).toBe(`${queueUrl}-dlq`);
    expect(deadLetterQueueUrl(`${queueUrl}/`)).toBe(`${queueUrl}-dlq`);
  });

  it('fails when SQS refuses part of a batch, or answers an error', async () => {
    // Prepare
    const queue = new SqsDeliveryQueue({
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q',
      client: new SQSClient(config()),
    });

    // Act
    answer = {
      status: 200,
      body: { Failed: [{ Id: '0', Code: 'InternalError' }] },
    };
    const partial = await queue.enqueue([message(1)]).catch((e) => e);
    answer = {
      status: 400,
      body: {
        __type: 'com.amazonaws.sqs#QueueDoesNotExist',
        message: 'no queue',
      },
    };
    const missing = await queue.enqueue([message(1)]).catch((e) => e);

    // Assess
    expect((partial as Error).message).toMatch(/InternalError/);
    expect(missing).toBeInstanceOf(QueueDoesNotExist);
  });

  it('puts entries on the EventBridge bus, signed, 10 per call', async () => {
    // Prepare
    calls.length = 0;
    answer = { status: 200, body: { FailedEntryCount: 0, Entries: [] } };
    const bus = new EventBridgeBus({
      busName: 'x-registry-events',
      client: new EventBridgeClient(config()),
    });
    const event = registeredModelCreated(
      { id: 'e'.repeat(32), at: 1_700_000_000_000 },
      { id: 'm'.repeat(32), name: 'fraud', userId: 'bob' }
    );

    // Act
    await bus.publish(busEntries(event, 'fraud'));
    answer = {
      status: 200,
      body: { FailedEntryCount: 1, Entries: [{ ErrorCode: 'Throttled' }] },
    };
    const failed = await bus
      .publish(busEntries(event, 'fraud'))
      .catch((e) => e);

    // Assess
    expect(calls[0]?.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(calls[0]?.headers['content-type']).toBe(
      'application/x-amz-json-1.1'
    );
    expect(calls[0]?.signed).toBe(true);
    const [entry] = JSON.parse(calls[0]?.body ?? '{}').Entries;
    expect(entry).toMatchObject({
      EventBusName: 'x-registry-events',
      Source: 'stagegate.registry',
      DetailType: 'REGISTERED_MODEL_CREATED',
      Time: 1_700_000_000,
    });
    expect(JSON.parse(entry.Detail)).toMatchObject({ model_name: 'fraud' });
    expect((failed as Error).message).toMatch(/Throttled/);
  });
});
