import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistryProcess } from '../test/support/local-process.ts';

/**
 * Approvals by e-mail on the local stack, two spans per iteration:
 * request created → the approver's mail is in the `.eml` outbox (the
 * outbox event, the dispatcher woken after the change, approvers resolved
 * through `authorize()`, the link signed, the mail written), and the
 * link's POST → the version is in the target stage (the page's checks,
 * the decision, the workflow applying it). Sequential, loopback only; the
 * version goes None → Staging → None → … so every iteration has a request.
 */
const ITERATIONS = Number(process.env.BENCH_EMAIL_ITERATIONS ?? '100');
const WARMUP = 10;
/** Slower than this fails the bench (something is wrong). */
const BOUND_MS = 30_000;

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  );
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined
): Promise<T> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`No ${what} in ${BOUND_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-bench-email-'));
  const outbox = join(dataDir, 'mail-outbox');
  const token = `dapi${randomBytes(16).toString('hex')}`;
  const registry = await startRegistryProcess({ dataDir, adminToken: token });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(new URL(path, registry.url), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  try {
    const name = `bench-email-${Date.now().toString(36)}`;
    const approver = `bench-approver-${Date.now().toString(36)}@example.com`;
    await call('POST', '/api/2.0/preview/scim/v2/Users', {
      userName: approver,
    });
    await call('POST', '/api/2.0/mlflow/registered-models/create', { name });
    const model = (await call(
      'GET',
      `/api/2.0/mlflow/databricks/registered-models/get?name=${name}`
    )) as { registered_model_databricks: { id: string } };
    await call(
      'PATCH',
      `/api/2.0/permissions/registered-models/${model.registered_model_databricks.id}`,
      {
        access_control_list: [
          {
            user_name: approver,
            permission_level: 'CAN_MANAGE_STAGING_VERSIONS',
          },
        ],
      }
    );
    await call('POST', '/api/2.0/mlflow/model-versions/create', {
      name,
      source: 's3://bench/1',
    });

    const mailed: number[] = [];
    const applied: number[] = [];
    let stage = 'None';
    for (let i = -WARMUP; i < ITERATIONS; i += 1) {
      const target = stage === 'None' ? 'Staging' : 'None';
      const seen = new Set(safeList(outbox));
      const t0 = performance.now();
      await call('POST', '/api/2.0/mlflow/transition-requests/create', {
        name,
        version: '1',
        stage: target,
      });
      const link = await until('mail', () => {
        for (const file of safeList(outbox)) {
          if (seen.has(file)) continue;
          const found = approveLink(readFileSync(join(outbox, file), 'utf8'));
          if (found) return found;
        }
        return undefined;
      });
      const t1 = performance.now();
      const posted = await fetch(
        new URL('/callbacks/email/decision', registry.url),
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ link }).toString(),
        }
      );
      if (posted.status !== 200) {
        throw new Error(`link: ${posted.status} ${await posted.text()}`);
      }
      await until('transition', async () => {
        const got = (await call(
          'GET',
          `/api/2.0/mlflow/model-versions/get?name=${name}&version=1`
        )) as { model_version: { current_stage: string } };
        return got.model_version.current_stage === target ? true : undefined;
      });
      const t2 = performance.now();
      stage = target;
      if (i >= 0) {
        mailed.push(t1 - t0);
        applied.push(t2 - t1);
      }
    }
    const line = (label: string, samples: number[]) =>
      `${label}: p50 ${percentile(samples, 0.5).toFixed(1)} ms, p99 ${percentile(samples, 0.99).toFixed(1)} ms (n=${samples.length})`;
    console.log(line('request created → approver mail written', mailed));
    console.log(line('link confirmed → transition applied', applied));
  } finally {
    registry.child.kill('SIGTERM');
    await registry.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.eml'));
  } catch {
    return [];
  }
}

/** The Approve link's token in a mail's text part. */
function approveLink(raw: string): string | undefined {
  const text = raw.split('\r\n\r\n')[2]?.split('\r\n--')[0] ?? '';
  const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString();
  return /^Approve: \S+\?link=(\S+)$/m.exec(decoded)?.[1];
}

await main();
