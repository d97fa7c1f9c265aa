import type {
  ArtifactStore,
  ArtifactTransfers,
  ObjectHead,
} from '#ports/artifact-store.ts';
import type {
  ModelRegistryStore,
  UploadConsumption,
} from '#ports/model-registry-store.ts';
import type {
  RegistrationJob,
  RegistrationQueue,
} from '#ports/registration-queue.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';
import { InvalidParameterValueError, InvalidStateError } from '../errors.ts';
import type { ModelVersion } from '../model-version.ts';
import type { Principal } from '../principal.ts';
import { mapWithConcurrency } from './concurrency.ts';
import { ArtifactTransferError } from './errors.ts';
import {
  MANIFEST_FILE,
  managedKey,
  managedUploadId,
  temporaryKey,
} from './paths.ts';
import {
  comparableEtags,
  type ManifestEntry,
  normalizeEtag,
} from './upload-session.ts';
import { ownedSession } from './uploads.ts';

/**
 * What `model-versions/create` needs to register a version from an
 * upload: the bucket (to recognise `s3://<bucket>/tmp-external-source/…`),
 * the sessions, and the queue that starts the asynchronous copy.
 */
export interface ManagedArtifactsDependencies {
  readonly bucketName: string;
  readonly uploads: Pick<UploadSessionStore, 'get'>;
  readonly registrations: RegistrationQueue;
}

/** `status_message` of a version whose files are being copied. */
export const COPYING_MESSAGE = 'Copying artifacts';
/** MLflow's `status_message` column is 500 characters. */
const STATUS_MESSAGE_LENGTH = 500;

/**
 * The upload a new version's source names, checked before the version is
 * created: it must exist, belong to the caller (or the caller is an admin),
 * have been opened for this model (`modelId`, whatever its name is now)
 * and be completed and unused. The consumption it returns is re-checked by
 * the version's transaction, so a concurrent registration of the same
 * upload loses there.
 * @returns undefined for sources the registry does not manage.
 */
export async function uploadToConsume(
  artifacts: ManagedArtifactsDependencies | undefined,
  caller: Principal,
  source: string,
  now: number,
  modelId: string
): Promise<UploadConsumption | undefined> {
  const uploadId = managedUploadId(source, artifacts?.bucketName);
  if (uploadId === undefined) return undefined;
  if (!artifacts) {
    throw new InvalidStateError(
      'This registry is not configured to manage artifact uploads.'
    );
  }
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
  };
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
    await deps.store.setVersionStatus(version.modelId, version.version, {
      status: 'FAILED_REGISTRATION',
      statusMessage,
      now: deps.now(),
      expectedStatus: 'PENDING_REGISTRATION',
    });
    return { status: 'FAILED_REGISTRATION', statusMessage };
  }
}

/** What the registration function needs. */
export interface RegistrationDependencies {
  readonly store: Pick<ModelRegistryStore, 'getVersion' | 'setVersionStatus'>;
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
}

export type RegistrationOutcome =
  | 'READY'
  | 'FAILED_REGISTRATION'
  /** Handed the remaining files to a new invocation. */
  | 'CONTINUED'
  /** Nothing to do: the version is gone or no longer pending. */
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
      `upload ${job.uploadId} is not the completed upload of this version`
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
      if (start > (job.startAt ?? 0) && options.remainingMs() < reserveMs) {
        await deps.queue.enqueue({ ...job, startAt: start });
        return 'CONTINUED';
      }
      await mapWithConcurrency(
        manifest.slice(start, start + concurrency),
        concurrency,
        (entry) => copyAndVerify(deps, job, entry, partSizes.get(entry.path))
      );
    }
    await deps.transfers.putJson(
      managedKey(job.modelId, job.version, MANIFEST_FILE),
      manifestDocument(job, manifest)
    );
  } catch (error) {
    return fail(deps, job, manifest, failureReason(error));
  }
  const updated = await deps.store.setVersionStatus(job.modelId, job.version, {
    status: 'READY',
    statusMessage: '',
    now: deps.now(),
    expectedStatus: 'PENDING_REGISTRATION',
  });
  return updated ? 'READY' : 'SKIPPED';
}

/** A copy whose result contradicts the manifest. */
class CopyVerificationError extends Error {}

async function copyAndVerify(
  deps: RegistrationDependencies,
  job: RegistrationJob,
  entry: ManifestEntry,
  partSize: number | undefined
): Promise<void> {
  const copy = await deps.transfers.copyObject({
    sourceKey: temporaryKey(job.uploadId, entry.path),
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
 * Removes whatever this version has in the managed prefix (copies of any
 * invocation, and the manifest), then marks the version failed.
 */
async function fail(
  deps: RegistrationDependencies,
  job: RegistrationJob,
  manifest: readonly ManifestEntry[],
  reason: string
): Promise<RegistrationOutcome> {
  await deps.transfers
    .deleteObjects([
      ...manifest.map((entry) =>
        managedKey(job.modelId, job.version, entry.path)
      ),
      managedKey(job.modelId, job.version, MANIFEST_FILE),
    ])
    .catch(() => undefined);
  await deps.store.setVersionStatus(job.modelId, job.version, {
    status: 'FAILED_REGISTRATION',
    statusMessage: truncate(`Copying artifacts failed: ${reason}.`),
    now: deps.now(),
    expectedStatus: 'PENDING_REGISTRATION',
  });
  return 'FAILED_REGISTRATION';
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

function truncate(message: string): string {
  return message.length > STATUS_MESSAGE_LENGTH
    ? `${message.slice(0, STATUS_MESSAGE_LENGTH - 1)}…`
    : message;
}
