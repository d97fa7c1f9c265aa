#!/usr/bin/env node
/**
 * The `stagegate` command. cli/build.ts bundles it (with everything it
 * imports) into dist/stagegate.js, plain JavaScript for Node 20 and later:
 * the package's `bin`. From a checkout it also runs as TypeScript under the
 * project's Node 22 (`node cli/stagegate.ts`).
 *
 * Ctrl-C aborts the command, which stops its transfers, tidies up (partial
 * files removed) and says what was left, exiting 130; a second Ctrl-C
 * exits at once.
 */
import { text } from 'node:stream/consumers';
import { run } from './main.ts';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
});

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  readStdin: () => text(process.stdin),
  signal: interrupt.signal,
});
