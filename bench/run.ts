import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRead } from '../local/dynamodb/round-trips.ts';
import { ROUND_TRIPS_PATH } from '../local/gateway.ts';
import { startRegistryProcess } from '../test/support/local-process.ts';

/**
 * Latency of the registry's hot paths through the whole local stack
 * (gateway emulator → authorizer → middy handler → DynamoDB Local), against
 * two baselines measured in the same run on the same machine:
 * - `GET /health`: the gateway and HTTP cost alone (no authorizer, no table);
 * - `token/list`: authorizer plus one GSI query, the cheapest authorized call.
 * Loops are bounded and everything stays on 127.0.0.1.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? '300');
const WARMUP = 30;
/** Requests approved one by one for the round-trip and apply figures. */
const APPROVALS = Number(process.env.BENCH_APPROVALS ?? '100');
/** How long the stage may take to follow an approval before the bench fails. */
const APPLY_BOUND_MS = 30_000;

interface Stats {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  rps: number;
}

function stats(samples: number[], wallMs: number): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    rps: (samples.length / wallMs) * 1000,
  };
}

async function measure(
  label: string,
  call: (i: number) => Promise<Response>
): Promise<[string, Stats]> {
  for (let i = 0; i < WARMUP; i += 1) {
    const response = await call(-1 - i);
    await response.arrayBuffer();
  }
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i += 1) {
    const t0 = performance.now();
    const response = await call(i);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${label}: HTTP ${response.status}`);
    samples.push(performance.now() - t0);
  }
  return [label, stats(samples, performance.now() - started)];
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-bench-'));
  const token = `dapi${randomBytes(16).toString('hex')}`;
  const registry = await startRegistryProcess({
    dataDir,
    adminToken: token,
    // The debug endpoints count each call's DynamoDB round trips.
    env: {
      AUTHORIZER_CACHE_TTL_SECONDS: '10',
      STAGEGATE_DEBUG_ENDPOINTS: 'true',
    },
  });
  const auth = { authorization: `Bearer ${token}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const prefix = `bench-${Date.now().toString(36)}`;
  try {
    const results = [
      await measure('baseline: GET /health', () =>
        fetch(`${registry.url}/health`)
      ),
      await measure('baseline: GET token/list', () =>
        fetch(`${registry.url}/api/2.0/token/list`, { headers: auth })
      ),
      await measure('POST registered-models/create', (i) =>
        fetch(`${registry.url}/api/2.0/mlflow/registered-models/create`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ name: `${prefix}-${i}` }),
        })
      ),
      await measure('GET registered-models/get', (i) =>
        fetch(
          `${registry.url}/api/2.0/mlflow/registered-models/get?name=${prefix}-${Math.max(0, i) % ITERATIONS}`,
          { headers: auth }
        )
      ),
      await measure('GET registered-models/search (100)', () =>
        fetch(
          `${registry.url}/api/2.0/mlflow/registered-models/search?max_results=100`,
          { headers: auth }
        )
      ),
      await measure('POST model-versions/create', () =>
        fetch(`${registry.url}/api/2.0/mlflow/model-versions/create`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ name: `${prefix}-0`, source: 's3://b/m' }),
        })
      ),
      await measure('POST transition-stage (archive)', (i) =>
        fetch(
          `${registry.url}/api/2.0/mlflow/model-versions/transition-stage`,
          {
            method: 'POST',
            headers: json,
            body: JSON.stringify({
              name: `${prefix}-0`,
              version: String(
                ((i + WARMUP + ITERATIONS) % (ITERATIONS + WARMUP)) + 1
              ),
              stage: 'Production',
              archive_existing_versions: true,
            }),
          }
        )
      ),
      await measure('request + approve (answered)', async (i) => {
        const version = String(
          ((i + WARMUP + ITERATIONS) % (ITERATIONS + WARMUP)) + 1
        );
        // Every version is used once, and none is in Staging yet.
        const stage = 'Staging';
        const created = await fetch(
          `${registry.url}/api/2.0/mlflow/transition-requests/create`,
          {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ name: `${prefix}-0`, version, stage }),
          }
        );
        await created.arrayBuffer();
        return fetch(
          `${registry.url}/api/2.0/mlflow/transition-requests/approve`,
          {
            method: 'POST',
            headers: json,
            body: JSON.stringify({
              name: `${prefix}-0`,
              version,
              stage,
              archive_existing_versions: false,
            }),
          }
        );
      }),
      await measure('GET model-versions/search (name=)', () =>
        fetch(
          `${registry.url}/api/2.0/mlflow/model-versions/search?max_results=100&filter=${encodeURIComponent(`name='${prefix}-0'`)}`,
          { headers: auth }
        )
      ),
    ];
    const health = results[0]?.[1].p50 ?? 1;
    console.log(
      `\n${ITERATIONS} sequential calls each after ${WARMUP} warm-up, local stack, ${new Date().toISOString()}\n`
    );
    console.log(
      'operation                              p50 ms  p95 ms  p99 ms  req/s   p50 vs /health'
    );
    for (const [label, s] of results) {
      console.log(
        `${label.padEnd(38)} ${s.p50.toFixed(2).padStart(6)}  ${s.p95.toFixed(2).padStart(6)}  ${s.p99.toFixed(2).padStart(6)}  ${s.rps.toFixed(0).padStart(5)}   ×${(s.p50 / health).toFixed(1)}`
      );
    }
    await roundTripsAndApplication(registry.url, auth, json, prefix);
    const rss = process.memoryUsage().rss / 1024 / 1024;
    console.log(`\nbench process RSS ${rss.toFixed(0)} MB`);
  } finally {
    registry.child.kill('SIGTERM');
    await registry.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface RoundTripCount {
  /** The authorizer's (its cache usually answers). */
  authorizerReads: number;
  reads: number;
  writes: number;
  /** Reads the handler sent before its first write (the commit, for approve). */
  readsBeforeFirstWrite: number;
}

/** The handler's DynamoDB round trips in the last call to `routeKey`. */
async function lastCall(
  url: string,
  routeKey: string
): Promise<RoundTripCount> {
  const response = await fetch(`${url}${ROUND_TRIPS_PATH}`);
  const { calls } = (await response.json()) as {
    calls: {
      routeKey: string;
      roundTrips: { operation: string; phase: string }[];
    }[];
  };
  const call = calls.filter((c) => c.routeKey === routeKey).at(-1);
  if (!call) throw new Error(`no round trips recorded for ${routeKey}`);
  const handler = call.roundTrips.filter((r) => r.phase === 'handler');
  const firstWrite = handler.findIndex((r) => !isRead(r.operation));
  return {
    authorizerReads: call.roundTrips.filter(
      (r) => r.phase === 'authorizer' && isRead(r.operation)
    ).length,
    reads: handler.filter((r) => isRead(r.operation)).length,
    writes: handler.filter((r) => !isRead(r.operation)).length,
    readsBeforeFirstWrite: (firstWrite < 0
      ? handler
      : handler.slice(0, firstWrite)
    ).filter((r) => isRead(r.operation)).length,
  };
}

/**
 * DynamoDB round trips per call (get model, approve) and the time from an
 * approve call until the version is in its new stage, each request
 * approved alone (its workflow waiting for the decision).
 */
async function roundTripsAndApplication(
  url: string,
  auth: Record<string, string>,
  json: Record<string, string>,
  prefix: string
) {
  const MLFLOW = `${url}/api/2.0/mlflow`;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${MLFLOW}${path}`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const name = `${prefix}-approvals`;
  await post('/registered-models/create', { name });
  for (let i = 0; i < APPROVALS; i += 1) {
    await post('/model-versions/create', { name, source: 's3://b/m' });
  }

  await fetch(`${MLFLOW}/registered-models/get?name=${name}`, {
    headers: auth,
  }).then((r) => r.arrayBuffer());
  const getModel = await lastCall(
    url,
    'GET /api/2.0/mlflow/registered-models/get'
  );

  const approveCounts: RoundTripCount[] = [];
  const approveMs: number[] = [];
  const appliedMs: number[] = [];
  for (let version = 1; version <= APPROVALS; version += 1) {
    await post('/transition-requests/create', {
      name,
      version: String(version),
      stage: 'Staging',
    });
    const started = performance.now();
    await post('/transition-requests/approve', {
      name,
      version: String(version),
      stage: 'Staging',
      archive_existing_versions: false,
    });
    approveMs.push(performance.now() - started);
    approveCounts.push(
      await lastCall(url, 'POST /api/2.0/mlflow/transition-requests/approve')
    );
    for (;;) {
      const response = await fetch(
        `${MLFLOW}/model-versions/get?name=${name}&version=${version}`,
        { headers: auth }
      );
      const body = (await response.json()) as {
        model_version?: { current_stage?: string };
      };
      const elapsed = performance.now() - started;
      if (body.model_version?.current_stage === 'Staging') {
        appliedMs.push(elapsed);
        break;
      }
      if (elapsed > APPLY_BOUND_MS) {
        throw new Error(
          `version ${version} not in Staging ${APPLY_BOUND_MS} ms after approve: ${JSON.stringify(body)}`
        );
      }
    }
  }

  const most = (pick: (c: RoundTripCount) => number) =>
    Math.max(...approveCounts.map(pick));
  const least = (pick: (c: RoundTripCount) => number) =>
    Math.min(...approveCounts.map(pick));
  const range = (pick: (c: RoundTripCount) => number) =>
    least(pick) === most(pick)
      ? String(most(pick))
      : `${least(pick)}–${most(pick)}`;
  console.log('\nDynamoDB round trips per call (handler; authorizer apart)\n');
  console.log(
    'call                       reads before commit  reads  writes  authorizer reads'
  );
  console.log(
    `${'GET registered-models/get'.padEnd(26)} ${String(getModel.readsBeforeFirstWrite).padStart(19)}  ${String(getModel.reads).padStart(5)}  ${String(getModel.writes).padStart(6)}  ${String(getModel.authorizerReads).padStart(16)}`
  );
  console.log(
    `${'POST approve'.padEnd(26)} ${range((c) => c.readsBeforeFirstWrite).padStart(19)}  ${range((c) => c.reads).padStart(5)}  ${range((c) => c.writes).padStart(6)}  ${range((c) => c.authorizerReads).padStart(16)}`
  );
  const call = stats(approveMs, 1);
  const applied = stats(appliedMs, 1);
  console.log(`\n${APPROVALS} requests approved one at a time\n`);
  console.log('                                       p50 ms  p99 ms');
  console.log(
    `${'approve call answers'.padEnd(38)} ${call.p50.toFixed(1).padStart(6)}  ${call.p99.toFixed(1).padStart(6)}`
  );
  console.log(
    `${'approve → version in its new stage'.padEnd(38)} ${applied.p50.toFixed(1).padStart(6)}  ${applied.p99.toFixed(1).padStart(6)}`
  );
}

await main();
