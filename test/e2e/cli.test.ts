import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '#local/paths.ts';
import { findFreePort } from '#local/ports.ts';
import { sha256File } from '../../cli/files.ts';
import {
  type StartedRegistry,
  startRegistryProcess,
} from '../support/local-process.ts';
import { processesMatching } from '../support/processes.ts';

const MLFLOW = '/api/2.0/mlflow';
const ADMIN_TOKEN = `dapi${randomBytes(16).toString('hex')}`;
const WRONG_TOKEN = `dapi${'0'.repeat(32)}`;

let registry: StartedRegistry;
let dataDir: string;
let home: string;
let configFile: string;

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `stagegate` as a user would: its own process, with a home and config
 * of its own and none of the developer's registry variables.
 */
function stagegate(args: string[]): Promise<CliRun> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOME: home,
    STAGEGATE_CONFIG: configFile,
  };
  for (const name of [
    'STAGEGATE_HOST',
    'STAGEGATE_TOKEN',
    'DATABRICKS_HOST',
    'DATABRICKS_TOKEN',
  ]) {
    delete env[name];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['cli/stagegate.ts', ...args], {
      cwd: repositoryRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Test setup straight through the API (the CLI has no create commands). */
async function api(path: string, body: unknown) {
  const response = await fetch(`${registry.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${await response.text()}`);
}

async function modelWithVersions(name: string, count: number) {
  await api(`${MLFLOW}/registered-models/create`, { name });
  for (let i = 1; i <= count; i++) {
    await api(`${MLFLOW}/model-versions/create`, {
      name,
      source: `s3://external-bucket/${name}/${i}`,
    });
  }
}

function stagesOf(run: CliRun): Record<string, string> {
  const { model_versions } = JSON.parse(run.stdout) as {
    model_versions: { version: string; current_stage: string }[];
  };
  return Object.fromEntries(
    model_versions.map((v) => [v.version, v.current_stage])
  );
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stagegate-e2e-cli-data-'));
  home = mkdtempSync(join(tmpdir(), 'stagegate-e2e-cli-home-'));
  configFile = join(home, '.stagegate', 'config.json');
  registry = await startRegistryProcess({
    dataDir,
    adminToken: ADMIN_TOKEN,
    // Byte counters per route, to show artifacts bypass the handlers.
    env: { STAGEGATE_DEBUG_ENDPOINTS: 'true' },
  });
  const saved = await stagegate([
    'profile',
    'set',
    'local',
    '--host',
    registry.url,
    '--token',
    ADMIN_TOKEN,
  ]);
  if (saved.code !== 0) throw new Error(`profile set failed: ${saved.stderr}`);
});

afterAll(async () => {
  if (registry && registry.child.exitCode === null) {
    registry.child.kill('SIGTERM');
    await registry.exited;
  }
  for (const pid of processesMatching(dataDir)) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

describe('stagegate (CLI) against a local registry', () => {
  it('keeps profiles in a 0600 config file and never prints a token', async () => {
    // Act
    const second = await stagegate([
      'profile',
      'set',
      'stale',
      '--host',
      registry.url,
      '--token',
      WRONG_TOKEN,
    ]);
    const listed = await stagegate(['profile', 'list']);

    // Assess
    expect(second.code).toBe(0);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(configFile, 'utf8'))).toMatchObject({
      default: 'local',
      profiles: { local: { host: registry.url, token: ADMIN_TOKEN } },
    });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      /^\* {2}local {2}http:\/\/127\.0\.0\.1:\d+ {2}dapi\*{8}$/m
    );
    for (const run of [second, listed]) {
      expect(run.stdout + run.stderr).not.toContain(ADMIN_TOKEN);
      expect(run.stdout + run.stderr).not.toContain(WRONG_TOKEN);
    }
  });

  it('lists models and versions through the default profile', async () => {
    // Prepare
    await modelWithVersions('cli-list', 2);

    // Act
    const models = await stagegate([
      'models',
      'list',
      '--filter',
      "name = 'cli-list'",
    ]);
    const versions = await stagegate(['versions', 'list', 'cli-list']);

    // Assess
    expect(models.code).toBe(0);
    expect(models.stdout).toMatch(
      /^NAME +LATEST VERSIONS +UPDATED +DESCRIPTION\ncli-list +None:2 /
    );
    expect(versions.code).toBe(0);
    expect(versions.stdout.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(/^VERSION +STAGE +STATUS +CREATED +SOURCE$/),
      expect.stringMatching(
        /^2 +None +READY +\S+ \S+ +s3:\/\/external-bucket\/cli-list\/2$/
      ),
      expect.stringMatching(/^1 +None +READY /),
    ]);
  });

  it('transitions a version and archives the one it replaces', async () => {
    // Prepare
    await modelWithVersions('cli-transition', 2);
    await stagegate(['transition', 'cli-transition', '1', 'production']);

    // Act
    const moved = await stagegate([
      'transition',
      'cli-transition',
      '2',
      'Production',
      '--archive',
      '--comment',
      'better recall',
    ]);
    const versions = await stagegate([
      'versions',
      'list',
      'cli-transition',
      '--json',
    ]);

    // Assess
    expect(moved.code).toBe(0);
    expect(moved.stdout).toBe(
      'cli-transition version 2 is now in Production (the versions it replaced there are Archived)\n'
    );
    expect(stagesOf(versions)).toEqual({ '1': 'Archived', '2': 'Production' });
  });

  it('requests a transition and applies it on approval', async () => {
    // Prepare
    await modelWithVersions('cli-request', 1);

    // Act
    const requested = await stagegate([
      'request',
      'cli-request',
      '1',
      'Staging',
      '--comment',
      'ready for QA',
    ]);
    const listed = await stagegate(['requests', 'cli-request']);
    const inbox = await stagegate(['inbox', '--json']);
    const approved = await stagegate([
      'approve',
      'cli-request',
      '1',
      'Staging',
      '--comment',
      'ok',
    ]);
    const versions = await stagegate([
      'versions',
      'list',
      'cli-request',
      '--json',
    ]);

    // Assess
    expect(requested.code).toBe(0);
    expect(requested.stdout).toMatch(
      /^requested Staging for cli-request version 1 \(request [0-9a-f]+\)\n$/
    );
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[1]).toMatch(
      /^cli-request\s+1\s+None → Staging\s+\S+\s+[\d-]+ [\d:]+\s+0 of 1\s+ready for QA$/
    );
    expect(inbox.code).toBe(0);
    expect(
      (JSON.parse(inbox.stdout) as { requests: { name: string }[] }).requests
        .map((r) => r.name)
        .filter((n) => n === 'cli-request')
    ).toEqual(['cli-request']);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toBe(
      'approved: cli-request version 1 is now in Staging\n'
    );
    expect(stagesOf(versions)).toEqual({ '1': 'Staging' });
  });

  it('rejects a request without moving the version', async () => {
    // Prepare
    await modelWithVersions('cli-reject', 1);
    await stagegate(['request', 'cli-reject', '1', 'Staging']);

    // Act
    const rejected = await stagegate([
      'reject',
      'cli-reject',
      '1',
      'Staging',
      '--comment',
      'not yet',
    ]);
    const versions = await stagegate([
      'versions',
      'list',
      'cli-reject',
      '--json',
    ]);

    // Assess
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toBe(
      'rejected the request to move cli-reject version 1 to Staging\n'
    );
    expect(stagesOf(versions)).toEqual({ '1': 'None' });
  });

  it("explains a refused token and how to replace the profile's", async () => {
    // Act
    const result = await stagegate(['--profile', 'stale', 'models', 'list']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `stagegate: the registry at ${registry.url} refused the token (profile stale): create a new one (POST /api/2.0/token/create with a working token, or ask an admin) and save it with stagegate profile set stale --token <new token>\n`
    );
  });

  it('names a model that does not exist', async () => {
    // Act
    const listed = await stagegate(['versions', 'list', 'cli-missing']);
    const moved = await stagegate([
      'transition',
      'cli-missing',
      '1',
      'Staging',
    ]);

    // Assess
    for (const result of [listed, moved]) {
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `stagegate: registered model cli-missing does not exist on ${registry.url}\n`
      );
    }
  });

  it('explains a registry it cannot reach', async () => {
    // Prepare
    const closed = `http://127.0.0.1:${await findFreePort()}`;

    // Act
    const result = await stagegate([
      'models',
      'list',
      '--host',
      closed,
      '--token',
      WRONG_TOKEN,
    ]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `stagegate: cannot reach ${closed} (connection refused): is the registry running, and is the host right? (host from --host)\n`
    );
  });

  it('exits 2 with usage for a wrong command line', async () => {
    // Act
    const result = await stagegate(['transition', 'm', 'one', 'Staging']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "stagegate: version must be a positive number, not 'one'\nrun 'stagegate transition --help' for usage\n"
    );
  });

  it('registers a directory with a 200 MB file and downloads it byte-identical, the bytes bypassing the registry', async () => {
    // Prepare
    const model = join(home, 'model');
    mkdirSync(join(model, 'data'), { recursive: true });
    writeFileSync(join(model, 'MLmodel'), 'flavors: {}\n');
    writeFileSync(join(model, 'data', 'config.json'), '{"n": 1}');
    const fd = openSync(join(model, 'data', 'weights.bin'), 'w');
    for (let i = 0; i < 25; i++) writeSync(fd, randomBytes(8 * 1024 * 1024));
    closeSync(fd);
    const name = `cli-artifacts-${randomBytes(4).toString('hex')}`;

    // Act
    const registered = await stagegate(['register', name, model]);
    const downloaded = await stagegate([
      'download',
      `models:/${name}/1`,
      join(home, 'out'),
    ]);
    const traffic = (await (
      await fetch(`${registry.url}/__stagegate/gateway-traffic`)
    ).json()) as {
      routes: Record<string, { requestBytes: number; responseBytes: number }>;
    };

    // Assess
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toBe('1\n');
    expect(downloaded.code, downloaded.stderr).toBe(0);
    for (const path of ['MLmodel', 'data/config.json', 'data/weights.bin']) {
      expect(await sha256File(join(home, 'out', path))).toBe(
        await sha256File(join(model, path))
      );
    }
    // 400 MB crossed S3 (up and down); the registry's own routes carried
    // only JSON: proof that no artifact byte went through a handler.
    const registryBytes = Object.values(traffic.routes).reduce(
      (sum, route) => sum + route.requestBytes + route.responseBytes,
      0
    );
    expect(registryBytes).toBeGreaterThan(0);
    expect(registryBytes).toBeLessThan(1024 * 1024);
  });
});
