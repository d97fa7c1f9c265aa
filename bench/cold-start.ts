import { execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { NO_EXTERNAL_SOURCES } from '#domain/artifacts/sources.ts';
import { repositoryRoot } from '#local/paths.ts';
import { needEnvironment } from '#shared/needs.ts';

/**
 * Lambda cold start, as far as this machine can show it: each function's
 * bundle built as the CDK app builds it (infra/constructs/
 * registry-function.ts: esbuild, ESM, node22, minified, the AWS SDK left
 * to the runtime), then its module initialisation timed in fresh Node
 * processes (`import()` of the bundle, which wires the function's
 * clients and stores). Lambda adds its own runtime start and the
 * download of the code; the part we control is this one.
 */
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? '5');

/**
 * A value for every resource a function may need, as the CDK app sets them
 * (typed by the needs, so a new one cannot be forgotten here).
 */
const NEEDS: Record<keyof typeof needEnvironment, string> = {
  table: 'bench',
  bucket: 'bench',
  bucketName: 'bench',
  transitionRequestWorkflow:
    'arn:aws:states:us-east-1:000000000000:stateMachine:bench',
  registrations: 'bench',
  externalSources: NO_EXTERNAL_SOURCES,
  oauthSigningKey:
    'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-oauth',
  webhookQueue: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench',
  eventBus: 'bench',
  mail: 'ses',
  emailLinkKey:
    'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-email',
  slackSecret:
    'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-slack',
  slackActions: 'bench',
};

/** What the functions read from their environment at start. */
const ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_SERVICE_NAME: 'stagegate',
  POWERTOOLS_METRICS_NAMESPACE: 'stagegate',
  MAIL_FROM: 'stagegate@example.com',
  STAGEGATE_PUBLIC_URL: 'https://registry.example.com',
  ...Object.fromEntries(
    Object.entries(NEEDS).map(([need, value]) => [
      needEnvironment[need as keyof typeof needEnvironment],
      value,
    ])
  ),
};

function entries(): string[] {
  const handlers = join(repositoryRoot, 'functions/handlers');
  return ['api', 'jobs', 'workflow', '.'].flatMap((dir) =>
    readdirSync(join(handlers, dir))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(handlers, dir, file))
  );
}

async function main() {
  const out = mkdtempSync(join(tmpdir(), 'stagegate-cold-'));
  // The SDK is external, as on Lambda (where the runtime provides it).
  symlinkSync(join(repositoryRoot, 'node_modules'), join(out, 'node_modules'));
  try {
    const rows: [string, number, number, number][] = [];
    for (const entry of entries()) {
      const name = entry
        .slice(join(repositoryRoot, 'functions/handlers/').length)
        .replace(/\.ts$/, '');
      const file = join(out, `${name.replaceAll('/', '-')}.mjs`);
      await build({
        entryPoints: [entry],
        outfile: file,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: {
          js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        },
        minify: true,
        sourcemap: true,
        external: ['@aws-sdk/*'],
        logLevel: 'error',
      });
      const samples: number[] = [];
      for (let i = 0; i < RUNS; i += 1) {
        const output = execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const t0 = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t0);`,
          ],
          { env: { ...process.env, ...ENV }, encoding: 'utf8' }
        );
        samples.push(Number(output.trim().split('\n').at(-1)));
      }
      samples.sort((a, b) => a - b);
      rows.push([
        name,
        statSync(file).size / 1024,
        samples[Math.floor(samples.length / 2)] ?? 0,
        samples.at(-1) ?? 0,
      ]);
    }
    console.log(
      `\nmodule init of each function bundle, ${RUNS} fresh Node ${process.version} processes each, ${new Date().toISOString()}\n`
    );
    console.log(
      `${'function bundle'.padEnd(36)}${'KB'.padStart(8)}${'init p50 ms'.padStart(14)}${'max ms'.padStart(10)}`
    );
    for (const [name, kb, p50, max] of rows) {
      console.log(
        `${name.padEnd(36)}${kb.toFixed(0).padStart(8)}${p50.toFixed(1).padStart(14)}${max.toFixed(1).padStart(10)}`
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

await main();
