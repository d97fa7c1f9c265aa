import type { Context } from 'aws-lambda';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import {
  cleanupUploadSessions,
  retainedUploads,
  type SessionCleanupReport,
} from '#domain/artifacts/cleanup.ts';
import {
  type CleanupReport,
  cleanupTemporaryArtifacts,
} from '#domain/cleanup.ts';
import { artifactBucketFromEnv, hoursFromEnv } from '#shared/artifacts.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import { logger, startInvocation } from '#shared/powertools.ts';

const table = registryTableFromEnv();
const uploads = new DynamoDBUploadSessionStore(table);
const store = new DynamoDBModelRegistryStore(table);
const { artifacts } = artifactBucketFromEnv();

/**
 * Age after which an upload session never completed or never used is
 * abandoned (and any object under the temporary prefix is, whatever it
 * belongs to).
 * @default 24 hours
 */
const maxAgeMs = hoursFromEnv('CLEANUP_MAX_AGE_HOURS', 24);
/**
 * How long the upload of a FAILED_REGISTRATION version is kept to look into
 * the failure.
 * @default 72 hours
 */
const failedRetentionMs = hoursFromEnv('FAILED_RETENTION_HOURS', 72);
/**
 * After this, a version still PENDING_REGISTRATION fails, whatever its
 * lease says: the backstop of the registration watchdog (which fails one
 * whose lease ran out past this deadline), also for versions created
 * before registrations had leases.
 * @default 6 hours
 */
const registrationDeadlineMs = hoursFromEnv('REGISTRATION_DEADLINE_HOURS', 6);

/** Bounds of one run, so it stays well inside the function's 5 minutes. */
const MAX_SESSIONS_PER_RUN = 500;
const MAX_OBJECTS_PER_RUN = 10_000;

export interface CleanupJobReport {
  readonly sessions: SessionCleanupReport;
  /** The age-based sweep of the temporary prefix (objects of no session). */
  readonly sweep: CleanupReport;
}

/**
 * Scheduled job (EventBridge on AWS, a timer in the local runtime): first
 * the upload sessions (temporary copies of READY and long-failed versions,
 * abandoned sessions, lost registrations), then the age-based sweep of the
 * temporary prefix, which leaves alone what the sessions still own. The
 * bucket's lifecycle rule on the prefix is the backstop of both.
 */
export async function handler(
  _event?: unknown,
  context?: Context
): Promise<CleanupJobReport> {
  startInvocation(context);
  const now = () => Date.now();
  const sessions = await cleanupUploadSessions(
    { uploads, store, artifacts, now },
    {
      maxAgeMs,
      failedRetentionMs,
      registrationDeadlineMs,
      maxSessionsPerRun: MAX_SESSIONS_PER_RUN,
      maxObjectsPerRun: MAX_OBJECTS_PER_RUN,
    }
  );
  const sweep = await cleanupTemporaryArtifacts(
    { artifacts, now, retained: retainedUploads(uploads) },
    { maxAgeMs, maxObjectsPerRun: MAX_OBJECTS_PER_RUN }
  );
  logger.info('Temporary artifact cleanup finished', { sessions, sweep });
  return { sessions, sweep };
}
