import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import {
  type ManagedArtifactsDependencies,
  type RegistrationPolicy,
  registrationPolicyDefaults,
} from '#domain/artifacts/registration.ts';
import {
  parseExternalSourcePrefixes,
  type S3Prefix,
} from '#domain/artifacts/sources.ts';
import { uploadLimits } from '#domain/artifacts/upload-session.ts';
import type { ArtifactSourceReader } from '#ports/artifact-store.ts';
import type { RegistrationQueue } from '#ports/registration-queue.ts';
import {
  type Environment,
  getOptionalStringFromEnv,
  getStringFromEnv,
} from './config.ts';
import { needEnvironment } from './needs.ts';
import type { RegistryTable } from './resources.ts';

/**
 * Lifetime of every presigned URL (`ARTIFACT_URL_TTL_SECONDS`), at most
 * SigV4's 7 days; the adapter shortens it further to what the signing
 * credentials allow.
 * @default 900 (15 minutes)
 * @throws Error at cold start for a value that is not a whole number of
 *   seconds in range.
 */
export function artifactUrlTtlFromEnv(env: Environment = process.env): number {
  const raw =
    getOptionalStringFromEnv('ARTIFACT_URL_TTL_SECONDS', env) ?? '900';
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
 * What `model-versions/create` needs to register versions: the bucket's
 * name (to recognise its temporary prefix in sources), the upload
 * sessions, the registration function to start, and the reader of the
 * files at other sources (temporary copies, managed versions, the
 * allow-listed prefixes).
 */
export function managedArtifacts(resources: {
  table: RegistryTable;
  bucketName: string;
  registrations: RegistrationQueue;
  sources?: ArtifactSourceReader;
  externalPrefixes?: readonly S3Prefix[];
}): ManagedArtifactsDependencies {
  return {
    bucketName: resources.bucketName,
    uploads: new DynamoDBUploadSessionStore(resources.table),
    registrations: resources.registrations,
    leaseMs: registrationPolicyFromEnv().leaseMs,
    sources: resources.sources,
    externalPrefixes: resources.externalPrefixes,
  };
}

/**
 * The admin's allow-list of `s3://` prefixes versions may be registered
 * from (`EXTERNAL_SOURCE_PREFIXES`, set by the CDK stack from its
 * configuration, which also grants read on exactly those; `none` for an
 * empty list).
 * @throws Error at cold start when it is not set, or for a malformed entry.
 */
export function externalSourcePrefixesFromEnv(): readonly S3Prefix[] {
  return parseExternalSourcePrefixes(
    getStringFromEnv(needEnvironment.externalSources)
  );
}

/**
 * How registrations are kept alive and re-driven:
 * `REGISTRATION_LEASE_SECONDS` (300), `REGISTRATION_MAX_ATTEMPTS` (5) and
 * `REGISTRATION_DEADLINE_HOURS` (6).
 * @throws Error at cold start for a value out of range.
 */
export function registrationPolicyFromEnv(
  env: Environment = process.env
): RegistrationPolicy {
  const defaults = registrationPolicyDefaults;
  const leaseSeconds = numberFromEnv(
    'REGISTRATION_LEASE_SECONDS',
    defaults.leaseMs / 1000,
    { min: 1 },
    env
  );
  const maxAttempts = numberFromEnv(
    'REGISTRATION_MAX_ATTEMPTS',
    defaults.maxAttempts,
    { min: 1, integer: true },
    env
  );
  return {
    leaseMs: leaseSeconds * 1000,
    maxAttempts,
    deadlineMs: hoursFromEnv(
      'REGISTRATION_DEADLINE_HOURS',
      defaults.deadlineMs / 3_600_000,
      env
    ),
  };
}

function numberFromEnv(
  name: string,
  defaultValue: number,
  bounds: { min: number; integer?: boolean },
  env: Environment
): number {
  const raw = getOptionalStringFromEnv(name, env);
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
export function hoursFromEnv(
  name: string,
  defaultHours: number,
  env: Environment = process.env
): number {
  const raw = getOptionalStringFromEnv(name, env);
  const hours = raw === undefined ? defaultHours : Number(raw);
  if (!Number.isFinite(hours) || hours < 0) {
    throw new Error(`${name} must be a number of hours, got '${raw}'.`);
  }
  return hours * 3_600_000;
}
