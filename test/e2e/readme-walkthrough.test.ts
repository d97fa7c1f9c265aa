import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '#local/paths.ts';
import { buildCli } from '../../cli/build.ts';
import {
  type StartedRegistry,
  startRegistryProcess,
} from '../support/local-process.ts';
import { processesMatching } from '../support/processes.ts';
import { systemNode } from '../support/system-node.ts';

/**
 * The README's walkthrough, run as a newcomer would paste it, so it cannot
 * drift from what the registry and the CLI do. Its fenced blocks are taken
 * in order: `sh` blocks run in one bash session (`set -euo pipefail`), from
 * the checkout, as a user with the system's Node and a fresh home; `js`
 * blocks run in that session with `node --input-type=module` (the same as
 * saving and running them from the checkout); `python` blocks are only
 * compiled, since the MLflow client is not installed here; other blocks
 * (`bash`: the set-up, which this test does itself; output samples) are
 * not run. Two things differ from a terminal, and both are named here:
 * the registry listens on a free port with its own data directory, so the
 * README's address and admin-token path are replaced by this registry's,
 * and `npm install -g` installs into a temporary prefix (offline: the CLI
 * has no dependencies).
 */

const README_ADDRESS = 'http://127.0.0.1:8080';
const README_ADMIN_TOKEN_FILE = '.stagegate/admin-token';

interface Block {
  readonly lang: string;
  readonly code: string;
}

/** The fenced blocks of a Markdown text, in order. */
function fencedBlocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm)].map(
    ([, info = '', code = '']) => ({
      lang: info.trim().split(/\s+/)[0] ?? '',
      code,
    })
  );
}

/** The blocks as one bash script, each announced on stderr. */
function walkthroughScript(blocks: readonly Block[]): string {
  const steps = blocks.flatMap((block, index) => {
    const announce = `echo '--- README block ${index + 1} (${block.lang})' >&2`;
    if (block.lang === 'sh') return [announce, block.code];
    if (block.lang === 'js') {
      return [
        announce,
        `node --input-type=module <<'README_JS_BLOCK'\n${block.code}README_JS_BLOCK`,
      ];
    }
    return [];
  });
  return ['set -euo pipefail', ...steps].join('\n');
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; input?: string }
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
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
    child.stdin.end(options.input ?? '');
  });
}

const readme = readFileSync(join(repositoryRoot, 'README.md'), 'utf8');
const blocks = fencedBlocks(readme);

describe("the README's walkthrough", () => {
  let scratch: string;
  let dataDir: string;
  let registry: StartedRegistry;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'stagegate-e2e-readme-'));
    dataDir = join(scratch, 'data');
    // What `npm ci` builds (the root `prepare`), from the sources as they are.
    await buildCli();
    // No admin token given: the registry makes one and saves it, as
    // `npm start` does on a first start.
    registry = await startRegistryProcess({ dataDir, timeoutMs: 150_000 });
  });

  afterAll(async () => {
    if (registry && registry.child.exitCode === null) {
      registry.child.kill('SIGTERM');
      await registry.exited;
    }
    for (const pid of processesMatching(dataDir)) process.kill(pid, 'SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  it('has runnable blocks, and the address and token file this test replaces', () => {
    // Assess
    expect(blocks.filter((b) => b.lang === 'sh').length).toBeGreaterThan(3);
    expect(blocks.filter((b) => b.lang === 'js')).toHaveLength(1);
    expect(readme).toContain(README_ADDRESS);
    expect(readme).toContain(README_ADMIN_TOKEN_FILE);
  });

  it('runs from install to download, through a refused transition and an approval', async () => {
    // Prepare
    const node = systemNode();
    const prefix = join(scratch, 'prefix');
    const script = walkthroughScript(blocks)
      .replaceAll(README_ADDRESS, registry.url)
      .replaceAll(README_ADMIN_TOKEN_FILE, join(dataDir, 'admin-token'));
    const env: NodeJS.ProcessEnv = {
      PATH: [join(prefix, 'bin'), dirname(node.path), '/usr/bin', '/bin'].join(
        delimiter
      ),
      HOME: join(scratch, 'home'),
      TMPDIR: scratch,
      LANG: 'C.UTF-8',
      npm_config_prefix: prefix,
      npm_config_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };

    // Act
    const walk = await run('bash', ['-c', script], {
      cwd: repositoryRoot,
      env,
    });

    // Assess
    expect(walk.code, `${walk.stderr}\n${walk.stdout}`).toBe(0);
    expect(walk.stdout).toMatch(/^stagegate \d+\.\d+\.\d+$/m);
    expect(walk.stdout).toMatch(/^refused, as it should be$/m);
    expect(walk.stderr).toMatch(/Production/);
    expect(walk.stdout).toContain(
      'approved: fraud-detector version 1 is now in Production'
    );
    expect(walk.stdout).toMatch(/^MLmodel\nweights\.bin$/m);
    expect(walk.stdout).toContain('fraud-detector version 2: Staging');
    expect(walk.stdout).toContain("version 1's files: mlflow-artifacts:/");
  });

  it('has Python blocks that compile', () => {
    // Prepare
    const python = blocks.filter((b) => b.lang === 'python');
    const compiler = spawnSync('python3', ['--version']);

    // Act
    const results =
      compiler.status === 0
        ? python.map((block) =>
            spawnSync(
              'python3',
              ['-c', 'import sys; compile(sys.stdin.read(), "README", "exec")'],
              { input: block.code, encoding: 'utf8' }
            )
          )
        : [];

    // Assess
    expect(python.length).toBeGreaterThan(0);
    for (const result of results) {
      expect(result.status, result.stderr).toBe(0);
    }
  });
});
