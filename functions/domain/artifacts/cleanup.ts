import type {
  ArtifactStore,
  ArtifactTransfers,
} from '#ports/artifact-store.ts';
import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';
import { formatDuration } from '../durations.ts';
import { sessionCleanupPrefix, temporaryKey } from './paths.ts';
import { finishRegistration } from './registration.ts';
import { temporaryCopyOfKey } from './temporary-copies.ts';
import type { UploadSession } from './upload-session.ts';

/** What the session part of the cleanup job needs. */
export interface SessionCleanupDependencies {
  readonly uploads: UploadSessionStore;
  readonly store: Pick<ModelRegistryStore, 'getVersion' | 'setVersionStatus'>;
  readonly artifacts: Pick<ArtifactStore, 'listObjects' | 'deleteObjects'> &
    Pick<ArtifactTransfers, 'abortMultipartUpload'>;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

export interface SessionCleanupOptions {
  /** Sessions never completed or never used are abandoned after this. */
  readonly maxAgeMs: number;
  /**
   * A READY version's temporary copy is kept this long after the version's
   * last update (its registration, unless something changed it since), so
   * a client that still reads it right after READY finds it.
   * @default 0
   */
  readonly readyGraceMs?: number;
  /** A FAILED_REGISTRATION version's upload is kept this long after the failure. */
  readonly failedRetentionMs: number;
  /** A version still PENDING_REGISTRATION this long after its creation has failed. */
  readonly registrationDeadlineMs: number;
  /** Sessions looked at per run (per status). */
  readonly maxSessionsPerRun: number;
  /** Objects deleted per run. */
  readonly maxObjectsPerRun: number;
}

export interface SessionCleanupReport {
  readonly sessionsExamined: number;
  /** Temporary copies removed because their version is READY (or deleted). */
  readonly registeredCleaned: number;
  /** Temporary copies of FAILED_REGISTRATION versions past the retention. */
  readonly failedCleaned: number;
  /** Sessions never completed or never used, expired and removed. */
  readonly abandonedExpired: number;
  /** Versions whose registration never finished, marked failed. */
  readonly stalledFailed: number;
  readonly objectsDeleted: number;
  readonly bytesDeleted: number;
  /** Uploads whose temporary copy this run removed completely. */
  readonly cleanedUploads: readonly string[];
  /** Uploads this run expired (never completed, or completed and unused). */
  readonly expiredUploads: readonly string[];
}

/** How many temporary objects this run may still delete. */
interface Budget {
  remaining: number;
  deleted: number;
  bytes: number;
}

/**
 * The upload-session part of the scheduled cleanup:
 * - a CONSUMED session whose version is READY for the grace period (or was
 *   deleted) loses its temporary copy (an upload's, or a DBFS copy; the
 *   files of an allow-listed bucket or another version are never touched);
 *   so does one whose version FAILED_REGISTRATION longer than the
 *   retention ago (kept that long to look into the failure);
 * - a version still PENDING_REGISTRATION past the deadline (its
 *   asynchronous invocation was lost) is marked FAILED_REGISTRATION;
 * - OPEN and COMPLETED sessions older than the maximum age expire (a
 *   conditional write, so a registration racing it either wins and the
 *   session is kept, or loses) and their objects and multipart uploads go.
 *
 * Idempotent and bounded: each run looks at a bounded number of sessions
 * (oldest first) and deletes a bounded number of objects; a session whose
 * objects did not all fit stays listed and the next run finishes it.
 */
export async function cleanupUploadSessions(
  deps: SessionCleanupDependencies,
  options: SessionCleanupOptions
): Promise<SessionCleanupReport> {
  const now = deps.now();
  const budget: Budget = {
    remaining: options.maxObjectsPerRun,
    deleted: 0,
    bytes: 0,
  };
  let examined = 0;
  let registeredCleaned = 0;
  let failedCleaned = 0;
  let abandonedExpired = 0;
  let stalledFailed = 0;
  const cleanedUploads: string[] = [];
  const expiredUploads: string[] = [];

  const consumed = await deps.uploads.listForCleanup('CONSUMED', {
    limit: options.maxSessionsPerRun,
  });
  for (const session of consumed) {
    if (budget.remaining <= 0) break;
    examined += 1;
    const verdict = await consumedVerdict(deps, session, now, options);
    if (verdict === 'stalled') {
      stalledFailed += 1;
      continue;
    }
    if (verdict === 'keep') continue;
    if (await removeTemporaryCopy(deps, session, budget)) {
      await deps.uploads.markCleaned(session.id, now);
      cleanedUploads.push(session.id);
      if (verdict === 'failed') failedCleaned += 1;
      else registeredCleaned += 1;
    }
  }

  for (const status of ['OPEN', 'COMPLETED'] as const) {
    const abandoned = await deps.uploads.listForCleanup(status, {
      before: now - options.maxAgeMs,
      limit: options.maxSessionsPerRun,
    });
    for (const session of abandoned) {
      if (budget.remaining <= 0) break;
      examined += 1;
      // The commit point: once EXPIRED no version can consume it, so its
      // objects may go. A session consumed meanwhile is left alone.
      if (!(await deps.uploads.expire(session.id, now))) continue;
      abandonedExpired += 1;
      expiredUploads.push(session.id);
      for (const file of session.files) {
        if (file.multipart) {
          await deps.artifacts.abortMultipartUpload(
            temporaryKey(session.id, file.path),
            file.multipart.uploadId
          );
        }
      }
      // Out of the index now: objects this run cannot delete are left to
      // the age-based sweep of the prefix (and the lifecycle rule).
      await removeTemporaryCopy(deps, session, budget);
    }
  }

  return {
    sessionsExamined: examined,
    registeredCleaned,
    failedCleaned,
    abandonedExpired,
    stalledFailed,
    objectsDeleted: budget.deleted,
    bytesDeleted: budget.bytes,
    cleanedUploads,
    expiredUploads,
  };
}

async function consumedVerdict(
  deps: SessionCleanupDependencies,
  session: UploadSession,
  now: number,
  options: SessionCleanupOptions
): Promise<'registered' | 'failed' | 'stalled' | 'keep'> {
  const target = session.consumedBy;
  if (!target) return 'registered';
  const version = await deps.store.getVersion(target.modelId, target.version);
  if (!version) return 'registered';
  if (version.status === 'READY') {
    return version.lastUpdatedTimestamp <= now - (options.readyGraceMs ?? 0)
      ? 'registered'
      : 'keep';
  }
  if (version.status === 'FAILED_REGISTRATION') {
    return version.lastUpdatedTimestamp <= now - options.failedRetentionMs
      ? 'failed'
      : 'keep';
  }
  const started = session.consumedAt ?? version.creationTimestamp;
  if (started <= now - options.registrationDeadlineMs) {
    await finishRegistration(deps.store, target, {
      status: 'FAILED_REGISTRATION',
      statusMessage: `Copying artifacts did not finish within ${formatDuration(options.registrationDeadlineMs)} of the version's creation; register the files again from a new upload.`,
      now,
    });
    return 'stalled';
  }
  return 'keep';
}

/** @returns true when nothing of the session is left under the prefix. */
async function removeTemporaryCopy(
  deps: SessionCleanupDependencies,
  session: UploadSession,
  budget: Budget
): Promise<boolean> {
  const prefix = sessionCleanupPrefix(session);
  if (prefix === undefined) return true;
  const objects = await deps.artifacts.listObjects(prefix, {
    limit: budget.remaining + 1,
  });
  const batch = objects.slice(0, budget.remaining);
  await deps.artifacts.deleteObjects(batch.map((object) => object.key));
  budget.remaining -= batch.length;
  budget.deleted += batch.length;
  budget.bytes += batch.reduce((sum, object) => sum + object.size, 0);
  return objects.length <= batch.length;
}

/**
 * For the age-based sweep of the temporary prefix: which of these uploads
 * must keep their objects, because the session cleanup still owns them
 * (consumed, with the version pending or failed within the retention).
 */
export function retainedUploads(
  uploads: Pick<UploadSessionStore, 'getMany'>
): (uploadIds: readonly string[]) => Promise<ReadonlySet<string>> {
  return async (uploadIds) => {
    const sessions = await uploads.getMany(uploadIds);
    return new Set(
      sessions
        .filter(
          (session) =>
            session.status === 'CONSUMED' && session.cleanedAt === undefined
        )
        .map((session) => session.id)
    );
  };
}

/**
 * The session a temporary key belongs to: an upload's id (its first
 * segment), or the id of the DBFS copy it is part of.
 */
export function uploadIdOfKey(key: string): string | undefined {
  return temporaryCopyOfKey(key);
}
