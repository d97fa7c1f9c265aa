import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistryProcess } from '../test/support/local-process.ts';

/**
 * The inbox's cost against the number of open requests in the registry,
 * through the whole local stack. The admin opens OPEN_REQUESTS requests to
 * Production; separation of duties keeps the admin from approving its own,
 * so the admin's inbox is the worst case (every request examined, none
 * shown), while a Production manager of the newest model (a hundred
 * requests) fills a page of 50 from the first batch. Baseline: `GET /health` in the same run. Loops are
 * bounded and everything stays on 127.0.0.1.
 */
const OPEN_REQUESTS = Number(process.env.BENCH_OPEN_REQUESTS ?? '2000');
const VERSIONS_PER_MODEL = 100;
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? '30');
const CONCURRENCY = 8;

interface Stats {
  p50: number;
  p99: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

async function measure(call: () => Promise<Response>): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS + 3; i += 1) {
    const t0 = performance.now();
    const response = await call();
    const body = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${body}`);
    if (i >= 3) samples.push(performance.now() - t0);
  }
  return stats(samples);
}

/** Runs `work` for 0…count-1, `CONCURRENCY` at a time. */
async function inParallel(
  count: number,
  work: (i: number) => Promise<void>
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next;
        next += 1;
        await work(i);
      }
    })
  );
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-bench-inbox-'));
  const token = `dapi${randomBytes(16).toString('hex')}`;
  const registry = await startRegistryProcess({ dataDir, adminToken: token });
  const send = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${registry.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  try {
    const models = Math.ceil(OPEN_REQUESTS / VERSIONS_PER_MODEL);
    const prefix = `bench-${Date.now().toString(36)}`;
    const started = performance.now();
    await inParallel(models, async (m) => {
      const name = `${prefix}-${m}`;
      await send('POST', '/api/2.0/mlflow/registered-models/create', { name });
      for (let v = 1; v <= VERSIONS_PER_MODEL; v += 1) {
        await send('POST', '/api/2.0/mlflow/model-versions/create', {
          name,
          source: `s3://bench/${name}/${v}`,
        });
      }
    });
    await inParallel(OPEN_REQUESTS, async (i) => {
      await send('POST', '/api/2.0/mlflow/transition-requests/create', {
        name: `${prefix}-${Math.floor(i / VERSIONS_PER_MODEL)}`,
        version: String((i % VERSIONS_PER_MODEL) + 1),
        stage: 'Production',
      });
    });
    const setupSeconds = (performance.now() - started) / 1000;

    // A Production manager of the newest model: a user with a token.
    const user = (await send('POST', '/api/2.0/preview/scim/v2/Users', {
      userName: `${prefix}-approver@example.com`,
    })) as { userName: string };
    const userToken = (
      (await send('POST', '/api/2.0/token-management/on-behalf-of/tokens', {
        user_name: user.userName,
      })) as { token_value: string }
    ).token_value;
    const newest = (await send(
      'GET',
      `/api/2.0/mlflow/databricks/registered-models/get?name=${prefix}-${models - 1}`
    )) as { registered_model_databricks: { id: string } };
    await send(
      'PATCH',
      `/api/2.0/permissions/registered-models/${newest.registered_model_databricks.id}`,
      {
        access_control_list: [
          {
            user_name: user.userName,
            permission_level: 'CAN_MANAGE_PRODUCTION_VERSIONS',
          },
        ],
      }
    );

    const inbox = (bearer: string, maxResults: number) => () =>
      fetch(
        `${registry.url}/api/2.0/stagegate/transition-requests/inbox?max_results=${maxResults}`,
        { headers: { authorization: `Bearer ${bearer}` } }
      );
    const health = await measure(() => fetch(`${registry.url}/health`));
    const nothingShown = await measure(inbox(token, 100));
    const firstBatch = await measure(inbox(userToken, 50));
    const fmt = (s: Stats) =>
      `p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms`;
    console.log(
      [
        `open requests: ${OPEN_REQUESTS} (set up in ${setupSeconds.toFixed(0)} s); ${ITERATIONS} calls each`,
        `GET /health: ${fmt(health)}`,
        `inbox, all ${OPEN_REQUESTS} examined, none shown: ${fmt(nothingShown)}`,
        `inbox, a page of 50 from the first batch: ${fmt(firstBatch)}`,
      ].join('\n')
    );
  } finally {
    registry.child.kill('SIGTERM');
    await registry.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
