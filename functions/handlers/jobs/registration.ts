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
import {
  artifactBucketFromEnv,
  registrationPolicyFromEnv,
  registrationQueueFromEnv,
} from '#shared/artifacts.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import { logger, startInvocation } from '#shared/powertools.ts';

const table = registryTableFromEnv();
const { artifacts } = artifactBucketFromEnv();
const { leaseMs } = registrationPolicyFromEnv();
const deps: RegistrationDependencies = {
  store: new DynamoDBModelRegistryStore(table),
  leases: new DynamoDBRegistrationLeaseStore(table),
  uploads: new DynamoDBUploadSessionStore(table),
  transfers: artifacts,
  // A registration that runs short of time continues in a new invocation
  // of this same function.
  queue: registrationQueueFromEnv(),
  now: () => Date.now(),
};

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
export async function handler(
  event: unknown,
  context: Context
): Promise<{ outcome: RegistrationOutcome | 'INVALID_EVENT' }> {
  startInvocation(context);
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
    leaseMs,
  });
  logger.info('Registration finished', { outcome });
  return { outcome };
}
