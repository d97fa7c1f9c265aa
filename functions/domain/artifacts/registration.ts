import type {
  ArtifactSourceReader,
  ArtifactStore,
  ArtifactTransfers,
  ObjectHead,
} from '#ports/artifact-store.ts';
import type {
  ModelRegistryStore,
  UploadConsumption,
  VersionStatusUpdate,
} from '#ports/model-registry-store.ts';
import type { RegistrationLeaseStore } from '#ports/registration-lease-store.ts';
import type {
  RegistrationJob,
  RegistrationQueue,
} from '#ports/registration-queue.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';
import { InvalidParameterValueError, InvalidStateError } from '../errors.ts';
import { registrationFinished, typedEventId } from '../events.ts';
import type { ModelVersion } from '../model-version.ts';
import type { Principal } from '../principal.ts';
import { mapWithConcurrency } from './concurrency.ts';
import { ArtifactTransferError } from './errors.ts';
import {
  MANIFEST_FILE,
  managedKey,
  sessionBucket,
  sessionKey,
} from './paths.ts';
import type { S3Prefix } from './sources.ts';
import {
  comparableEtags,
  type ManifestEntry,
  normalizeEtag,
  type UploadSession,
} from './upload-session.ts';
import { ownedSession } from './uploads.ts';

/**
 * What `model-versions/create` needs to register a version from an
 * upload: the bucket (to recognise `s3://<bucket>/tmp-external-source/…`),
 * the sessions, and the queue that starts the asynchronous copy. With
 * `sources`, also from a temporary copy (DBFS), another version
 * (`models:/`) or an allow-listed bucket.
 */
export interface ManagedArtifactsDependencies {
  readonly bucketName: string;
  readonly uploads: Pick<UploadSessionStore, 'get' | 'create'>;
  readonly registrations: RegistrationQueue;
  /**
   * Reads the files at a version's source (temporary copies, managed
   * files, allow-listed prefixes). Absent: only uploads are registered.
   */
  readonly sources?: ArtifactSourceReader | undefined;
  /**
   * The admin's allow-list of `s3://` prefixes versions may be registered
   * from (`EXTERNAL_SOURCE_PREFIXES`). @default none
   */
  readonly externalPrefixes?: readonly S3Prefix[] | undefined;
  /** The first attempt's lease. @default registrationPolicyDefaults.leaseMs */
  readonly leaseMs?: number | undefined;
}

/**
 * How registrations are kept alive and re-driven (docs/configuration.md).
 */
export interface RegistrationPolicy {
  /**
   * How long an attempt holds a registration without renewing its lease;
   * a lease that runs out means the attempt is gone, and the watchdog
   * starts the next one. Renewed every quarter of it while copying.
   */
  readonly leaseMs: number;
  /** Attempts (the first included) before the registration fails. */
  readonly maxAttempts: number;
  /** A registration not finished this long after its version was created fails. */
  readonly deadlineMs: number;
}

export const registrationPolicyDefaults: RegistrationPolicy = {
  leaseMs: 5 * 60_000,
  maxAttempts: 5,
  deadlineMs: 6 * 3_600_000,
};

/** `status_message` of a version whose files are being copied. */
export const COPYING_MESSAGE = 'Copying artifacts';
/** MLflow's `status_message` column is 500 characters. */
const STATUS_MESSAGE_LENGTH = 500;

/**
 * The session a new version is registered from, checked before the version
 * is created: it must exist, belong to the caller (or the caller is an
 * admin), have been opened for this model (`modelId`, whatever its name is
 * now) and be completed and unused. The consumption it returns is
 * re-checked by the version's transaction, so a concurrent registration of
 * the same session loses there.
 */
export async function uploadToConsume(
  artifacts: ManagedArtifactsDependencies,
  caller: Principal,
  uploadId: string,
  now: number,
  modelId: string
): Promise<UploadConsumption> {
  const session = await ownedSession(artifacts.uploads, caller, uploadId);
  if (session.modelId !== undefined && session.modelId !== modelId) {
    throw new InvalidParameterValueError(
      `Upload ${uploadId} was opened for another registered model; open an upload for this one.`
    );
  }
  if (session.status !== 'COMPLETED') {
    const why =
      session.status === 'OPEN'
        ? 'it is not completed yet (call uploads/complete first)'
        : session.status === 'CONSUMED'
          ? `it was already registered as version ${session.consumedBy?.version ?? '?'} (one version per upload)`
          : 'it has expired';
    throw new InvalidStateError(
      `Upload ${uploadId} cannot be registered: ${why}.`
    );
  }
  return {
    uploadId,
    ...(caller.isAdmin ? {} : { ownerId: caller.id }),
    now,
    leaseExpiresAt:
      now + (artifacts.leaseMs ?? registrationPolicyDefaults.leaseMs),
  };
}

