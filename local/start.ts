import { resolve } from 'node:path';
import { LocalRuntimeError } from './errors.ts';
import { type LocalRuntime, startLocalRuntime } from './runtime.ts';
import {
  EXIT_USAGE,
  START_USAGE,
  startArguments,
  UsageError,
} from './usage.ts';

/**
 * The registry on this machine (`npm start`, through `main.ts`). Settings
 * come from the environment (`npm start -- --help` lists them).
 */
async function main(): Promise<void> {
  if (startArguments(process.argv.slice(2)) === 'help') {
    process.stdout.write(START_USAGE);
    return;
  }
  const port = Number(process.env.STAGEGATE_PORT ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LocalRuntimeError(
      `STAGEGATE_PORT must be a port number, got '${process.env.STAGEGATE_PORT}'.`
    );
  }
  const dataDir = resolve(process.env.STAGEGATE_DATA_DIR ?? '.stagegate');
  const watchdogSeconds = Number(
    process.env.STAGEGATE_WATCHDOG_INTERVAL_SECONDS ?? '60'
  );
  if (!Number.isFinite(watchdogSeconds) || watchdogSeconds <= 0) {
    throw new LocalRuntimeError(
      `STAGEGATE_WATCHDOG_INTERVAL_SECONDS must be a positive number of seconds, got '${process.env.STAGEGATE_WATCHDOG_INTERVAL_SECONDS}'.`
    );
  }
  const started = Date.now();
  const runtime = await startLocalRuntime({
    dataDir,
    port,
    adminToken: process.env.STAGEGATE_ADMIN_TOKEN || undefined,
    watchdogIntervalMs: watchdogSeconds * 1000,
    // Tests only (test/e2e/registration-restart.test.ts).
    loseRegistrations: Number(
      process.env.STAGEGATE_TEST_LOSE_REGISTRATIONS ?? '0'
    ),
    eventsPollMs: positiveNumber('STAGEGATE_EVENTS_POLL_MS', 250),
    reminderIntervalMs:
      positiveNumber('STAGEGATE_REMINDER_INTERVAL_SECONDS', 60) * 1000,
    // Tests only (test/e2e/event-restart.test.ts).
    pauseEvents: pauseFromEnv(),
  });
  const lines = [
    `stagegate is listening on ${runtime.url} (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `  data directory: ${runtime.dataDir}`,
  ];
  if (runtime.adminTokenGenerated) {
    lines.push(
      `  admin token (shown once, also saved to ${runtime.adminTokenFile}): ${runtime.adminToken}`
    );
  } else if (runtime.adminTokenFile) {
    lines.push(`  admin token: in ${runtime.adminTokenFile}`);
  } else {
    lines.push('  admin token: the one in STAGEGATE_ADMIN_TOKEN');
  }
  if (process.env.STAGEGATE_DEBUG_ENDPOINTS === 'true') {
    lines.push(`  DynamoDB Local (debug): ${runtime.dynamodbEndpoint}`);
  }
  lines.push('Press Ctrl-C to stop.');
  console.log(lines.join('\n'));
  handleSignals(runtime);
}

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new LocalRuntimeError(
      `${name} must be a positive number, got '${raw}'.`
    );
  }
  return value;
}

function pauseFromEnv(): 'dispatch' | 'delivery' | undefined {
  const raw = process.env.STAGEGATE_TEST_PAUSE_EVENTS;
  return raw === 'dispatch' || raw === 'delivery' ? raw : undefined;
}

function handleSignals(runtime: LocalRuntime): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C does not wait for a clean stop.
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal} received, stopping stagegate…`);
    runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('stagegate: stop failed:', error);
        process.exit(1);
      }
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`stagegate: ${error.message}`);
    process.exit(EXIT_USAGE);
  }
  if (error instanceof LocalRuntimeError) {
    console.error(`stagegate: ${error.message}`);
  } else {
    console.error('stagegate: could not start:', error);
  }
  process.exit(1);
});
