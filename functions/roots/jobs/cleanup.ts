import { DynamoDBArtifactPurgeStore } from '#adapters/dynamodb/artifact-purge-store.ts';
import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import {
  cleanupUploadSessions,
  retainedUploads,
  type SessionCleanupDependencies,
  type SessionCleanupReport,
} from '#domain/artifacts/cleanup.ts';
import {
  type PurgeReport,
  purgeDeletedArtifacts,
} from '#domain/artifacts/purge.ts';
import {
  type CleanupReport,
  cleanupTemporaryArtifacts,
} from '#domain/cleanup.ts';
import {
  type ReconciliationReport,
  reconcilePendingRequests,
} from '#domain/registry/reconciliation.ts';
import type { RequestDependencies } from '#domain/registry/requests.ts';
import type { ArtifactPurgeStore } from '#ports/artifact-purge-store.ts';
import type { ArtifactStore } from '#ports/artifact-store.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';
import { hoursFromEnv } from '#shared/artifacts.ts';
import { observedHandler, recordMetric } from '#shared/invocation.ts';
import { metricNames } from '#shared/metric-names.ts';
import { logger } from '#shared/powertools.ts';
import { requestDependencies } from '#shared/request-dependencies.ts';
import { defineRoot } from '#shared/root.ts';
import { registryTableNeed } from '../api-root.ts';

