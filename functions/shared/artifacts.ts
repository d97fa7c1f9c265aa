import { LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import { LambdaRegistrationQueue } from '#adapters/lambda/registration-queue.ts';
import { S3ArtifactStore } from '#adapters/s3/artifact-store.ts';
import { createS3Client } from '#adapters/s3/client.ts';
import {
  type ManagedArtifactsDependencies,
  type RegistrationPolicy,
  registrationPolicyDefaults,
} from '#domain/artifacts/registration.ts';
import { uploadLimits } from '#domain/artifacts/upload-session.ts';
import { getOptionalStringFromEnv, getStringFromEnv } from './config.ts';

/**
 * The artifact bucket's adapter and name, for a handler's composition root
 * (`ARTIFACT_BUCKET_NAME`; `S3_FORCE_PATH_STYLE=true` for the local S3
 * server). Endpoints come from the SDK's settings (`AWS_ENDPOINT_URL_S3`).
 */
export function artifactBucketFromEnv(): {
  artifacts: S3ArtifactStore;
  bucketName: string;
} {
  const bucketName = getStringFromEnv('ARTIFACT_BUCKET_NAME');
  return {
    artifacts: new S3ArtifactStore({
      client: createS3Client({
        forcePathStyle:
          getOptionalStringFromEnv('S3_FORCE_PATH_STYLE') === 'true',
      }),
      bucketName,
    }),
    bucketName,
  };
}

/**
 * Lifetime of every presigned URL (`ARTIFACT_URL_TTL_SECONDS`), at most
 * SigV4's 7 days; the adapter shortens it further to what the signing
 * credentials allow.
 * @default 900 (15 minutes)
 * @throws Error at cold start for a value that is not a whole number of
 *   seconds in range.
 */
export function artifactUrlTtlFromEnv(): number {
  const raw = getOptionalStringFromEnv('ARTIFACT_URL_TTL_SECONDS') ?? '900';
  const seconds = Number(raw);
  if (
    !Number.isInteger(seconds) ||
    seconds < 1 ||
    seconds > uploadLimits.maxUrlTtlSeconds
  ) {
    throw new Error(
      `ARTIFACT_URL_TTL_SECONDS must be a whole number of seconds from 1 to ${uploadLimits.maxUrlTtlSeconds}, got '${raw}'.`
    );
  }
  return seconds;
}

/**
 * The queue of asynchronous registrations: the registration function
 * (`REGISTRATION_FUNCTION_NAME`) invoked with `InvocationType: Event`.
 * Locally `AWS_ENDPOINT_URL_LAMBDA` points at the runtime's Lambda endpoint.
 */
export function registrationQueueFromEnv(): LambdaRegistrationQueue {
  return new LambdaRegistrationQueue({
    client: new LambdaClient({}),
    functionName: getStringFromEnv('REGISTRATION_FUNCTION_NAME'),
  });
}

/**
 * What `model-versions/create` needs to register versions from uploads
 * (`ARTIFACT_BUCKET_NAME`, `REGISTRATION_FUNCTION_NAME`); undefined when
 * the function is not configured for it, and upload sources are then
 * refused with 409 rather than failing every route at cold start.
 */
export function managedArtifactsFromEnv(
  table: ConstructorParameters<typeof DynamoDBUploadSessionStore>[0]
): ManagedArtifactsDependencies | undefined {
  const bucketName = getOptionalStringFromEnv('ARTIFACT_BUCKET_NAME');
  const functionName = getOptionalStringFromEnv('REGISTRATION_FUNCTION_NAME');
  if (!bucketName || !functionName) return undefined;
  return {
    bucketName,
    uploads: new DynamoDBUploadSessionStore(table),
    registrations: new LambdaRegistrationQueue({
      client: new LambdaClient({}),
      functionName,
    }),
    leaseMs: registrationPolicyFromEnv().leaseMs,
  };
}

/**
 * How registrations are kept alive and re-driven:
 * `REGISTRATION_LEASE_SECONDS` (300), `REGISTRATION_MAX_ATTEMPTS` (5) and
 * `REGISTRATION_DEADLINE_HOURS` (6).
 * @throws Error at cold start for a value out of range.
 */
export function registrationPolicyFromEnv(): RegistrationPolicy {
  const defaults = registrationPolicyDefaults;
  const leaseSeconds = numberFromEnv(
    'REGISTRATION_LEASE_SECONDS',
    defaults.leaseMs / 1000,
    { min: 1 }
  );
  const maxAttempts = numberFromEnv(
    'REGISTRATION_MAX_ATTEMPTS',
    defaults.maxAttempts,
    { min: 1, integer: true }
  );
  return {
    leaseMs: leaseSeconds * 1000,
    maxAttempts,
    deadlineMs: hoursFromEnv(
      'REGISTRATION_DEADLINE_HOURS',
      defaults.deadlineMs / 3_600_000
    ),
  };
}

function numberFromEnv(
  name: string,
  defaultValue: number,
  bounds: { min: number; integer?: boolean }
): number {
  const raw = getOptionalStringFromEnv(name);
  const value = raw === undefined ? defaultValue : Number(raw);
  if (
    !Number.isFinite(value) ||
    value < bounds.min ||
    (bounds.integer === true && !Number.isInteger(value))
  ) {
    throw new Error(
      `${name} must be ${bounds.integer ? 'a whole number' : 'a number'} of at least ${bounds.min}, got '${raw}'.`
    );
  }
  return value;
}

/** A number of hours (fractions allowed) from the environment, as milliseconds. */
export function hoursFromEnv(name: string, defaultHours: number): number {
  const raw = getOptionalStringFromEnv(name);
  const hours = raw === undefined ? defaultHours : Number(raw);
  if (!Number.isFinite(hours) || hours < 0) {
    throw new Error(`${name} must be a number of hours, got '${raw}'.`);
  }
  return hours * 3_600_000;
}