/**
 * Ends a registration: the version leaves PENDING_REGISTRATION for READY
 * or FAILED_REGISTRATION, announced by its extension event in the same
 * write (a version finishes once, so the event's id is its own).
 * @returns false when the version is gone or no longer pending (or, with
 *   `lease`, this attempt no longer holds it).
 */
export function finishRegistration(
  store: Pick<ModelRegistryStore, 'setVersionStatus'>,
  version: Pick<ModelVersion, 'modelId' | 'version'>,
  update: {
    readonly status: 'READY' | 'FAILED_REGISTRATION';
    readonly statusMessage: string;
    readonly now: number;
    readonly lease?: VersionStatusUpdate['lease'];
  }
): Promise<boolean> {
  return store.setVersionStatus(version.modelId, version.version, {
    ...update,
    expectedStatus: 'PENDING_REGISTRATION',
    events: [
      registrationFinished(
        {
          id: typedEventId(
            version.modelId,
            String(version.version),
            'registration-finished'
          ),
          at: update.now,
        },
        version,
        update
      ),
    ],
  });
}

/**
 * Starts the copy of a new PENDING_REGISTRATION version. When the job
 * cannot even be queued the version fails at once, with the reason, rather
 * than waiting forever.
 * @returns the version's status after the attempt.
 */
export async function startRegistration(
  deps: {
    readonly store: Pick<ModelRegistryStore, 'setVersionStatus'>;
    readonly artifacts: ManagedArtifactsDependencies;
    readonly now: () => number;
  },
  version: Pick<ModelVersion, 'modelId' | 'version'>,
  uploadId: string
): Promise<{ status: ModelVersion['status']; statusMessage: string }> {
  try {
    await deps.artifacts.registrations.enqueue({
      modelId: version.modelId,
      version: version.version,
      uploadId,
    });
    return { status: 'PENDING_REGISTRATION', statusMessage: COPYING_MESSAGE };
  } catch (error) {
    const statusMessage = truncate(
      `Could not start copying the artifacts (${(error as Error).name}); upload the files again and register the new upload.`
    );
    await finishRegistration(deps.store, version, {
      status: 'FAILED_REGISTRATION',
      statusMessage,
      now: deps.now(),
    });
    return { status: 'FAILED_REGISTRATION', statusMessage };
  }
}

/** What the registration function needs. */
export interface RegistrationDependencies {
  readonly store: Pick<ModelRegistryStore, 'getVersion' | 'setVersionStatus'>;
  readonly leases: Pick<RegistrationLeaseStore, 'renew'>;
  readonly uploads: Pick<UploadSessionStore, 'get'>;
  readonly transfers: Pick<ArtifactTransfers, 'copyObject' | 'putJson'> &
    Pick<ArtifactStore, 'deleteObjects'>;
  /** Hands the rest of a long registration to a fresh invocation. */
  readonly queue: RegistrationQueue;
  readonly now: () => number;
}

export interface RegistrationOptions {
  /** Time left in this invocation (Lambda's `getRemainingTimeInMillis`). */
  readonly remainingMs: () => number;
  /**
   * Below this much time left no new copy starts; the rest continues in a
   * new invocation. A CopyObject of 5 GiB takes a minute or two.
   * @default 180_000
   */
  readonly reserveMs?: number;
  /** Copies in flight at once. @default 8 */
  readonly concurrency?: number;
  /** @default registrationPolicyDefaults.leaseMs */
  readonly leaseMs?: number;
}

export type RegistrationOutcome =
  | 'READY'
  | 'FAILED_REGISTRATION'
  /** Handed the remaining files to a new invocation. */
  | 'CONTINUED'
  /**
   * Nothing to do: the version is gone or no longer pending, or a newer
   * attempt holds the registration.
   */
  | 'SKIPPED';

/**
 * The asynchronous registration of a version from its upload session:
 * copies every file of the manifest server-side into
 * `mlflow-registry/<model id>/<version>/`, each copy pinned to the
 * temporary object's version and ETag recorded at completion, verifies
 * each copy's size and ETag against the manifest, writes the manifest next
 * to the files, and sets the version READY. Any failure removes what was
 * copied and sets FAILED_REGISTRATION with a `status_message`, so the
 * managed prefix never shows a half-registered version.
 *
 * The job's attempt holds the registration's lease and renews it while it
 * copies, recording after each batch how far it got; when its process dies
 * the lease runs out and the watchdog starts the next attempt from there
 * (`redriveRegistrations`). Only the holder ends the registration: an
 * attempt that finds a newer one in charge stops without touching the
 * version or the copies.
 *
 * Idempotent: a repeated job finds the version no longer pending, and
 * copying a file twice writes the same bytes.
 */
