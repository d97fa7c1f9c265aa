import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type StartedRegistry,
  startRegistryProcess,
} from '../support/local-process.ts';
import { processesMatching } from '../support/processes.ts';

/**
 * A registration whose process dies is re-driven: after a restart at once,
 * without one by the runtime's watchdog once the lease runs out, and it
 * fails with a message naming the bound when it keeps dying. Losing the
 * registration deterministically is the test hook
 * STAGEGATE_TEST_LOSE_REGISTRATIONS (the local Lambda endpoint accepts that
 * many invocations and never runs them, as when the process dies before
 * the first copy); the restart is a real SIGKILL.
 */

const MLFLOW = '/api/2.0/mlflow';
const UPLOADS = '/api/2.0/stagegate/uploads';
const MiB = 1024 * 1024;
/** Bound of every wait for a terminal status (not an assertion on time). */
const TERMINAL_WITHIN_MS = 90_000;

const dataDirs: string[] = [];
const started: StartedRegistry[] = [];

afterAll(() => {
  for (const registry of started) {
    if (registry.child.exitCode === null) registry.child.kill('SIGKILL');
  }
  for (const dir of dataDirs) {
    for (const pid of processesMatching(dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

async function start(options: Parameters<typeof startRegistryProcess>[0]) {
  const registry = await startRegistryProcess(options);
  started.push(registry);
  return registry;
}

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-e2e-reg-'));
  dataDirs.push(dir);
  return dir;
}

type Json = Record<string, unknown>;

function client(registry: StartedRegistry, token: string) {
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(new URL(path, registry.url), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Json;
    expect(response.status, `${method} ${path}: ${JSON.stringify(json)}`).toBe(
      200
    );
    return json;
  };
}

type Api = ReturnType<typeof client>;

/** Uploads `files` and registers them as the next version of `name`. */
async function registerUpload(
  api: Api,
  name: string,
  files: readonly { path: string; data: Buffer }[]
): Promise<string> {
  const created = (await api('POST', `${UPLOADS}/create`, {
    name,
    files: files.map((file) => ({ path: file.path, size: file.data.length })),
  })) as { upload_id: string; files: { path: string; url: string }[] };
  for (const target of created.files) {
    const file = files.find((candidate) => candidate.path === target.path);
    const put = await fetch(target.url, { method: 'PUT', body: file?.data });
    expect(put.status, await put.text()).toBe(200);
  }
  await api('POST', `${UPLOADS}/complete`, {
    upload_id: created.upload_id,
    files: files.map((file) => ({
      path: file.path,
      size: file.data.length,
      sha256: createHash('sha256').update(file.data).digest('hex'),
    })),
  });
  const version = (await api('POST', `${MLFLOW}/model-versions/create`, {
    name,
    source: `stagegate-upload:${created.upload_id}`,
  })) as { model_version: { version: string; status: string } };
  expect(version.model_version.status).toBe('PENDING_REGISTRATION');
  return version.model_version.version;
}

async function versionOf(api: Api, name: string, version: string) {
  const got = (await api(
    'GET',
    `${MLFLOW}/model-versions/get?name=${encodeURIComponent(name)}&version=${version}`
  )) as { model_version: { status: string; status_message?: string } };
  return got.model_version;
}

/** Polls until the version leaves PENDING_REGISTRATION; fails past the bound. */
async function terminalStatus(api: Api, name: string, version: string) {
  const deadline = Date.now() + TERMINAL_WITHIN_MS;
  for (;;) {
    const current = await versionOf(api, name, version);
    if (current.status !== 'PENDING_REGISTRATION') return current;
    if (Date.now() > deadline) {
      throw new Error(
        `version ${version} of ${name} still ${current.status} after ${TERMINAL_WITHIN_MS} ms`
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const files = [
  { path: 'MLmodel', data: Buffer.from('artifact_path: model\n') },
  { path: 'model.bin', data: randomBytes(4 * MiB) },
];

describe('registration re-drive', () => {
  it('resumes a registration interrupted by SIGKILL as soon as the registry is back', async () => {
    // Prepare: the registration's invocation dies with the process
    const dataDir = newDataDir();
    const token = `dapi${randomBytes(16).toString('hex')}`;
    const first = await start({
      dataDir,
      adminToken: token,
      env: { STAGEGATE_TEST_LOSE_REGISTRATIONS: '1' },
    });
    const before = client(first, token);
    await before('POST', `${MLFLOW}/registered-models/create`, { name: 'm' });
    const version = await registerUpload(before, 'm', files);
    const pendingBeforeKill = await versionOf(before, 'm', version);

    // Act
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await start({ dataDir, adminToken: token });
    const restartedAt = Date.now();
    const after = client(second, token);
    const terminal = await terminalStatus(after, 'm', version);
    const readyAt = Date.now();
    const listed = (await after(
      'GET',
      `/api/2.0/stagegate/model-versions/files?name=m&version=${version}`
    )) as { files: { path: string; sha256: string; url: string }[] };
    const download = await fetch(
      listed.files.find((file) => file.path === 'model.bin')?.url ?? ''
    );
    const downloaded = Buffer.from(await download.arrayBuffer());

    // Assess
    expect(pendingBeforeKill.status).toBe('PENDING_REGISTRATION');
    expect(terminal).toMatchObject({ status: 'READY' });
    expect(downloaded.equals(files[1]?.data ?? Buffer.alloc(0))).toBe(true);
    console.log(
      `registration recovery: READY ${readyAt - restartedAt} ms after the restart was listening, ${readyAt - killedAt} ms after SIGKILL`
    );
  });

  it('re-drives a lost registration without a restart, and fails one that keeps getting lost, naming the bound', async () => {
    // Prepare: 1 s leases, the watchdog every 250 ms, two attempts each;
    // the first three invocations are lost
    const token = `dapi${randomBytes(16).toString('hex')}`;
    const registry = await start({
      dataDir: newDataDir(),
      adminToken: token,
      env: {
        STAGEGATE_TEST_LOSE_REGISTRATIONS: '3',
        REGISTRATION_LEASE_SECONDS: '1',
        REGISTRATION_MAX_ATTEMPTS: '2',
        STAGEGATE_WATCHDOG_INTERVAL_SECONDS: '0.25',
      },
    });
    const api = client(registry, token);
    await api('POST', `${MLFLOW}/registered-models/create`, { name: 'm' });

    // Act: version 1 loses both its attempts; version 2 loses its first
    const createdAt = Date.now();
    const lost = await registerUpload(api, 'm', files);
    const failed = await terminalStatus(api, 'm', lost);
    const failedAt = Date.now();
    const redriven = await registerUpload(api, 'm', files);
    const recovered = await terminalStatus(api, 'm', redriven);

    // Assess
    expect(failed).toMatchObject({
      status: 'FAILED_REGISTRATION',
      status_message:
        'Copying artifacts was interrupted 2 times without finishing (a copy that gives no sign of progress for 1 second counts as interrupted); register the files again from a new upload.',
    });
    expect(recovered).toMatchObject({ status: 'READY' });
    console.log(
      `registration watchdog: two lost attempts failed ${failedAt - createdAt} ms after the version was created (1 s leases)`
    );
  });
});
