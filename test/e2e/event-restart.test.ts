import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type StartedRegistry,
  startRegistryProcess,
} from '../support/local-process.ts';
import { processesMatching } from '../support/processes.ts';
import {
  signatureVerifies,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/webhook-receiver.ts';

/**
 * kill -9 of the local registry between a change and its delivery loses
 * no event: one change is killed while its event waits in the outbox (the
 * dispatcher paused), the next while its delivery waits in the queue (the
 * delivery worker paused); the third start, with neither paused, delivers
 * both, once each, and the event file has each event once.
 */

const MLFLOW = '/api/2.0/mlflow';
const SECRET = 'restart-secret';
const dataDirs: string[] = [];
const started: StartedRegistry[] = [];
let receiver: WebhookReceiver;

interface DeliveryJson {
  event: string;
  status: string;
  attempts: unknown[];
}

afterAll(async () => {
  for (const registry of started) {
    if (registry.child.exitCode === null) registry.child.kill('SIGKILL');
  }
  for (const dir of dataDirs) {
    for (const pid of processesMatching(dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  await receiver?.close();
});

async function start(dataDir: string, token: string, pause?: string) {
  const registry = await startRegistryProcess({
    dataDir,
    adminToken: token,
    env: pause === undefined ? {} : { STAGEGATE_TEST_PAUSE_EVENTS: pause },
  });
  started.push(registry);
  return registry;
}

/** kill -9: no stop handler runs, nothing is flushed. */
async function kill(registry: StartedRegistry): Promise<void> {
  registry.child.kill('SIGKILL');
  await registry.exited;
}

function client(registry: StartedRegistry, token: string) {
  return async <T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { query?: Record<string, string>; body?: unknown } = {}
  ): Promise<T> => {
    const url = new URL(path, registry.url);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      url.searchParams.set(key, value);
    }
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(options.body ? { 'content-type': 'application/json' } : {}),
      },
      body: options.body ? JSON.stringify(options.body) : undefined,
    });
    const body = (await response.json()) as T;
    expect(response.status, `${path}: ${JSON.stringify(body)}`).toBe(200);
    return body;
  };
}

async function pollUntil<T>(
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs = 20_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`Never happened; last: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function eventLines(dataDir: string): { detail: Record<string, unknown> }[] {
  const file = join(dataDir, 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

describe('Registry events across kill -9', () => {
  const token = `dapi${randomBytes(16).toString('hex')}`;
  const name = `events-restart-${randomBytes(4).toString('hex')}`;
  let dataDir: string;
  let webhookId: string;
  let queuedBeforeKill: DeliveryJson[];
  let final: DeliveryJson[];

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    dataDir = mkdtempSync(join(tmpdir(), 'stagegate-e2e-events-'));
    dataDirs.push(dataDir);

    // 1. Dispatcher paused: version 1's event stays in the outbox.
    const first = await start(dataDir, token, 'dispatch');
    let api = client(first, token);
    await api('POST', `${MLFLOW}/registered-models/create`, {
      body: { name },
    });
    webhookId = (
      await api<{ webhook: { id: string } }>(
        'POST',
        `${MLFLOW}/registry-webhooks/create`,
        {
          body: {
            model_name: name,
            events: ['MODEL_VERSION_CREATED'],
            http_url_spec: { url: receiver.url, secret: SECRET },
          },
        }
      )
    ).webhook.id;
    await api('POST', `${MLFLOW}/model-versions/create`, {
      body: { name, source: 's3://restart/1' },
    });
    await kill(first);

    // 2. Deliveries paused: version 1's event is dispatched now, version
    // 2's is made, and both deliveries wait in the queue.
    const second = await start(dataDir, token, 'delivery');
    api = client(second, token);
    await api('POST', `${MLFLOW}/model-versions/create`, {
      body: { name, source: 's3://restart/2' },
    });
    const log = () =>
      api<{ deliveries?: DeliveryJson[] }>(
        'GET',
        '/api/2.0/stagegate/registry-webhooks/deliveries/list',
        { query: { id: webhookId } }
      ).then((page) => page.deliveries ?? []);
    queuedBeforeKill = await pollUntil(log, (entries) => entries.length === 2);
    await kill(second);

    // 3. Nothing paused.
    const third = await start(dataDir, token);
    api = client(third, token);
    await receiver.until((received) => received.length >= 2);
    final = await pollUntil(
      () =>
        api<{ deliveries?: DeliveryJson[] }>(
          'GET',
          '/api/2.0/stagegate/registry-webhooks/deliveries/list',
          { query: { id: webhookId } }
        ).then((page) => page.deliveries ?? []),
      (entries) => entries.every((entry) => entry.status === 'DELIVERED')
    );
  });

  it('killed the second process with both deliveries queued and none sent', () => {
    expect(queuedBeforeKill.map((entry) => entry.status)).toEqual([
      'PENDING',
      'PENDING',
    ]);
    expect(queuedBeforeKill.every((entry) => entry.attempts.length === 0)).toBe(
      true
    );
  });

  it('delivers both events after the restart, once each, signed', () => {
    const versions = receiver.received.map(
      (received) => (JSON.parse(received.body) as { version: string }).version
    );
    expect(versions.sort()).toEqual(['1', '2']);
    for (const received of receiver.received) {
      expect(
        signatureVerifies(
          SECRET,
          received.body,
          received.headers['x-databricks-signature']
        )
      ).toBe(true);
    }
    expect(final).toHaveLength(2);
    expect(final.every((entry) => entry.attempts.length === 1)).toBe(true);
  });

  it('has each event once in the data directory’s events.jsonl', () => {
    const created = eventLines(dataDir).filter(
      (line) =>
        line.detail.event === 'MODEL_VERSION_CREATED' &&
        line.detail.model_name === name
    );
    expect(created.map((line) => line.detail.version).sort()).toEqual([
      '1',
      '2',
    ]);
    expect(
      eventLines(dataDir).filter(
        (line) =>
          line.detail.event === 'REGISTERED_MODEL_CREATED' &&
          line.detail.model_name === name
      )
    ).toHaveLength(1);
  });
});
