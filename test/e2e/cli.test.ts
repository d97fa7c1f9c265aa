import { execFileSync, spawn, spawnSync } from 'node:child_process';
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
import { delimiter, dirname, join } from 'node:path';
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

/** The environment of a user: a home of its own, no registry variables. */
function userEnv(extra: Record<string, string> = {}) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOME: home,
    STAGEGATE_CONFIG: configFile,
    ...extra,
  };
  for (const name of [
    'STAGEGATE_HOST',
    'STAGEGATE_TOKEN',
    'DATABRICKS_HOST',
    'DATABRICKS_TOKEN',
  ]) {
    delete env[name];
  }
  return env;
}

/** Runs a command as a user would: its own process, its output collected. */
function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string | undefined> }
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...options,
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

/** `stagegate` from the checkout, run by the project's Node. */
function stagegate(args: string[]): Promise<CliRun> {
  return runProcess(process.execPath, ['cli/stagegate.ts', ...args], {
    cwd: repositoryRoot,
    env: userEnv(),
  });
}

/** Test setup straight through the API. */
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
    const refused = await stagegate([
      'profile',
      'set',
      'stale',
      '--host',
      registry.url,
      '--token',
      WRONG_TOKEN,
    ]);
    // A token the registry refuses is saved only unchecked.
    const second = await stagegate([
      'profile',
      'set',
      'stale',
      '--host',
      registry.url,
      '--token',
      WRONG_TOKEN,
      '--no-verify',
    ]);
    const listed = await stagegate(['profile', 'list']);

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `stagegate: the registry at ${registry.url} refused the token; profile stale was not saved\n`
    );
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
    for (const run of [refused, second, listed]) {
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

  it("takes paths relative to the caller's directory through npm run", async () => {
    // Prepare: a directory that exists only where the command is typed.
    const here = mkdtempSync(join(tmpdir(), 'stagegate-e2e-cwd-'));
    mkdirSync(join(here, 'model-only-here'));
    writeFileSync(join(here, 'model-only-here', 'MLmodel'), 'flavors: {}\n');
    const closed = `http://127.0.0.1:${await findFreePort()}`;

    // Act
    const result = await runProcess(
      'npm',
      [
        '--prefix',
        repositoryRoot,
        'run',
        '-s',
        'stagegate',
        '--',
        'register',
        'm',
        './model-only-here',
        '--host',
        closed,
        '--token',
        WRONG_TOKEN,
      ],
      { cwd: here, env: userEnv() }
    );
    rmSync(here, { recursive: true, force: true });

    // Assess: it found the directory, then could not reach the registry.
    expect(result.stderr).toContain(
      `registering 1 file (12 B) as a new version of m on ${closed}`
    );
    expect(result.code).toBe(1);
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

describe('stagegate (CLI) for a team, against a local registry', () => {
  it('sets up a user, a group, grants and a token, and the token works', async () => {
    // Act
    const user = await stagegate(['users', 'create', 'bob@example.com']);
    const group = await stagegate(['groups', 'create', 'cli-leads']);
    const joined = await stagegate([
      'groups',
      'add',
      'cli-leads',
      '--user',
      'bob@example.com',
    ]);
    const token = await stagegate([
      'tokens',
      'create',
      '--user',
      'bob@example.com',
      '--comment',
      'e2e',
    ]);
    const model = await stagegate([
      'models',
      'create',
      'cli-team',
      '--tag',
      'team=risk',
    ]);
    const granted = await stagegate([
      'permissions',
      'grant',
      'cli-team',
      'manage-staging-versions',
      '--group',
      'cli-leads',
    ]);
    const bobToken = token.stdout.trim();
    const asBob = (args: string[]) =>
      stagegate([...args, '--host', registry.url, '--token', bobToken]);
    const whoami = await asBob(['whoami']);
    const shown = await asBob(['models', 'show', 'cli-team']);
    const revoked = await stagegate([
      'permissions',
      'revoke',
      'cli-team',
      '--group',
      'cli-leads',
    ]);
    const after = await stagegate([
      'permissions',
      'show',
      'cli-team',
      '--output',
      'json',
    ]);

    // Assess
    for (const run of [user, group, joined, token, model, granted, revoked]) {
      expect(run.code, run.stderr).toBe(0);
    }
    expect(bobToken).toMatch(/^dapi[0-9a-f]{32}$/);
    expect(whoami.stdout).toMatch(/^user name: +bob@example\.com$/m);
    expect(whoami.stdout).toMatch(/^groups: +cli-leads$/m);
    expect(shown.stdout).toMatch(/^your level: +CAN_MANAGE_STAGING_VERSIONS$/m);
    expect(shown.stdout).toMatch(/^tags: +team=risk$/m);
    const acl = JSON.parse(after.stdout) as {
      access_control_list: { group_name?: string }[];
    };
    expect(acl.access_control_list.map((e) => e.group_name)).not.toContain(
      'cli-leads'
    );
  });

  it('comments, cancels a request, shows a version and renames and deletes a model', async () => {
    // Prepare
    await modelWithVersions('cli-life', 1);

    // Act
    const commented = await stagegate([
      'comments',
      'add',
      'cli-life',
      '1',
      'first look',
    ]);
    const comments = await stagegate(['comments', 'list', 'cli-life', '1']);
    const requested = await stagegate(['request', 'cli-life', '1', 'Staging']);
    const cancelled = await stagegate(['cancel', 'cli-life', '1', 'Staging']);
    const feed = await stagegate(['versions', 'activities', 'cli-life', '1']);
    const shown = await stagegate(['versions', 'show', 'cli-life', '1']);
    const renamed = await stagegate([
      'models',
      'rename',
      'cli-life',
      'cli-life2',
    ]);
    const deleted = await stagegate(['models', 'delete', 'cli-life2']);
    const gone = await stagegate(['models', 'show', 'cli-life2']);

    // Assess
    for (const run of [commented, requested, cancelled, renamed, deleted]) {
      expect(run.code, run.stderr).toBe(0);
    }
    expect(comments.stdout).toMatch(/^\S+ +\S+ \S+ +admin +first look$/m);
    expect(cancelled.stdout).toBe(
      "cancelled admin's request to move cli-life version 1 to Staging\n"
    );
    expect(feed.stdout).toContain('CANCELLED_REQUEST None → Staging');
    expect(shown.stdout).toMatch(
      /^artifacts: +s3:\/\/external-bucket\/cli-life\/1$/m
    );
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(
      `stagegate: registered model cli-life2 does not exist on ${registry.url}\n`
    );
  });
});

/**
 * The Node a user has, outside the project: the first `node` on PATH that
 * is not the project's own (node_modules/.bin). On this kind of machine it
 * is the system's Node 20.
 */
function systemNode(): { path: string; version: string } {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || dir.includes('node_modules')) continue;
    const path = join(dir, 'node');
    const result = spawnSync(path, ['--version'], { encoding: 'utf8' });
    if (result.status === 0) return { path, version: result.stdout.trim() };
  }
  throw new Error('no node on PATH outside the project');
}

describe("the packed CLI, installed under the user's Node", () => {
  const node = systemNode();
  let prefix: string;
  let work: string;
  let install: CliRun;

  /** PATH of a user who installed the CLI into `prefix`. */
  const userPath = () =>
    [join(prefix, 'bin'), dirname(node.path), '/usr/bin', '/bin'].join(
      delimiter
    );

  /** `stagegate` as installed, run from a directory outside the checkout. */
  const installed = (args: string[], extra: Record<string, string> = {}) =>
    runProcess(join(prefix, 'bin', 'stagegate'), args, {
      cwd: work,
      env: { ...userEnv(extra), PATH: userPath() },
    });

  beforeAll(async () => {
    prefix = mkdtempSync(join(tmpdir(), 'stagegate-e2e-prefix-'));
    work = mkdtempSync(join(tmpdir(), 'stagegate-e2e-work-'));
    // npm pack runs the CLI package's prepack, which builds dist/ with
    // esbuild under the project's Node.
    execFileSync('npm', ['pack', './cli', '--pack-destination', prefix], {
      cwd: repositoryRoot,
      stdio: 'ignore',
    });
    install = await runProcess(
      join(dirname(node.path), 'npm'),
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--offline',
        '--no-audit',
        '--no-fund',
        join(prefix, 'stagegate-cli-0.1.0.tgz'),
      ],
      { cwd: work, env: { ...userEnv(), PATH: userPath() } }
    );
  });

  afterAll(() => {
    rmSync(prefix, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('installs with npm install -g from the tarball, without warnings', () => {
    // Assess
    expect(Number(/^v(\d+)/.exec(node.version)?.[1])).toBeGreaterThanOrEqual(
      20
    );
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).toBe('');
  });

  it('answers --help and --version from any directory', async () => {
    // Act
    const help = await installed(['--help']);
    const version = await installed(['--version']);
    const npx = await runProcess(
      join(dirname(node.path), 'npx'),
      ['stagegate', '--version'],
      {
        cwd: work,
        env: { ...userEnv({ npm_config_prefix: prefix }), PATH: userPath() },
      }
    );

    // Assess
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: stagegate <command> \[options\]\n/);
    expect(version.stdout).toBe('stagegate 0.1.0\n');
    expect(npx.code, npx.stderr).toBe(0);
    expect(npx.stdout).toBe('stagegate 0.1.0\n');
  });

  it('registers a directory and downloads it again, with relative paths', async () => {
    // Prepare
    mkdirSync(join(work, 'model', 'data'), { recursive: true });
    writeFileSync(join(work, 'model', 'MLmodel'), 'flavors: {}\n');
    writeFileSync(join(work, 'model', 'data', 'w.bin'), randomBytes(300_000));
    const name = `cli-package-${randomBytes(4).toString('hex')}`;
    const env = { STAGEGATE_HOST: registry.url, STAGEGATE_TOKEN: ADMIN_TOKEN };

    // Act
    const registered = await installed(['register', name, './model'], env);
    const downloaded = await installed(
      ['download', `models:/${name}/latest`, './out'],
      env
    );
    const again = await installed(
      ['download', `models:/${name}/1`, './out'],
      env
    );
    const versions = await installed(['versions', 'list', name], env);
    const uri = (await (
      await fetch(
        `${registry.url}${MLFLOW}/model-versions/get-download-uri?name=${name}&version=1`,
        { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }
      )
    ).json()) as { artifact_uri: string };

    // Assess
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toBe('1\n');
    expect(registered.stderr).toMatch(/^2 files, 293\.0 KiB in /m);
    expect(downloaded.code, downloaded.stderr).toBe(0);
    for (const path of ['MLmodel', 'data/w.bin']) {
      expect(await sha256File(join(work, 'out', path))).toBe(
        await sha256File(join(work, 'model', path))
      );
    }
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--force overwrites them');
    expect(versions.stdout).toMatch(
      new RegExp(`^1 +None +READY +\\S+ \\S+ +${uri.artifact_uri}$`, 'm')
    );
  });
});
