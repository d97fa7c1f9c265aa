import { z } from 'zod';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBRegistrationLeaseStore } from '#adapters/dynamodb/registration-lease-store.ts';
import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import {
  redriveRegistrations,
  type WatchdogDependencies,
  type WatchdogReport,
} from '#domain/artifacts/registration-watchdog.ts';
import {
  artifactBucketFromEnv,
  registrationPolicyFromEnv,
  registrationQueueFromEnv,
} from '#shared/artifacts.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import { logger } from '#shared/powertools.ts';

const table = registryTableFromEnv();
const { artifacts } = artifactBucketFromEnv();
const policy = registrationPolicyFromEnv();
const deps: WatchdogDependencies = {
  leases: new DynamoDBRegistrationLeaseStore(table),
  store: new DynamoDBModelRegistryStore(table),
  uploads: new DynamoDBUploadSessionStore(table),
  transfers: artifacts,
  queue: registrationQueueFromEnv(),
  now: () => Date.now(),
};

/** Registrations looked at per run; the next run takes the rest. */
const MAX_PER_RUN = 200;

/**
 * EventBridge's scheduled event carries nothing this job reads; the local
 * runtime passes `allLeasesLost` once at start (see `WatchdogOptions`).
 */
const event = z
  .object({ allLeasesLost: z.boolean().optional() })
  .catch({ allLeasesLost: undefined });

/**
 * The registration watchdog (every 5 minutes on AWS, on a timer and at
 * every start locally): re-drives registrations whose attempt stopped
 * renewing its lease, and fails those out of attempts or time.
 */
export async function handler(input?: unknown): Promise<WatchdogReport> {
  const { allLeasesLost } = event.parse(input ?? {});
  const report = await redriveRegistrations(deps, {
    ...policy,
    allLeasesLost: allLeasesLost === true,
    maxPerRun: MAX_PER_RUN,
  });
  if (report.examined > 0) {
    logger.info('Registration watchdog finished', { report });
  }
  return report;
}
