import type { ArtifactStore } from '#ports/artifact-store.ts';
import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import type {
  PendingRegistration,
  RegistrationLeaseStore,
} from '#ports/registration-lease-store.ts';
import type { RegistrationQueue } from '#ports/registration-queue.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';
import { formatDuration } from '../durations.ts';
import {
  finishRegistration,
  type RegistrationPolicy,
  removeManagedCopies,
  truncate,
} from './registration.ts';

/** What the watchdog needs. */
export interface WatchdogDependencies {
  readonly leases: RegistrationLeaseStore;
  readonly store: Pick<ModelRegistryStore, 'getVersion' | 'setVersionStatus'>;
  readonly uploads: Pick<UploadSessionStore, 'get'>;
  /** Removes the copies of a registration it fails. */
  readonly transfers: Pick<ArtifactStore, 'deleteObjects'>;
  /** Starts the next attempt (the registration function). */
  readonly queue: RegistrationQueue;
  readonly now: () => number;
}

export interface WatchdogOptions extends RegistrationPolicy {
  /**
   * Every lease counts as run out, whatever its expiry: for a caller that
   * knows no attempt can be alive (the local runtime at start, which holds
   * the data directory, so the process that ran them is gone).
   * @default false
   */
  readonly allLeasesLost?: boolean;
  /** Registrations looked at per run. */
  readonly maxPerRun: number;
}

export interface WatchdogReport {
  /** Registrations whose lease had run out. */
  readonly examined: number;
  /** Handed to a new attempt, resuming where the last one got to. */
  readonly redriven: number;
  /** Out of attempts or past the deadline: FAILED_REGISTRATION. */
  readonly failed: number;
  /** Their version was gone or no longer pending. */
  readonly forgotten: number;
  /** A new attempt could not be started; the next run tries again. */
  readonly notStarted: number;
}

/**
 * The registration watchdog (a schedule every few minutes on AWS, a timer
 * and every start locally): each registration whose attempt stopped
 * renewing its lease (a crashed process, a lost invocation, a timeout) is
 * handed to the next attempt, which resumes after the last recorded batch;
 * one out of attempts, or past the deadline, fails with a message that
 * says which bound it hit.
 *
 * Finds them with a query of the expired leases (never a scan), and every
 * change is conditional on the lease it read, so an attempt that renews
 * meanwhile keeps its registration, and two watchdogs never both act.
 */
export async function redriveRegistrations(
  deps: WatchdogDependencies,
  options: WatchdogOptions
): Promise<WatchdogReport> {
  const now = deps.now();
  const expired = await deps.leases.listExpired(
    options.allLeasesLost ? Number.POSITIVE_INFINITY : now,
    options.maxPerRun
  );
  let redriven = 0;
  let failed = 0;
  let forgotten = 0;
  let notStarted = 0;
  for (const registration of expired) {
    const version = await deps.store.getVersion(
      registration.modelId,
      registration.version
    );
    if (version?.status !== 'PENDING_REGISTRATION') {
      await deps.leases.remove(registration);
      forgotten += 1;
      continue;
    }
    const reason = giveUpReason(registration, now, options);
    if (reason !== undefined) {
      if (await failRegistration(deps, registration, reason, now)) {
        failed += 1;
      }
      continue;
    }
    const lease = await deps.leases.claim(registration, now + options.leaseMs);
    if (!lease) continue;
    try {
      await deps.queue.enqueue({
        modelId: registration.modelId,
        version: registration.version,
        uploadId: registration.uploadId,
        startAt: registration.startAt,
        attempt: lease.attempt,
      });
      redriven += 1;
    } catch {
      // The claimed lease runs out unused and the next run tries again,
      // with one attempt fewer left.
      notStarted += 1;
    }
  }
  return {
    examined: expired.length,
    redriven,
    failed,
    forgotten,
    notStarted,
  };
}

/** Why a registration gets no further attempt, if it does not. */
export function giveUpReason(
  registration: PendingRegistration,
  now: number,
  policy: RegistrationPolicy
): string | undefined {
  if (now >= registration.createdAt + policy.deadlineMs) {
    return `Copying artifacts did not finish within ${formatDuration(policy.deadlineMs)} of the version's creation`;
  }
  if (registration.lease.attempt >= policy.maxAttempts) {
    const times = registration.lease.attempt;
    return `Copying artifacts was interrupted ${times} ${times === 1 ? 'time' : 'times'} without finishing (a copy that gives no sign of progress for ${formatDuration(policy.leaseMs)} counts as interrupted)`;
  }
  return undefined;
}

async function failRegistration(
  deps: WatchdogDependencies,
  registration: PendingRegistration,
  reason: string,
  now: number
): Promise<boolean> {
  const failed = await finishRegistration(deps.store, registration, {
    status: 'FAILED_REGISTRATION',
    statusMessage: truncate(
      `${reason}; register the files again from a new upload.`
    ),
    now,
    lease: registration.lease,
  });
  if (failed) {
    const session = await deps.uploads.get(registration.uploadId);
    await removeManagedCopies(
      deps.transfers,
      registration,
      session?.manifest ?? []
    );
  }
  return failed;
}
