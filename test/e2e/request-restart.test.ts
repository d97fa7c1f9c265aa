import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type StartedRegistry,
  startRegistryProcess,
} from '../support/local-process.ts';
import { processesMatching } from '../support/processes.ts';

const MLFLOW = '/api/2.0/mlflow';
const EXPIRY_SECONDS = 5;
const dataDirs: string[] = [];
const started: StartedRegistry[] = [];

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

interface ActivityJson {
  activity_type: string;
  user_id: string;
  from_stage?: string;
  to_stage?: string;
  creation_timestamp: number;
  system_comment?: string;
}

afterAll(() => {
  for (const registry of started) {
    if (registry.child.exitCode === null) registry.child.kill('SIGKILL');
  }
  for (const dir of dataDirs) {
    for (const pid of processesMatching(dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Starts a registry that afterAll stops, whatever the outcome of the test. */
async function start(options: Parameters<typeof startRegistryProcess>[0]) {
  const registry = await startRegistryProcess(options);
  started.push(registry);
  return registry;
}

/** JSON calls to one registry process as its admin. */
function client(registry: StartedRegistry, token: string) {
  return async (
    method: string,
    path: string,
    options: { query?: Record<string, string>; body?: unknown } = {}
  ): Promise<Answer> => {
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
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    };
  };
}

type Api = ReturnType<typeof client>;

async function ok(answer: Promise<Answer>, what: string) {
  const answered = await answer;
  expect(answered.status, `${what}: ${JSON.stringify(answered.body)}`).toBe(
    200
  );
  return answered.body;
}

/** A model with one version and an open request to move it to Staging. */
async function modelWithRequest(
  api: Api,
  name: string,
  expirySeconds?: number
): Promise<{ requestId: string; createdAt: number }> {
  await ok(
    api('POST', `${MLFLOW}/registered-models/create`, { body: { name } }),
    'create model'
  );
  await ok(
    api('POST', `${MLFLOW}/model-versions/create`, {
      body: { name, source: `s3://restart/${name}` },
    }),
    'create version'
  );
  if (expirySeconds !== undefined) {
    await ok(
      api('PATCH', '/api/2.0/stagegate/transition-requests/settings', {
        body: { name, request_expiry_seconds: expirySeconds },
      }),
      'settings'
    );
  }
  const created = await ok(
    api('POST', `${MLFLOW}/transition-requests/create`, {
      body: { name, version: '1', stage: 'Staging' },
    }),
    'create request'
  );
  const request = created.request as { id: string; creation_timestamp: number };
  return { requestId: request.id, createdAt: request.creation_timestamp };
}

async function openRequestIds(api: Api, name: string): Promise<string[]> {
  const listed = await ok(
    api('GET', `${MLFLOW}/transition-requests/list`, {
      query: { name, version: '1' },
    }),
    'list requests'
  );
  return ((listed.requests ?? []) as { id: string }[]).map((r) => r.id);
}

/** The version's TRANSITION_REQUEST_CREATED notices (to approvers). */
async function notificationsFor(
  api: Api,
  name: string
): Promise<{ request_id: string }[]> {
  const listed = await ok(
    api('GET', '/api/2.0/stagegate/notifications/list', {
      query: { name, version: '1' },
    }),
    'notifications'
  );
  return (
    (listed.notifications ?? []) as { request_id: string; event: string }[]
  ).filter((notice) => notice.event === 'TRANSITION_REQUEST_CREATED');
}

async function feed(api: Api, name: string): Promise<ActivityJson[]> {
  const listed = await ok(
    api('GET', '/api/2.0/stagegate/activities/list', {
      query: { name, version: '1' },
    }),
    'activities'
  );
  return (listed.activities ?? []) as ActivityJson[];
}

/** Polls until `done` holds or the deadline passes; answers the last value. */
async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('Transition requests across a restart', () => {
  const adminToken = `dapi${randomBytes(16).toString('hex')}`;
  const kept = `restart-kept-${randomBytes(4).toString('hex')}`;
  const expiring = `restart-expiring-${randomBytes(4).toString('hex')}`;
  let keptRequest: { requestId: string; createdAt: number };
  let expiringRequest: { requestId: string; createdAt: number };
  let firstExit: { code: number | null; signal: string | null };
  let stoppedAt: number;
  let expiresAt: number;
  let restartedAt: number;
  let second: StartedRegistry;
  let api: Api;

  // One scenario for every test below: two open requests whose executions
  // wait for a decision, a SIGTERM, downtime past the second one's expiry,
  // and a start on the same data directory.
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-e2e-requests-'));
    dataDirs.push(dataDir);
    const first = await start({ dataDir, adminToken });
    const firstApi = client(first, adminToken);
    keptRequest = await modelWithRequest(firstApi, kept);
    expiringRequest = await modelWithRequest(
      firstApi,
      expiring,
      EXPIRY_SECONDS
    );
    expiresAt = expiringRequest.createdAt + EXPIRY_SECONDS * 1000;
    // Both requests are announced (their event is written with them).
    for (const name of [kept, expiring]) {
      const notified = await pollUntil(
        () => notificationsFor(firstApi, name),
        (list) => list.length > 0,
        EXPIRY_SECONDS * 500
      );
      expect(notified, `${name} notified before the stop`).toHaveLength(1);
    }

    first.child.kill('SIGTERM');
    firstExit = await first.exited;
    stoppedAt = Date.now();
    // The one fixed wait: the expiry has to pass while nothing runs.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, expiresAt + 500 - Date.now()))
    );
    restartedAt = Date.now();
    second = await start({ dataDir, adminToken });
    api = client(second, adminToken);
  });

  afterAll(async () => {
    if (second?.child.exitCode === null) {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('stopped cleanly, before the short request expired', () => {
    // Assess
    expect(firstExit.code).toBe(0);
    expect(stoppedAt, 'the stop must come before the expiry').toBeLessThan(
      expiresAt
    );
  });

  it('approves a request made before the restart; its workflow then moves the version', async () => {
    // Act
    const approved = await api(
      'POST',
      `${MLFLOW}/transition-requests/approve`,
      {
        body: {
          name: kept,
          version: '1',
          stage: 'Staging',
          archive_existing_versions: false,
          request_id: keptRequest.requestId,
        },
      }
    );
    // The approval is applied by the request's workflow after the call.
    const version = await pollUntil(
      () =>
        ok(
          api('GET', `${MLFLOW}/model-versions/get`, {
            query: { name: kept, version: '1' },
          }),
          'get version'
        ),
      (got) =>
        (got.model_version as { current_stage: string }).current_stage ===
        'Staging',
      10_000
    );

    // Assess
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.activity).toMatchObject({
      activity_type: 'APPROVED_REQUEST',
      to_stage: 'Staging',
    });
    expect(
      (version.model_version as { current_stage: string }).current_stage
    ).toBe('Staging');
    const applied = await pollUntil(
      () => feed(api, kept),
      (activities) => activities.length >= 3,
      10_000
    );
    expect(applied.map((a) => a.activity_type)).toEqual([
      'REQUESTED_TRANSITION',
      'APPROVED_REQUEST',
      'APPLIED_TRANSITION',
    ]);
    expect(await openRequestIds(api, kept)).toEqual([]);
  });

  it('expires, shortly after the restart, a request whose expiry passed while the registry was down', async () => {
    // Act
    const stillOpen = await pollUntil(
      () => openRequestIds(api, expiring),
      (ids) => ids.length === 0,
      15_000
    );

    // Assess
    expect(stillOpen).toEqual([]);
    const expired = await feed(api, expiring);
    expect(expired.map((a) => a.activity_type)).toEqual([
      'REQUESTED_TRANSITION',
      'CANCELLED_REQUEST',
    ]);
    expect(expired[1]).toMatchObject({
      user_id: 'system',
      system_comment: expect.stringMatching(/expir/i),
    });
    // Closed by the second process, within seconds of its start.
    expect(expired[1]?.creation_timestamp).toBeGreaterThanOrEqual(restartedAt);
    expect(expired[1]?.creation_timestamp).toBeLessThan(restartedAt + 15_000);
  });

  it('notifies about a request once, however often its execution is re-armed', async () => {
    // Prepare: the re-armed execution has been through its wait once the
    // request has expired.
    await pollUntil(
      () => openRequestIds(api, expiring),
      (ids) => ids.length === 0,
      15_000
    );

    // Act
    const notified = await notificationsFor(api, expiring);

    // Assess
    expect(notified.map((n) => n.request_id)).toEqual([
      expiringRequest.requestId,
    ]);
  });
});