export interface CleanupJobDependencies extends SessionCleanupDependencies {
  readonly uploads: UploadSessionStore;
  readonly artifacts: SessionCleanupDependencies['artifacts'] & ArtifactStore;
  /** The managed files deleted versions and models left. */
  readonly purges: ArtifactPurgeStore;
  /** Transition requests and their workflow, for the reconciliation. */
  readonly requests: RequestDependencies;
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
const MAX_PURGES_PER_RUN = 200;
const MAX_REQUESTS_PER_RUN = 1000;
/** A deleted version's registration has stopped copying by then. */
const PURGE_GRACE_MS = 3_600_000;
/** An execution records itself on its request within seconds. */
const RECONCILIATION_GRACE_MS = 15 * 60_000;

export interface CleanupJobReport {
  readonly sessions: SessionCleanupReport;
  /** The age-based sweep of the temporary prefix (objects of no session). */
  readonly sweep: CleanupReport;
  /** The managed files of deleted versions and models. */
  readonly purges: PurgeReport;
  /** Pending transition requests whose execution was gone. */
  readonly requests: ReconciliationReport;
}

/**
 * Scheduled job (EventBridge hourly on AWS, a timer in the local runtime):
 * the upload sessions (temporary copies of READY and long-failed versions,
 * abandoned sessions, lost registrations), the age-based sweep of the
 * temporary prefix, which leaves alone what the sessions still own, the
 * managed files of deleted versions, and the reconciliation of pending
 * transition requests whose execution is gone. The bucket's lifecycle
 * rules are the backstop of the artifact steps.
 *
 * Each step runs even when an earlier one failed; a run with a failed step
 * fails in the end (Lambda retries it, then it lands in the
 * scheduled-job-failures queue), and what a step could not handle counts
 * in `CleanupFailures`.
 */
export const cleanupRoot = defineRoot({
  // Expires upload sessions and fails registrations past the deadline;
  // deletes under the temporary prefix and the prefixes of deleted
  // versions, listing both; re-arms (starts executions) or expires pending
  // requests whose execution it finds gone (DescribeExecution).
  needs: {
    table: registryTableNeed,
    bucket: [
      { prefix: 'temporary', access: 'delete', list: true },
      { prefix: 'managed', access: 'delete', list: true },
    ],
    transitionRequestWorkflow: 'reconcile',
  },
  wire: ({ table, bucket, workflow }): CleanupJobDependencies => {
    const requests = requestDependencies({ table, workflow });
    return {
      uploads: new DynamoDBUploadSessionStore(table),
      store: requests.store,
      artifacts: bucket.artifacts,
      purges: new DynamoDBArtifactPurgeStore(table),
      requests,
      now: requests.now,
      maxAgeMs: hoursFromEnv('CLEANUP_MAX_AGE_HOURS', 24),
      readyGraceMs: hoursFromEnv('TEMPORARY_COPY_GRACE_HOURS', 1),
      failedRetentionMs: hoursFromEnv(
        'FAILED_RETENTION_HOURS',
        hoursFromEnv('TEMPORARY_COPY_GRACE_HOURS', 1) / 3_600_000
      ),
      registrationDeadlineMs: hoursFromEnv('REGISTRATION_DEADLINE_HOURS', 6),
    };
  },
  build: (deps: CleanupJobDependencies) =>
    observedHandler(async (_event: unknown): Promise<CleanupJobReport> => {
      const failed: unknown[] = [];
      const step = async <T>(name: string, run: () => Promise<T>, empty: T) => {
        try {
          return await run();
        } catch (error) {
          logger.error(`Cleanup step ${name} failed`, { error });
          failed.push(error);
          return empty;
        }
      };
      const sessions = await step(
        'sessions',
        () =>
          cleanupUploadSessions(deps, {
            maxAgeMs: deps.maxAgeMs,
            readyGraceMs: deps.readyGraceMs,
            failedRetentionMs: deps.failedRetentionMs,
            registrationDeadlineMs: deps.registrationDeadlineMs,
            maxSessionsPerRun: MAX_SESSIONS_PER_RUN,
            maxObjectsPerRun: MAX_OBJECTS_PER_RUN,
          }),
        emptySessionReport
      );
      const sweep = await step(
        'sweep',
        () =>
          cleanupTemporaryArtifacts(
            {
              artifacts: deps.artifacts,
              now: deps.now,
              retained: retainedUploads(deps.uploads),
            },
            { maxAgeMs: deps.maxAgeMs, maxObjectsPerRun: MAX_OBJECTS_PER_RUN }
          ),
        emptySweepReport
      );
      const purges = await step(
        'purges',
        () =>
          purgeDeletedArtifacts(deps, {
            graceMs: PURGE_GRACE_MS,
            maxPurgesPerRun: MAX_PURGES_PER_RUN,
            maxObjectsPerRun: MAX_OBJECTS_PER_RUN,
          }),
        { purged: 0, objectsDeleted: 0, bytesDeleted: 0 }
      );
      const requests = await step(
        'requests',
        () =>
          reconcilePendingRequests(deps.requests, {
            graceMs: RECONCILIATION_GRACE_MS,
            maxPerRun: MAX_REQUESTS_PER_RUN,
          }),
        { examined: 0, running: 0, rearmed: 0, expired: 0, failures: [] }
      );
      recordMetric({
        name: metricNames.requestsReconciled,
        value: requests.rearmed + requests.expired,
      });
      recordMetric({
        name: metricNames.failedRegistrations,
        value: sessions.stalledFailed,
      });
      recordMetric({
        name: metricNames.cleanupFailures,
        value: requests.failures.length + failed.length,
      });
      const report = { sessions, sweep, purges, requests };
      logger.info('Cleanup finished', { report });
      if (failed.length > 0) {
        throw new AggregateError(
          failed,
          `${failed.length} cleanup step(s) failed; the next run retries.`
        );
      }
      return report;
    }),
});

const emptySessionReport: SessionCleanupReport = {
  sessionsExamined: 0,
  registeredCleaned: 0,
  failedCleaned: 0,
  abandonedExpired: 0,
  stalledFailed: 0,
  objectsDeleted: 0,
  bytesDeleted: 0,
  cleanedUploads: [],
  expiredUploads: [],
};

const emptySweepReport: CleanupReport = {
  examined: 0,
  deleted: 0,
  deletedBytes: 0,
};
