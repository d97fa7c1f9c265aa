import { defineConfig } from 'vitest/config';

/**
 * Test tiers (STYLE.md): `unit` is pure and fast (no JVM, no server);
 * `stores` runs the adapters and the store contract suites against DynamoDB
 * Local; `infra` synthesizes the CDK app; `integration` drives the real HTTP API of a local stack (booted once
 * per run by the global setup unless STAGEGATE_URL/STAGEGATE_TOKEN name a
 * deployed one); `e2e` starts and kills whole `npm start` processes.
 */
/**
 * The coverage bar on the domain: with `--coverage` (as `npm test` runs the
 * unit tier), vitest fails unless the unit tier covers at least this share
 * of the lines under `functions/domain/`. STAGEGATE_DOMAIN_COVERAGE_LINES
 * overrides it (a percentage; 0 turns the bar off), e.g. while a change
 * whose unit tests land separately is merged.
 */
function domainCoverageLines(): number {
  const value = process.env.STAGEGATE_DOMAIN_COVERAGE_LINES ?? '90';
  const lines = Number(value);
  if (value.trim() === '' || !(lines >= 0 && lines <= 100)) {
    throw new Error(
      `STAGEGATE_DOMAIN_COVERAGE_LINES must be a percentage from 0 to 100, got '${value}'.`
    );
  }
  return lines;
}

export default defineConfig({
  test: {
    coverage: {
      provider: 'v8',
      include: ['functions/domain/**'],
      reporter: ['text-summary'],
      thresholds: {
        'functions/domain/**': { lines: domainCoverageLines() },
      },
    },
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'test/unit/**/*.test.ts',
            'test/statemachines/**/*.test.ts',
          ],
          environment: 'node',
          // Handlers log one access entry per request at INFO and flush
          // EMF metrics: quiet here (tests that read them say so), JSON
          // whatever the terminal.
          env: {
            POWERTOOLS_LOG_LEVEL: 'WARN',
            POWERTOOLS_METRICS_DISABLED: 'true',
            STAGEGATE_LOG_FORMAT: 'json',
            // Answers held to their operations' output schemas.
            STAGEGATE_CHECK_RESPONSES: 'true',
          },
        },
      },
      {
        test: {
          name: 'stores',
          include: ['test/stores/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            'test/integration/**/*.test.ts',
            'test/contract/**/*.test.ts',
          ],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // The web page in Chromium against one local stack (the
          // integration tier's), or a deployed one via STAGEGATE_URL.
          name: 'web',
          include: ['test/web/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