export async function registerArtifacts(
  deps: RegistrationDependencies,
  job: RegistrationJob,
  options: RegistrationOptions
): Promise<RegistrationOutcome> {
  const version = await deps.store.getVersion(job.modelId, job.version);
  if (version?.status !== 'PENDING_REGISTRATION') return 'SKIPPED';
  const lease = new LeaseHolder(
    deps,
    job,
    options.leaseMs ?? registrationPolicyDefaults.leaseMs
  );
  if (!(await lease.renew())) return 'SKIPPED';
  lease.keepAlive();
  try {
    return await copyUnderLease(deps, job, options, lease);
  } finally {
    await lease.stop();
  }
}

async function copyUnderLease(
  deps: RegistrationDependencies,
  job: RegistrationJob,
  options: RegistrationOptions,
  lease: LeaseHolder
): Promise<RegistrationOutcome> {
  const session = await deps.uploads.get(job.uploadId);
  const manifest = session?.manifest;
  if (
    !session ||
    !manifest ||
    session.status !== 'CONSUMED' ||
    session.consumedBy?.modelId !== job.modelId ||
    session.consumedBy.version !== job.version
  ) {
    return fail(
      deps,
      job,
      [],
      `upload ${job.uploadId} is not the completed upload of this version`,
      lease
    );
  }
  const reserveMs = options.reserveMs ?? 180_000;
  const concurrency = options.concurrency ?? 8;
  const partSizes = new Map(
    session.files.flatMap((file) =>
      file.multipart ? [[file.path, file.multipart.partSize] as const] : []
    )
  );
  try {
    for (
      let start = job.startAt ?? 0;
      start < manifest.length;
      start += concurrency
    ) {
      if (lease.lost) return abandon(deps, job, manifest);
      if (start > (job.startAt ?? 0) && options.remainingMs() < reserveMs) {
        // The lease covers the hand-over: if the next invocation never
        // runs, the watchdog resumes from here once it runs out.
        if (!(await lease.progress(start))) {
          return abandon(deps, job, manifest);
        }
        await deps.queue.enqueue({ ...job, startAt: start });
        return 'CONTINUED';
      }
      await mapWithConcurrency(
        manifest.slice(start, start + concurrency),
        concurrency,
        (entry) =>
          copyAndVerify(deps, job, session, entry, partSizes.get(entry.path))
      );
      const done = Math.min(start + concurrency, manifest.length);
      if (!(await lease.progress(done))) return abandon(deps, job, manifest);
    }
    await deps.transfers.putJson(
      managedKey(job.modelId, job.version, MANIFEST_FILE),
      manifestDocument(job, manifest)
    );
  } catch (error) {
    return fail(deps, job, manifest, failureReason(error), lease);
  }
  await lease.stop();
  const updated = await finishRegistration(deps.store, job, {
    status: 'READY',
    statusMessage: '',
    now: deps.now(),
    lease: { attempt: lease.attempt },
  });
  return updated ? 'READY' : abandon(deps, job, manifest);
}

/**
 * An attempt that lost its registration stops. The copies it made stay if
 * another attempt may still use them (same keys, same bytes); once the
 * version has failed, or is gone, nothing will, and they go.
 */
async function abandon(
  deps: RegistrationDependencies,
  job: RegistrationJob,
  manifest: readonly ManifestEntry[]
): Promise<RegistrationOutcome> {
  const version = await deps.store.getVersion(job.modelId, job.version);
  if (!version || version.status === 'FAILED_REGISTRATION') {
    await removeManagedCopies(deps.transfers, job, manifest);
  }
  return 'SKIPPED';
}

/**
 * One attempt's hold on its registration: renewals conditional on the
 * attempt, after each batch (with the progress) and on a timer in between
 * (a batch of large copies can outlast the lease).
 */
class LeaseHolder {
  readonly attempt: number;
  /** A renewal found the registration ended or taken over. */
  lost = false;
  readonly #deps: RegistrationDependencies;
  readonly #job: RegistrationJob;
  readonly #leaseMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    deps: RegistrationDependencies,
    job: RegistrationJob,
    leaseMs: number
  ) {
    this.#deps = deps;
    this.#job = job;
    this.#leaseMs = leaseMs;
    this.attempt = job.attempt ?? 1;
  }

  /** @returns false once the registration is no longer this attempt's. */
  async renew(startAt?: number): Promise<boolean> {
    if (this.lost) return false;
    const renewal = this.#deps.leases.renew(
      this.#job.modelId,
      this.#job.version,
      {
        attempt: this.attempt,
        expiresAt: this.#deps.now() + this.#leaseMs,
      },
      startAt
    );
    this.#inFlight = renewal.catch(() => undefined);
    const held = await renewal;
    if (!held) this.lost = true;
    return held;
  }

  /**
   * Records that the entries before `startAt` are copied and verified.
   * A renewal that fails (rather than finding the lease gone) counts as
   * held: the timer retries it, and the lease is four ticks long.
   */
  progress(startAt: number): Promise<boolean> {
    return this.renew(startAt).catch(() => true);
  }

  keepAlive(): void {
    this.#timer = setInterval(() => {
      this.renew().catch(() => undefined);
    }, this.#leaseMs / 4);
    this.#timer.unref?.();
  }

  /** Stops the timer; resolves once no renewal is in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }
}

/** A copy whose result contradicts the manifest. */
class CopyVerificationError extends Error {}

