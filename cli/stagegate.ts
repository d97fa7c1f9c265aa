#!/usr/bin/env node
/**
 * The `stagegate` command (package.json `bin`). Runs under Node 22's type
 * stripping, so it needs a Node ≥ 22.18 on PATH — which npm scripts and
 * `npx stagegate` provide from node_modules/.bin.
 */
import { text } from 'node:stream/consumers';
import { run } from './main.ts';

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  readStdin: () => text(process.stdin),
});
