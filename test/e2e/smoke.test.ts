import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '#local/paths.ts';
import {
  type StartedRegistry,
  startRegistryProcess,
} from '../support/local-process.ts';
import { processesMatching } from '../support/processes.ts';

/**
 * The post-deploy smoke test (`npm run smoke`), run as an operator runs it
 * after a deploy, against the local stack: it passes, and it leaves
 * nothing behind but what any model deletion leaves for the cleanup job's
 * purge.
 */

const ADMIN_TOKEN = `dapi${randomBytes(16).toString('hex')}`;
const S3_SUFFIX = '._S3rver_object';

let registry: StartedRegistry;
let dataDir: string;

function smoke(
  args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'smoke', '--', ...args], {
      cwd: repositoryRoot,
      env: { ...process.env, STAGEGATE_TOKEN: '' },
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

/** The keys of every object the local S3 holds, by bucket. */
function storedObjects(): Set<string> {
  const root = join(dataDir, 's3');
  const keys = new Set<string>();
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(S3_SUFFIX)) {
        keys.add(
          relative(root, path).slice(0, -S3_SUFFIX.length).split(sep).join('/')
        );
      }
    }
  };
  walk(root);
  return keys;
}

async function modelNames(): Promise<string[]> {
  const response = await fetch(
    `${registry.url}/api/2.0/mlflow/registered-models/search?max_results=1000`,
    { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }
  );
  const body = (await response.json()) as {
    registered_models?: { name: string }[];
  };
  return (body.registered_models ?? []).map((model) => model.name);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stagegate-e2e-smoke-'));
  registry = await startRegistryProcess({
    dataDir,
    adminToken: ADMIN_TOKEN,
    env: { STAGEGATE_DEBUG_ENDPOINTS: 'true' },
  });
  // Something of someone else's that the smoke test must leave alone.
  const created = await fetch(
    `${registry.url}/api/2.0/mlflow/registered-models/create`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'fraud-detector' }),
    }
  );
  expect(created.status).toBe(200);
});

afterAll(async () => {
  if (registry && registry.child.exitCode === null) {
    registry.child.kill('SIGTERM');
    await registry.exited;
  }
  for (const pid of processesMatching(dataDir)) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run smoke', () => {
  it('passes every check and leaves no model, upload or stray object behind', async () => {
    // Prepare
    const objectsBefore = storedObjects();

    // Act
    const run = await smoke(['--url', registry.url, '--token', ADMIN_TOKEN]);
    // The hourly cleanup job: removes the consumed upload's temporary copy.
    const cleanup = await fetch(`${registry.url}/__stagegate/jobs/cleanup`, {
      method: 'POST',
    });

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const check of [
      'health',
      'auth',
      'create and read a temporary model',
      'presigned round trip',
      'delete the temporary model',
    ]) {
      expect(run.stdout).toContain(`ok    ${check}`);
    }
    expect(run.stdout).toContain(`smoke test passed against ${registry.url}`);
    expect(run.stdout).not.toContain(ADMIN_TOKEN);
    expect(cleanup.status).toBe(200);
    expect(await modelNames()).toEqual(['fraud-detector']);
    // What is new in storage is the deleted version's managed copy (one
    // model's prefix), which the cleanup job purges after its grace hour
    // like any deleted model's; no temporary upload remains.
    const added = [...storedObjects()].filter((key) => !objectsBefore.has(key));
    const prefixes = new Set(
      added.map(
        (key) => /^[^/]+\/mlflow-registry\/[0-9a-f]{32}\//.exec(key)?.[0]
      )
    );
    expect(prefixes.size, added.join('\n')).toBeLessThanOrEqual(1);
    expect(prefixes.has(undefined), added.join('\n')).toBe(false);
  });

  it('fails with exit code 1 on a token the registry does not know, having created nothing', async () => {
    // Act
    const run = await smoke([
      '--url',
      registry.url,
      '--token',
      `dapi${'1'.repeat(32)}`,
    ]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('ok    health');
    expect(run.stdout).toContain('FAIL  auth');
    expect(run.stdout).toContain('smoke test FAILED');
    expect(await modelNames()).toEqual(['fraud-detector']);
  });
});
