import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistryProcess } from '../test/support/local-process.ts';
import {
  signedCallback,
  startSlackStandIn,
} from '../test/support/slack-stand-in.ts';

/**
 * Slack approvals on the local stack, against a Slack stand-in on
 * 127.0.0.1: request created → its message posted (from sending
 * `transition-requests/create` until the stand-in has the
 * `chat.postMessage`: the outbox, the dispatcher woken after the change,
 * the Web API call), and click → transition applied (from sending a signed
 * Approve click until `model-versions/get` shows the version in Staging:
 * the callback's answer, the asynchronous action, users.info, the decide
 * path, the workflow applying it). Sequential, bounded, loopback only.
 */
const ITERATIONS = Number(process.env.BENCH_SLACK_ITERATIONS ?? '100');
const WARMUP = 5;
const BOUND_MS = 30_000;
const SECRET = randomBytes(16).toString('hex');

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  );
}

async function until(done: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + BOUND_MS;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${BOUND_MS} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function main() {
  const slack = await startSlackStandIn();
  const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-bench-slack-'));
  writeFileSync(
    join(dataDir, 'slack.json'),
    JSON.stringify({
      bot_token: 'xoxb-bench',
      signing_secret: SECRET,
      api_url: slack.apiUrl,
    }),
    { mode: 0o600 }
  );
  const token = `dapi${randomBytes(16).toString('hex')}`;
  const registry = await startRegistryProcess({ dataDir, adminToken: token });
  const send = async (
    method: string,
    path: string,
    body?: unknown,
    query = ''
  ) => {
    const response = await fetch(new URL(`${path}${query}`, registry.url), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  try {
    const name = `bench-slack-${Date.now().toString(36)}`;
    const approver = `bench-approver-${Date.now().toString(36)}@example.com`;
    slack.addUser('UBENCH', { email: approver });
    await send('POST', '/api/2.0/preview/scim/v2/Users', {
      userName: approver,
    });
    await send('POST', '/api/2.0/mlflow/registered-models/create', { name });
    const model = await send(
      'GET',
      '/api/2.0/mlflow/databricks/registered-models/get',
      undefined,
      `?name=${encodeURIComponent(name)}`
    );
    const modelId = (model.registered_model_databricks as { id: string }).id;
    await send('PATCH', `/api/2.0/permissions/registered-models/${modelId}`, {
      access_control_list: [
        {
          user_name: approver,
          permission_level: 'CAN_MANAGE_STAGING_VERSIONS',
        },
      ],
    });
    await send('PATCH', '/api/2.0/stagegate/registry/slack', {
      channel: 'C0BENCH0001',
    });
    const total = WARMUP + ITERATIONS;
    for (let v = 1; v <= total; v += 1) {
      await send('POST', '/api/2.0/mlflow/model-versions/create', {
        name,
        source: `s3://bench/${v}`,
      });
    }

    const posted: number[] = [];
    const applied: number[] = [];
    for (let v = 1; v <= total; v += 1) {
      const t0 = performance.now();
      const created = await send(
        'POST',
        '/api/2.0/mlflow/transition-requests/create',
        { name, version: String(v), stage: 'Staging' }
      );
      const requestId = (created.request as { id: string }).id;
      const findPost = () =>
        slack
          .callsOf('chat.postMessage')
          .find((call) => JSON.stringify(call.body).includes(requestId));
      await until(() => findPost() !== undefined, `no message for v${v}`);
      const t1 = performance.now();
      const blocks = findPost()?.body.blocks as {
        type: string;
        elements?: { value: string }[];
      }[];
      const value = blocks.find((b) => b.type === 'actions')?.elements?.[0]
        ?.value;
      const responseUrl = slack.responseUrl();
      const click = signedCallback(SECRET, {
        type: 'block_actions',
        user: { id: 'UBENCH' },
        trigger_id: `t-${v}`,
        response_url: responseUrl.url,
        actions: [{ action_id: 'stagegate_approve', value }],
      });
      const t2 = performance.now();
      const answer = await fetch(
        new URL('/callbacks/slack/interactions', registry.url),
        { method: 'POST', headers: click.headers, body: click.body }
      );
      if (answer.status !== 200) {
        throw new Error(`click v${v}: ${answer.status} ${await answer.text()}`);
      }
      await until(async () => {
        const got = await send(
          'GET',
          '/api/2.0/mlflow/model-versions/get',
          undefined,
          `?name=${encodeURIComponent(name)}&version=${v}`
        );
        return (
          (got.model_version as { current_stage: string }).current_stage ===
          'Staging'
        );
      }, `v${v} not applied`);
      const t3 = performance.now();
      if (v > WARMUP) {
        posted.push(t1 - t0);
        applied.push(t3 - t2);
      }
    }
    const row = (label: string, samples: number[]) =>
      `| ${label} | ${percentile(samples, 0.5).toFixed(1)} | ${percentile(samples, 0.99).toFixed(1)} |`;
    console.log(
      [
        `${ITERATIONS} requests, one by one (after ${WARMUP} warm-up):`,
        '',
        '| measure | p50 ms | p99 ms |',
        '| --- | --- | --- |',
        row('request created → Slack message posted', posted),
        row('Approve click → transition applied', applied),
      ].join('\n')
    );
  } finally {
    registry.child.kill('SIGTERM');
    await registry.exited;
    await slack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
