/**
 * Builds the `stagegate` command into one plain JavaScript file,
 * `cli/dist/stagegate.js`, with no dependencies and no type stripping, so
 * it runs on Node 20 and later wherever it is installed (`npm install -g`,
 * `npx`). Run by `npm ci` (the root `prepare`), `npm run build:cli` and
 * `npm pack ./cli` (the CLI package's `prepack`).
 */
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

/** The oldest Node the built CLI supports (the CLI package's `engines`). */
export const CLI_NODE_TARGET = 'node20';

const cliDir = import.meta.dirname;

export async function buildCli(
  outfile = join(cliDir, 'dist', 'stagegate.js')
): Promise<string> {
  const manifest = JSON.parse(
    await readFile(join(cliDir, 'package.json'), 'utf8')
  ) as { version: string };
  await build({
    entryPoints: [join(cliDir, 'stagegate.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: CLI_NODE_TARGET,
    // The entry's `#!/usr/bin/env node` line is kept as the first line.
    define: { STAGEGATE_CLI_VERSION: JSON.stringify(manifest.version) },
    legalComments: 'none',
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
  return outfile;
}

if (import.meta.main) await buildCli();
