import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    env: { AUTHORIZER_CACHE_TTL_SECONDS: '10' },
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
      await measure('request + approve (applied by workflow)', async (i) => {
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
    const rss = process.memoryUsage().rss / 1024 / 1024;
    console.log(`\nbench process RSS ${rss.toFixed(0)} MB`);
  } finally {
    registry.child.kill('SIGTERM');
    await registry.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
