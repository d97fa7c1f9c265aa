import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistryProcess } from '../test/support/local-process.ts';
import { startWebhookReceiver } from '../test/support/webhook-receiver.ts';

/**
 * Change → delivered: from sending a change (`model-versions/set-tag` on a
 * version whose model has a webhook on MODEL_VERSION_TAG_SET) until a
 * receiver on 127.0.0.1 has the signed delivery, through the whole local
 * pipeline (the outbox written in the change's transaction, the
 * dispatcher woken after the change, the durable queue in the data
 * directory, the delivery worker). The change's own answer time is
 * measured too, as the baseline. Bounded, sequential, loopback only.
 */
const ITERATIONS = Number(process.env.BENCH_EVENT_ITERATIONS ?? '200');
const WARMUP = 20;
/** A delivery slower than this fails the bench (something is wrong). */
const BOUND_MS = 30_000;

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  );
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-bench-events-'));
  const token = `dapi${randomBytes(16).toString('hex')}`;
  const receiver = await startWebhookReceiver();
  const registry = await startRegistryProcess({ dataDir, adminToken: token });
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
  };
  const post = async (path: string, body: unknown) => {
    const response = await fetch(new URL(path, registry.url), {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  try {
    const name = `bench-events-${Date.now().toString(36)}`;
    await post('/api/2.0/mlflow/registered-models/create', { name });
    await post('/api/2.0/mlflow/model-versions/create', {
      name,
      source: 's3://bench/1',
    });
    await post('/api/2.0/mlflow/registry-webhooks/create', {
      model_name: name,
      events: ['MODEL_VERSION_TAG_SET'],
      http_url_spec: { url: receiver.url, secret: 'bench-secret' },
    });

    const answered: number[] = [];
    const delivered: number[] = [];
    for (let i = -WARMUP; i < ITERATIONS; i += 1) {
      const value = `v${i}`;
      const before = receiver.received.length;
      const t0 = performance.now();
      await post('/api/2.0/mlflow/model-versions/set-tag', {
        name,
        version: '1',
        key: 'bench',
        value,
      });
      const t1 = performance.now();
      const deadline = Date.now() + BOUND_MS;
      while (
        !receiver.received
          .slice(before)
          .some((received) => received.body.includes(`"value":"${value}"`))
      ) {
        if (Date.now() > deadline) {
          throw new Error(`No delivery of ${value} within ${BOUND_MS} ms`);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      const t2 = performance.now();
      if (i >= 0) {
        answered.push(t1 - t0);
        delivered.push(t2 - t0);
      }
    }
    const row = (label: string, samples: number[]) =>
      `| ${label} | ${percentile(samples, 0.5).toFixed(1)} | ${percentile(samples, 0.99).toFixed(1)} |`;
    console.log(
      [
        `${ITERATIONS} changes, one by one (after ${WARMUP} warm-up):`,
        '',
        '| measure | p50 ms | p99 ms |',
        '| --- | --- | --- |',
        row('`set-tag` answers (baseline)', answered),
        row('change → delivered to a local receiver', delivered),
      ].join('\n')
    );
  } finally {
    registry.child.kill('SIGTERM');
    await registry.exited;
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
