import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  type StartedRegistry,
  startRegistryProcess,
} from '../support/local-process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stagegateUrl: string;
    stagegateToken: string;
    /** The local stack's data directory (its mail outbox); '' for a remote one. */
    stagegateDataDir: string;
  }
}

/**
 * The integration suite is black-box HTTP against STAGEGATE_URL with
 * STAGEGATE_TOKEN (an admin token). When they are unset, one local registry
 * is started for the whole run, on a free port with its own data directory.
 */
export default async function setup(project: TestProject) {
  const url = process.env.STAGEGATE_URL;
  const token = process.env.STAGEGATE_TOKEN;
  if (url || token) {
    if (!url || !token) {
      throw new Error(
        'Set both STAGEGATE_URL and STAGEGATE_TOKEN (an admin token), or neither to test a local stack.'
      );
    }
    project.provide('stagegateUrl', url.replace(/\/$/, ''));
    project.provide('stagegateToken', token);
    project.provide('stagegateDataDir', '');
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-it-'));
  const adminToken = `dapi${randomBytes(16).toString('hex')}`;
  let registry: StartedRegistry | undefined;
  try {
    registry = await startRegistryProcess({
      dataDir,
      adminToken,
      // Byte counters per route and "run the cleanup job now", for the
      // artifact tests (local only: they do not exist on AWS).
      // No grace after READY: the cleanup test removes a copy at once
      // (test/integration/remote-registry.test.ts has a grace of its own).
      env: {
        STAGEGATE_DEBUG_ENDPOINTS: 'true',
        TEMPORARY_COPY_GRACE_HOURS: '0',
        FAILED_RETENTION_HOURS: '72',
        // Every answer held to its operation's published output schema.
        STAGEGATE_CHECK_RESPONSES: 'true',
        // Webhook retries in tenths of a second, three attempts in all
        // (test/integration/registry-events.test.ts).
        WEBHOOK_RETRY_BASE_SECONDS: '0.05',
        WEBHOOK_RETRY_MAX_SECONDS: '0.2',
        WEBHOOK_MAX_ATTEMPTS: '3',
        WEBHOOK_TIMEOUT_SECONDS: '2',
      },
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  project.provide('stagegateUrl', registry.url);
  project.provide('stagegateToken', adminToken);
  project.provide('stagegateDataDir', dataDir);
  return async () => {
    registry?.child.kill('SIGTERM');
    await registry?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
}
