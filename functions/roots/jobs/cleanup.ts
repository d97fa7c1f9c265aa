import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import {
  cleanupUploadSessions,
  retainedUploads,
  type SessionCleanupDependencies,
  type SessionCleanupReport,
} from '#domain/artifacts/cleanup.ts';
import {
  type CleanupReport,
  cleanupTemporaryArtifacts,
} from '#domain/cleanup.ts';
import type { ArtifactStore } from '#ports/artifact-store.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';
import { hoursFromEnv } from '#shared/artifacts.ts';
import { observedHandler } from '#shared/invocation.ts';
import { logger } from '#shared/powertools.ts';
import { defineRoot } from '#shared/root.ts';
import { now } from '#shared/system.ts';
import { registryTableNeed } from '../api-root.ts';

export interface CleanupJobDependencies extends SessionCleanupDependencies {
  readonly uploads: UploadSessionStore;
  readonly artifacts: SessionCleanupDependencies['artifacts'] & ArtifactStore;
  /**
   * Age after which an upload session never completed or never used is
   * abandoned (and any object under the temporary prefix is, whatever it
   * belongs to). `CLEANUP_MAX_AGE_HOURS`, default 24.
   */
  readonly maxAgeMs: number;
  /**
   * How long a READY version's temporary copy (upload or DBFS copy) is
   * kept. `TEMPORARY_COPY_GRACE_HOURS`, default 1.
   */
  readonly readyGraceMs: number;
  /**
   * How long the temporary copy of a FAILED_REGISTRATION version is kept to
   * look into the failure. `FAILED_RETENTION_HOURS`, default the grace
   * period.
   */
  readonly failedRetentionMs: number;
  /**
   * After this, a version still PENDING_REGISTRATION fails, whatever its
   * lease says: the backstop of the registration watchdog (which fails one
   * whose lease ran out past this deadline), also for versions created
   * before registrations had leases. `REGISTRATION_DEADLINE_HOURS`,
   * default 6.
   */
  readonly registrationDeadlineMs: number;
}

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
export const cleanupRoot = defineRoot({
  // Expires upload sessions and fails registrations past the deadline;
  // deletes under the temporary prefix, which it lists.
  needs: {
    table: registryTableNeed,
    bucket: [{ prefix: 'temporary', access: 'delete', list: true }],
  },
  wire: ({ table, bucket }): CleanupJobDependencies => ({
    uploads: new DynamoDBUploadSessionStore(table),
    store: new DynamoDBModelRegistryStore(table),
    artifacts: bucket.artifacts,
    now,
    maxAgeMs: hoursFromEnv('CLEANUP_MAX_AGE_HOURS', 24),
    readyGraceMs: hoursFromEnv('TEMPORARY_COPY_GRACE_HOURS', 1),
    failedRetentionMs: hoursFromEnv(
      'FAILED_RETENTION_HOURS',
      hoursFromEnv('TEMPORARY_COPY_GRACE_HOURS', 1) / 3_600_000
    ),
    registrationDeadlineMs: hoursFromEnv('REGISTRATION_DEADLINE_HOURS', 6),
  }),
  build: (deps: CleanupJobDependencies) =>
    observedHandler(async (_event: unknown): Promise<CleanupJobReport> => {
      const sessions = await cleanupUploadSessions(deps, {
        maxAgeMs: deps.maxAgeMs,
        readyGraceMs: deps.readyGraceMs,
        failedRetentionMs: deps.failedRetentionMs,
        registrationDeadlineMs: deps.registrationDeadlineMs,
        maxSessionsPerRun: MAX_SESSIONS_PER_RUN,
        maxObjectsPerRun: MAX_OBJECTS_PER_RUN,
      });
      const sweep = await cleanupTemporaryArtifacts(
        {
          artifacts: deps.artifacts,
          now: deps.now,
          retained: retainedUploads(deps.uploads),
        },
        { maxAgeMs: deps.maxAgeMs, maxObjectsPerRun: MAX_OBJECTS_PER_RUN }
      );
      logger.info('Temporary artifact cleanup finished', { sessions, sweep });
      return { sessions, sweep };
    }),
});