async function copyAndVerify(
  deps: RegistrationDependencies,
  job: RegistrationJob,
  session: UploadSession,
  entry: ManifestEntry,
  partSize: number | undefined
): Promise<void> {
  const copy = await deps.transfers.copyObject({
    sourceBucket: sessionBucket(session),
    sourceKey: sessionKey(session, entry.path),
    sourceVersionId: entry.versionId,
    sourceEtag: entry.etag,
    destinationKey: managedKey(job.modelId, job.version, entry.path),
    size: entry.size,
    partSize,
  });
  const problem = verifyCopy(entry, copy);
  if (problem) throw new CopyVerificationError(problem);
}

/**
 * What is wrong with a copy, if anything: its size must be the manifest's,
 * and its ETag too wherever both are the same kind of checksum (see
 * `comparableEtags`).
 */
export function verifyCopy(
  entry: ManifestEntry,
  copy: ObjectHead
): string | undefined {
  if (copy.size !== entry.size) {
    return `'${entry.path}' has ${copy.size} bytes, the manifest says ${entry.size} (it changed after the upload was completed)`;
  }
  if (
    comparableEtags(copy.etag, entry.etag) &&
    normalizeEtag(copy.etag) !== normalizeEtag(entry.etag)
  ) {
    return `checksum mismatch for '${entry.path}': ETag ${normalizeEtag(copy.etag)}, the manifest says ${normalizeEtag(entry.etag)} (it changed after the upload was completed)`;
  }
  return undefined;
}

function failureReason(error: unknown): string {
  if (error instanceof CopyVerificationError) return error.message;
  if (error instanceof ArtifactTransferError) {
    switch (error.failure) {
      case 'changed':
        return `${error.message} (the file changed after the upload was completed)`;
      case 'missing':
        return `${error.message} (the file is missing from the upload)`;
      default:
        return error.message;
    }
  }
  return `${(error as Error).name ?? 'Error'} while copying`;
}

/**
 * Marks the version failed, if this attempt still holds it, then removes
 * whatever it has in the managed prefix (copies of any attempt, and the
 * manifest). In that order: a superseded attempt must not delete copies
 * the attempt in charge is making.
 */
async function fail(
  deps: RegistrationDependencies,
  job: RegistrationJob,
  manifest: readonly ManifestEntry[],
  reason: string,
  lease: LeaseHolder
): Promise<RegistrationOutcome> {
  await lease.stop();
  const failed = await finishRegistration(deps.store, job, {
    status: 'FAILED_REGISTRATION',
    statusMessage: truncate(`Copying artifacts failed: ${reason}.`),
    now: deps.now(),
    lease: { attempt: lease.attempt },
  });
  if (!failed) return 'SKIPPED';
  await removeManagedCopies(deps.transfers, job, manifest);
  return 'FAILED_REGISTRATION';
}

/** Best effort: what stays behind is never served (the version is not READY). */
export async function removeManagedCopies(
  transfers: Pick<ArtifactStore, 'deleteObjects'>,
  version: Pick<RegistrationJob, 'modelId' | 'version'>,
  manifest: readonly ManifestEntry[]
): Promise<void> {
  await transfers
    .deleteObjects([
      ...manifest.map((entry) =>
        managedKey(version.modelId, version.version, entry.path)
      ),
      managedKey(version.modelId, version.version, MANIFEST_FILE),
    ])
    .catch(() => undefined);
}

/** `.stagegate-manifest.json`: what a client checks downloads against. */
export function manifestDocument(
  job: RegistrationJob,
  manifest: readonly ManifestEntry[]
) {
  return {
    format: 'stagegate-manifest/1',
    model_id: job.modelId,
    version: String(job.version),
    upload_id: job.uploadId,
    files: manifest.map((entry) => ({
      path: entry.path,
      size: entry.size,
      sha256: entry.sha256,
    })),
  };
}

export function truncate(message: string): string {
  return message.length > STATUS_MESSAGE_LENGTH
    ? `${message.slice(0, STATUS_MESSAGE_LENGTH - 1)}…`
    : message;
}
