import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBRegistrationLeaseStore } from '#adapters/dynamodb/registration-lease-store.ts';
import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import {
  type RegistrationDependencies,
  type RegistrationOutcome,
  registerArtifacts,
} from '#domain/artifacts/registration.ts';
import { registrationPolicyFromEnv } from '#shared/artifacts.ts';
import { observedHandler, recordMetric } from '#shared/invocation.ts';
import { metricNames } from '#shared/metric-names.ts';
import { logger } from '#shared/powertools.ts';
import { defineRoot } from '#shared/root.ts';
import { now } from '#shared/system.ts';
import { registryTableNeed } from '../api-root.ts';

export interface RegistrationJobDependencies extends RegistrationDependencies {
  /** How long an attempt's lease lasts between renewals. */
  readonly leaseMs: number;
}

const job = z.object({
  modelId: z.string().min(1),
  version: z.number().int().positive(),
  uploadId: z.string().regex(/^[0-9a-f]{32}$/),
  startAt: z.number().int().nonnegative().optional(),
  attempt: z.number().int().positive().optional(),
});

/**
 * The asynchronous registration of one version (invoked with
 * `InvocationType: Event` by `model-versions/create`, or by itself to
 * continue): server-side copies from the upload's temporary prefix into the
 * managed prefix, verified, then READY or FAILED_REGISTRATION. Every
 * failure ends in the version's status; nothing is thrown for Lambda to
 * retry (the function's retry attempts are 0). An invocation that is lost
 * or dies stops renewing its lease, and the registration watchdog starts
 * the next attempt.
 */
export const registrationRoot = defineRoot({
  // Reads (pinned versions of) the temporary uploads and copies, of
  // managed versions (`models:/` sources) and of the allow-listed
  // prefixes, writes and verifies the managed copies, and continues a long
  // registration in a new invocation of itself.
  needs: {
    table: registryTableNeed,
    bucket: [
      { prefix: 'temporary', access: 'copySource', list: false },
      { prefix: 'managed', access: 'copySource', list: false },
      { prefix: 'managed', access: 'copyTarget', list: false },
    ],
    registrations: true,
    externalSources: 'copySource',
  },
  wire: ({ table, bucket, registrations }): RegistrationJobDependencies => ({
    store: new DynamoDBModelRegistryStore(table),
    leases: new DynamoDBRegistrationLeaseStore(table),
    uploads: new DynamoDBUploadSessionStore(table),
    transfers: bucket.artifacts,
    queue: registrations,
    now,
    leaseMs: registrationPolicyFromEnv().leaseMs,
  }),
  build: (deps: RegistrationJobDependencies) =>
    observedHandler(
      async (
        event: unknown,
        context: Context
      ): Promise<{ outcome: RegistrationOutcome | 'INVALID_EVENT' }> => {
        const parsed = job.safeParse(event);
        if (!parsed.success) {
          logger.error('Registration event is not a job', { event });
          return { outcome: 'INVALID_EVENT' };
        }
        logger.appendKeys({
          modelId: parsed.data.modelId,
          version: parsed.data.version,
          uploadId: parsed.data.uploadId,
          attempt: parsed.data.attempt ?? 1,
        });
        const outcome = await registerArtifacts(deps, parsed.data, {
          remainingMs: () => context.getRemainingTimeInMillis(),
          leaseMs: deps.leaseMs,
        });
        logger.info('Registration finished', { outcome });
        if (outcome === 'READY')
          await recordRegistrationTime(deps, parsed.data);
        if (outcome === 'FAILED_REGISTRATION') {
          recordMetric({ name: metricNames.failedRegistrations });
        }
        return { outcome };
      }
    ),
});

/**
 * `RegistrationTime`: from the version's creation to READY, across every
 * invocation and attempt it took.
 */
async function recordRegistrationTime(
  deps: RegistrationJobDependencies,
  registered: { modelId: string; version: number }
): Promise<void> {
  const version = await deps.store.getVersion(
    registered.modelId,
    registered.version
  );
  if (!version) return;
  recordMetric({
    name: metricNames.registrationTime,
    unit: MetricUnit.Milliseconds,
    value: Math.max(0, deps.now() - version.creationTimestamp),
  });
}
