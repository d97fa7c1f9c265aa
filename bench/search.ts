import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistryProcess } from '../test/support/local-process.ts';

/**
 * The worst case of search filters: LIKE / ILIKE with ten `%` over a tag
 * value of 5,000 characters (the longest a tag value may be), through the
 * whole local stack, against baselines measured in the same run:
 * - `GET /health`, the gateway alone;
 * - a search by exact name, the same request path with a trivial filter.
 * Then `/health` again while four clients search with the worst case
 * without pause: the server must keep answering it, and the latency it
 * adds is the figure. Last, one search whose filter walks every model of
 * the run, all carrying such a value, to show the cost per model read.
 * Loops are bounded and everything stays on 127.0.0.1.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? '300');
const WARMUP = 30;
const WALKED_MODELS = 200;
const CONCURRENT_SEARCHES = 4;

interface Stats {
  p50: number;
  p99: number;
  max: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

async function timed(call: () => Promise<Response>): Promise<number> {
  const t0 = performance.now();
  const response = await call();
  const body = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${body}`);
  return performance.now() - t0;
}

async function measure(
  call: () => Promise<Response>,
  iterations = ITERATIONS
): Promise<Stats> {
  for (let i = 0; i < WARMUP; i += 1) await timed(call);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) samples.push(await timed(call));
  return stats(samples);
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-bench-search-'));
  const token = `dapi${randomBytes(16).toString('hex')}`;
  const registry = await startRegistryProcess({ dataDir, adminToken: token });
  const auth = { authorization: `Bearer ${token}` };
  const prefix = `bench-${Date.now().toString(36)}`;
  const value = 'a'.repeat(5000);
  const create = async (name: string) => {
    const response = await fetch(
      `${registry.url}/api/2.0/mlflow/registered-models/create`,
      {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name, tags: [{ key: 'k', value }] }),
      }
    );
    if (!response.ok) throw new Error(`create: HTTP ${response.status}`);
  };
  const search = (filter: string) => () =>
    fetch(
      `${registry.url}/api/2.0/mlflow/registered-models/search?filter=${encodeURIComponent(filter)}`,
      { headers: auth }
    );
  const health = () => fetch(`${registry.url}/health`);
  const target = `${prefix}-target`;
  const like = `name = '${target}' AND tags.k LIKE '${'%a'.repeat(9)}%b'`;
  const ilike = `name = '${target}' AND tags.k ILIKE '${'%A'.repeat(9)}%b'`;
  try {
    await create(target);
    const rows: [string, Stats][] = [];
    rows.push(['baseline: GET /health', await measure(health)]);
    rows.push([
      "baseline: search name = '…'",
      await measure(search(`name = '${target}'`)),
    ]);
    rows.push(['search: LIKE, 10 %, 5,000 chars', await measure(search(like))]);
    rows.push([
      'search: ILIKE, 10 %, 5,000 chars',
      await measure(search(ilike)),
    ]);

    let searching = true;
    let searches = 0;
    const clients = Array.from({ length: CONCURRENT_SEARCHES }, async () => {
      while (searching) {
        await timed(search(like));
        searches += 1;
      }
    });
    rows.push([
      `GET /health during ${CONCURRENT_SEARCHES} such searches`,
      await measure(health),
    ]);
    searching = false;
    await Promise.all(clients);

    for (let i = 0; i < WALKED_MODELS; i += 1) await create(`${prefix}-${i}`);
    rows.push([
      `search walking ${WALKED_MODELS + 1} such models`,
      await measure(
        search(`name LIKE '${prefix}-%' AND tags.k LIKE '${'%a'.repeat(9)}%b'`),
        Math.ceil(ITERATIONS / 10)
      ),
    ]);

    console.log(
      `\n${ITERATIONS} sequential calls each after ${WARMUP} warm-up (the walk: ${Math.ceil(ITERATIONS / 10)}), local stack, ${new Date().toISOString()}; ${searches} searches ran beside /health\n`
    );
    console.log(
      'operation                                   p50 ms   p99 ms   max ms'
    );
    for (const [label, s] of rows) {
      console.log(
        `${label.padEnd(42)} ${s.p50.toFixed(2).padStart(7)}  ${s.p99.toFixed(2).padStart(7)}  ${s.max.toFixed(2).padStart(7)}`
      );
    }
  } finally {
    registry.child.kill('SIGTERM');
    await registry.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
