import { z } from 'zod';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBRegistrationLeaseStore } from '#adapters/dynamodb/registration-lease-store.ts';
import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import type { RegistrationPolicy } from '#domain/artifacts/registration.ts';
import {
  redriveRegistrations,
  type WatchdogDependencies,
  type WatchdogReport,
} from '#domain/artifacts/registration-watchdog.ts';
import { registrationPolicyFromEnv } from '#shared/artifacts.ts';
import { observedHandler, recordMetric } from '#shared/invocation.ts';
import { metricNames } from '#shared/metric-names.ts';
import { logger } from '#shared/powertools.ts';
import { defineRoot } from '#shared/root.ts';
import { now } from '#shared/system.ts';
import { registryTableNeed } from '../api-root.ts';

export interface WatchdogJobDependencies extends WatchdogDependencies {
  readonly policy: RegistrationPolicy;
}

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
export const registrationWatchdogRoot = defineRoot({
  // Queries the leases that ran out, starts the next attempt of each, and
  // when a registration is out of attempts or time marks it failed and
  // deletes its copies by key (no listing, no reads).
  needs: {
    table: registryTableNeed,
    bucket: [{ prefix: 'managed', access: 'delete', list: false }],
    registrations: true,
  },
  wire: ({ table, bucket, registrations }): WatchdogJobDependencies => ({
    leases: new DynamoDBRegistrationLeaseStore(table),
    store: new DynamoDBModelRegistryStore(table),
    uploads: new DynamoDBUploadSessionStore(table),
    transfers: bucket.artifacts,
    queue: registrations,
    now,
    policy: registrationPolicyFromEnv(),
  }),
  build: (deps: WatchdogJobDependencies) =>
    observedHandler(async (input: unknown): Promise<WatchdogReport> => {
      const { allLeasesLost } = event.parse(input ?? {});
      const report = await redriveRegistrations(deps, {
        ...deps.policy,
        allLeasesLost: allLeasesLost === true,
        maxPerRun: MAX_PER_RUN,
      });
      if (report.examined > 0) {
        logger.info('Registration watchdog finished', { report });
      }
      recordMetric({
        name: metricNames.failedRegistrations,
        value: report.failed,
      });
      recordMetric({
        name: metricNames.registrationsRedriven,
        value: report.redriven,
      });
      return report;
    }),
});
