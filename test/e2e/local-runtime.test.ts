import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '#local/paths.ts';
import { findFreePort } from '#local/ports.ts';
import {
  type StartedRegistry,
  startRegistryProcess,
} from '../support/local-process.ts';
import {
  listeningSockets,
  processesMatching,
  processGroupMembers,
} from '../support/processes.ts';

const MLFLOW = '/api/2.0/mlflow';
const dataDirs: string[] = [];
const started: StartedRegistry[] = [];

/** Starts a registry that afterAll stops, whatever the outcome of the test. */
async function start(options: Parameters<typeof startRegistryProcess>[0]) {
  const registry = await startRegistryProcess(options);
  started.push(registry);
  return registry;
}

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-e2e-'));
  dataDirs.push(dir);
  return dir;
}

async function request(
  registry: StartedRegistry,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown
) {
  const response = await fetch(`${registry.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** Sends a signal to the whole group, as a terminal's Ctrl-C does. */
function signalGroup(registry: StartedRegistry, signal: NodeJS.Signals) {
  const pid = registry.child.pid;
  if (pid === undefined) throw new Error('registry has no pid');
  process.kill(-pid, signal);
}

async function waitUntilGone(pgid: number, withinMs: number) {
  const deadline = Date.now() + withinMs;
  while (processGroupMembers(pgid).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return processGroupMembers(pgid);
}

afterAll(() => {
  for (const registry of started) {
    const pid = registry.child.pid;
    if (pid === undefined) continue;
    for (const member of processGroupMembers(pid)) {
      process.kill(member, 'SIGKILL');
    }
    if (registry.child.exitCode === null) registry.child.kill('SIGKILL');
  }
  for (const dir of dataDirs) {
    for (const pid of processesMatching(dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('npm start', () => {
  it('serves the registry, survives Ctrl-C and SIGKILL, and keeps every model', async () => {
    // Prepare
    const dataDir = newDataDir();
    const port = await findFreePort();

    // Act: first start, generated token
    const startedAt = Date.now();
    const first = await start({ dataDir, port, viaNpm: true });
    const startupMs = Date.now() - startedAt;
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const created = await request(
      first,
      'POST',
      `${MLFLOW}/registered-models/create`,
      token,
      { name: 'm1' }
    );
    const unauthenticated = await request(
      first,
      'GET',
      `${MLFLOW}/registered-models/get?name=m1`,
      undefined
    );
    const pids = processGroupMembers(first.child.pid ?? -1);
    const sockets = listeningSockets(pids);

    // Assess: within 15 s, MLflow shapes, loopback only, token printed once
    expect(first.url).toBe(`http://127.0.0.1:${port}`);
    expect(startupMs).toBeLessThan(15_000);
    expect(token).toMatch(/^dapi[0-9a-f]{32}$/);
    expect(first.output()).toContain(token);
    expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(created.status).toBe(200);
    expect(unauthenticated).toEqual({
      status: 401,
      body: { error_code: 'UNAUTHENTICATED', message: expect.any(String) },
    });
    expect(sockets.length).toBeGreaterThanOrEqual(3);
    for (const socket of sockets) {
      expect(['127.0.0.1', '::ffff:127.0.0.1']).toContain(socket.address);
    }

    // Act: Ctrl-C, then start again
    signalGroup(first, 'SIGINT');
    const leftAfterInt = await waitUntilGone(first.child.pid ?? -1, 15_000);
    const second = await start({ dataDir, port, viaNpm: true });
    const afterRestart = await request(
      second,
      'GET',
      `${MLFLOW}/registered-models/get?name=m1`,
      token
    );

    // Assess
    expect(leftAfterInt).toEqual([]);
    expect(second.output()).not.toContain(token);
    expect(afterRestart.status).toBe(200);
    expect((afterRestart.body.registered_model as { name: string }).name).toBe(
      'm1'
    );

    // Act: SIGKILL the server process alone, leaving its engines orphaned,
    // then start again on the same port
    const server = processesMatching('local/main.ts', 'node').filter((pid) =>
      processGroupMembers(second.child.pid ?? -1).includes(pid)
    );
    expect(server).toHaveLength(1);
    process.kill(server[0] ?? -1, 'SIGKILL');
    const third = await start({ dataDir, port, viaNpm: true });
    const afterKill = await request(
      third,
      'GET',
      `${MLFLOW}/registered-models/get?name=m1`,
      token
    );
    const engines = processesMatching(join(dataDir, 'dynamodb'));

    // Assess: no port conflict, model kept, exactly one engine for the dir
    expect(third.url).toBe(`http://127.0.0.1:${port}`);
    expect(afterKill.status).toBe(200);
    expect(engines).toHaveLength(1);

    signalGroup(third, 'SIGTERM');
    expect(await waitUntilGone(third.child.pid ?? -1, 15_000)).toEqual([]);
    expect(await waitUntilGone(second.child.pid ?? -1, 15_000)).toEqual([]);
  });

  it('uses STAGEGATE_ADMIN_TOKEN when set and writes no token file', async () => {
    // Prepare
    const dataDir = newDataDir();
    const adminToken = `dapi${randomBytes(16).toString('hex')}`;

    // Act
    const registry = await start({ dataDir, adminToken });
    const search = await request(
      registry,
      'GET',
      `${MLFLOW}/registered-models/search`,
      adminToken
    );
    registry.child.kill('SIGTERM');
    const exit = await registry.exited;

    // Assess
    expect(search.status).toBe(200);
    expect(registry.output()).not.toContain(adminToken);
    expect(() => statSync(join(dataDir, 'admin-token'))).toThrow();
    expect(exit.code).toBe(0);
  });

  it('exits with one actionable line when the port is busy', async () => {
    // Prepare
    const busy = await start({ dataDir: newDataDir() });
    const port = Number(new URL(busy.url).port);

    // Act
    const failure = await startRegistryProcess({
      dataDir: newDataDir(),
      port,
    }).catch((error: Error) => error);
    busy.child.kill('SIGTERM');
    await busy.exited;

    // Assess
    expect(failure).toBeInstanceOf(Error);
    expect(String(failure)).toMatch(/exited \(1\)/);
    expect(String(failure)).toContain(
      `stagegate: Port ${port} on 127.0.0.1 is already in use`
    );
    expect(String(failure)).toContain('STAGEGATE_PORT');
  });

  it('exits with one actionable line when Java is missing', async () => {
    // Prepare
    const emptyPath = newDataDir();

    // Act
    const child = spawn(process.execPath, ['local/main.ts'], {
      cwd: repositoryRoot,
      env: {
        PATH: emptyPath,
        STAGEGATE_DATA_DIR: newDataDir(),
        STAGEGATE_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));

    // Assess
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('Java 17');
    expect(stderr).toContain('apt-get install');
  });
});
