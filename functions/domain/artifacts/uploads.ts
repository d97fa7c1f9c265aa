import type { ArtifactTransfers } from '#ports/artifact-store.ts';
import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';
import { authorize } from '../authorization.ts';
import {
  InvalidParameterValueError,
  InvalidStateError,
  RegisteredModelDoesNotExistError,
  ResourceDoesNotExistError,
} from '../errors.ts';
import type { Principal } from '../principal.ts';
import { validateModelName } from '../registered-model.ts';
import { mapWithConcurrency } from './concurrency.ts';
import { ArtifactTransferError } from './errors.ts';
import { isUploadId, temporaryKey, uploadSource } from './paths.ts';
import {
  type ManifestEntry,
  needsMultipart,
  type PlannedFile,
  partSizeFor,
  type UploadSession,
  uploadLimits,
  validateAnnouncedFiles,
  validateSha256,
} from './upload-session.ts';

/** What the upload use cases need. */
export interface UploadDependencies {
  /** Resolves the model an upload is for. */
  readonly store: Pick<ModelRegistryStore, 'getModelRecordByName'>;
  readonly uploads: UploadSessionStore;
  readonly transfers: ArtifactTransfers;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** 32 lowercase hex digits. */
  readonly newId: () => string;
  /** Lifetime of the presigned URLs (`ARTIFACT_URL_TTL_SECONDS`). */
  readonly urlTtlSeconds: number;
}

/** S3 calls made at once by one request (presigning is local CPU). */
const S3_CONCURRENCY = 16;

export interface CreateUploadInput {
  /**
   * The registered model the upload will be a version of. The caller needs
   * the ability to add versions to it (Can Edit or more), checked by the
   * route as for `model-versions/create`.
   */
  readonly name: string;
  readonly files: readonly { path: string; size: number }[];
  /**
   * Shorter-lived URLs than the registry's default, for clients that
   * upload right away (at most `urlTtlSeconds`).
   */
  readonly expiresInSeconds?: number | undefined;
}

export type UploadTarget =
  | { readonly path: string; readonly url: string }
  | {
      readonly path: string;
      readonly multipartUploadId: string;
      readonly partSize: number;
      readonly parts: readonly { partNumber: number; url: string }[];
    };

export interface CreatedUpload {
  readonly uploadId: string;
  readonly files: readonly UploadTarget[];
  /** When the first of the URLs stops working (epoch milliseconds). */
  readonly expiresAt: number;
}

/**
 * Opens an upload session for a model: one presigned PUT per file, or —
 * above 64 MiB — a multipart upload with one presigned URL per part. The
 * bytes then go from the client to S3 under `tmp-external-source/<upload
 * id>/`, never through the registry. The session is bound to the model's
 * id, so it registers only as a version of that model.
 * @throws RegisteredModelDoesNotExistError; InvalidParameterValueError for
 *   the files or the URL lifetime.
 */
export async function createUploadSession(
  deps: UploadDependencies,
  caller: Principal,
  input: CreateUploadInput
): Promise<CreatedUpload> {
  validateAnnouncedFiles(input.files);
  const ttlSeconds = urlLifetime(deps.urlTtlSeconds, input.expiresInSeconds);
  const record = await deps.store.getModelRecordByName(
    validateModelName(input.name)
  );
  if (!record) throw new RegisteredModelDoesNotExistError(input.name);
  const id = deps.newId();
  const planned = await mapWithConcurrency(
    input.files,
    S3_CONCURRENCY,
    async (file): Promise<PlannedFile> => {
      if (!needsMultipart(file.size))
        return { path: file.path, size: file.size };
      const partSize = partSizeFor(file.size);
      return {
        path: file.path,
        size: file.size,
        multipart: {
          uploadId: await deps.transfers.createMultipartUpload(
            temporaryKey(id, file.path)
          ),
          partSize,
          partCount: Math.ceil(file.size / partSize),
        },
      };
    }
  );
  const targets = await mapWithConcurrency(
    planned,
    S3_CONCURRENCY,
    (file): Promise<UploadTarget & { expiresAt: number }> =>
      presignTarget(deps.transfers, id, file, ttlSeconds)
  );
  const now = deps.now();
  const expiresAt = Math.min(...targets.map((target) => target.expiresAt));
  await deps.uploads.create({
    id,
    ownerId: caller.id,
    ownerName: caller.userName,
    modelId: record.model.id,
    status: 'OPEN',
    createdAt: now,
    urlsExpireAt: expiresAt,
    files: planned,
  });
  return {
    uploadId: id,
    files: targets.map(({ expiresAt: _, ...target }) => target),
    expiresAt,
  };
}

/**
 * The presigned URL of a file, or of its parts (`partNumbers`, each from 1
 * to its part count; all of them when not given).
 */
async function presignTarget(
  transfers: ArtifactTransfers,
  uploadId: string,
  file: PlannedFile,
  ttlSeconds: number,
  partNumbers?: readonly number[]
): Promise<UploadTarget & { expiresAt: number }> {
  const key = temporaryKey(uploadId, file.path);
  if (!file.multipart) {
    const { url, expiresAt } = await transfers.presignPut(key, ttlSeconds);
    return { path: file.path, url, expiresAt };
  }
  const { multipart } = file;
  const numbers =
    partNumbers ??
    Array.from({ length: multipart.partCount }, (_, index) => index + 1);
  const parts = await Promise.all(
    numbers.map(async (partNumber) => {
      const presigned = await transfers.presignUploadPart(
        key,
        multipart.uploadId,
        partNumber,
        ttlSeconds
      );
      return { partNumber, ...presigned };
    })
  );
  return {
    path: file.path,
    multipartUploadId: multipart.uploadId,
    partSize: multipart.partSize,
    parts: parts.map(({ partNumber, url }) => ({ partNumber, url })),
    expiresAt: Math.min(...parts.map((part) => part.expiresAt)),
  };
}

function urlLifetime(
  configured: number,
  requested: number | undefined
): number {
  if (requested === undefined) return configured;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new InvalidParameterValueError(
      `expires_in_seconds must be a whole number of seconds from 1 to ${configured}, got ${requested}.`
    );
  }
  return Math.min(requested, configured, uploadLimits.maxUrlTtlSeconds);
}

export interface SignUploadInput {
  readonly uploadId: string;
  /**
   * The files to sign again, each once; for a multipart file, the parts
   * (all of them when left out).
   */
  readonly files: readonly {
    readonly path: string;
    readonly partNumbers?: readonly number[] | undefined;
  }[];
  /** As for `createUploadSession`: at most the registry's lifetime. */
  readonly expiresInSeconds?: number | undefined;
}

/**
 * Fresh presigned URLs for files (or parts) of an OPEN session: a client
 * whose upload outlasts the URLs it got asks for the next ones just before
 * it needs them, so an upload of any duration works with short-lived
 * URLs. Only the session's creator (or an admin) may. Each call renews the
 * session, so the cleanup job does not take an upload in progress for
 * abandoned; the bucket's lifecycle still ends a multipart upload 7 days
 * after it began.
 * @throws ResourceDoesNotExistError, PermissionDeniedError;
 *   InvalidStateError for a session no longer OPEN;
 *   InvalidParameterValueError for files or parts not in the session.
 */
export async function signUploadUrls(
  deps: UploadDependencies,
  caller: Principal,
  input: SignUploadInput
): Promise<CreatedUpload> {
  const session = await ownedSession(deps.uploads, caller, input.uploadId);
  if (session.status !== 'OPEN') {
    throw new InvalidStateError(
      `Upload ${session.id} is ${session.status === 'EXPIRED' ? 'expired; start a new upload' : 'completed; its files can no longer change'}.`
    );
  }
  const ttlSeconds = urlLifetime(deps.urlTtlSeconds, input.expiresInSeconds);
  const wanted = plannedSubset(session, input.files);
  const targets = await mapWithConcurrency(
    wanted,
    S3_CONCURRENCY,
    ({ file, partNumbers }) =>
      presignTarget(deps.transfers, session.id, file, ttlSeconds, partNumbers)
  );
  const expiresAt = Math.min(...targets.map((target) => target.expiresAt));
  if (!(await deps.uploads.renew(session.id, expiresAt, deps.now()))) {
    throw new InvalidStateError(
      `Upload ${session.id} was completed or expired meanwhile.`
    );
  }
  return {
    uploadId: session.id,
    files: targets.map(({ expiresAt: _, ...target }) => target),
    expiresAt,
  };
}

/** The planned files (and parts) a signing asks for, checked. */
function plannedSubset(
  session: UploadSession,
  files: SignUploadInput['files']
): { file: PlannedFile; partNumbers?: readonly number[] | undefined }[] {
  if (files.length === 0) {
    throw new InvalidParameterValueError('files must name at least one file.');
  }
  const planned = new Map(session.files.map((file) => [file.path, file]));
  const seen = new Set<string>();
  let urls = 0;
  const subset = files.map(({ path, partNumbers }) => {
    const file = planned.get(path);
    if (!file) {
      throw new InvalidParameterValueError(
        `File '${path}' is not part of upload ${session.id}.`
      );
    }
    if (seen.has(path)) {
      throw new InvalidParameterValueError(`The path '${path}' appears twice.`);
    }
    seen.add(path);
    if (!file.multipart) {
      if (partNumbers !== undefined) {
        throw new InvalidParameterValueError(
          `File '${path}' is uploaded in one piece; it has no parts.`
        );
      }
      urls += 1;
      return { file };
    }
    const count = file.multipart.partCount;
    const numbers = partNumbers ?? undefined;
    if (numbers !== undefined) {
      if (
        numbers.length === 0 ||
        new Set(numbers).size !== numbers.length ||
        numbers.some(
          (number) => !Number.isInteger(number) || number < 1 || number > count
        )
      ) {
        throw new InvalidParameterValueError(
          `part_numbers of '${path}' must be distinct whole numbers from 1 to ${count}.`
        );
      }
    }
    urls += numbers?.length ?? count;
    return { file, partNumbers: numbers };
  });
  if (urls > uploadLimits.maxUrls) {
    throw new InvalidParameterValueError(
      `These files need ${urls} upload URLs; one call hands out at most ${uploadLimits.maxUrls}.`
    );
  }
  return subset;
}

export interface CompletedFileInput {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  /** The ETag S3 answered for each part (multipart files only). */
  readonly parts?: readonly { partNumber: number; etag: string }[] | undefined;
}

export interface CompletedUpload {
  readonly uploadId: string;
  /** The `source` that registers a version from this upload. */
  readonly source: string;
}

/**
 * Completes a session: finishes its multipart uploads, then checks every
 * object in S3 (HEAD) against the size the client declares, and stores the
 * manifest (path, size, SHA-256, ETag, version). Only the session's owner
 * or an admin may complete it. Retrying a completion with the same files
 * answers the same; completing with other files is refused.
 * @throws InvalidParameterValueError for files that do not match what S3
 *   holds; InvalidStateError for an expired or differently completed
 *   session.
 */
export async function completeUploadSession(
  deps: UploadDependencies,
  caller: Principal,
  input: { uploadId: string; files: readonly CompletedFileInput[] }
): Promise<CompletedUpload> {
  const session = await ownedSession(deps.uploads, caller, input.uploadId);
  const answer = { uploadId: session.id, source: uploadSource(session.id) };
  if (session.status === 'COMPLETED' || session.status === 'CONSUMED') {
    const retried = input.files.map((file) => ({
      ...file,
      sha256: file.sha256.toLowerCase(),
    }));
    if (sameManifest(session.manifest ?? [], retried)) return answer;
    throw new InvalidStateError(
      `Upload ${session.id} was already completed with other files.`
    );
  }
  if (session.status !== 'OPEN') {
    throw new InvalidStateError(
      `Upload ${session.id} has expired; start a new upload.`
    );
  }
  const declared = matchPlannedFiles(session, input.files);
  await mapWithConcurrency(declared, S3_CONCURRENCY, (file) =>
    finishMultipart(deps.transfers, session.id, file)
  );
  const manifest = await mapWithConcurrency(
    declared,
    S3_CONCURRENCY,
    async (file): Promise<ManifestEntry> => {
      const head = await deps.transfers.headObject(
        temporaryKey(session.id, file.path)
      );
      if (!head) {
        throw new InvalidParameterValueError(
          `File '${file.path}' was not uploaded.`
        );
      }
      if (head.size !== file.size) {
        throw new InvalidParameterValueError(
          `File '${file.path}' has ${head.size} bytes in storage, but the manifest says ${file.size}.`
        );
      }
      return {
        path: file.path,
        size: file.size,
        sha256: file.sha256,
        etag: head.etag,
        ...(head.versionId ? { versionId: head.versionId } : {}),
      };
    }
  );
  // In S3's key order (UTF-8 bytes), so manifests and listings agree.
  manifest.sort((a, b) =>
    Buffer.compare(Buffer.from(a.path), Buffer.from(b.path))
  );
  if (!(await deps.uploads.complete(session.id, manifest, deps.now()))) {
    // A concurrent completion won: the same files are fine.
    const now = await deps.uploads.get(session.id);
    if (!now?.manifest || !sameManifest(now.manifest, declared)) {
      throw new InvalidStateError(
        `Upload ${session.id} changed while it was being completed.`
      );
    }
  }
  return answer;
}

/**
 * The session, if the caller may act on it: its creator, or an admin.
 * @throws ResourceDoesNotExistError; PermissionDeniedError.
 */
export async function ownedSession(
  uploads: Pick<UploadSessionStore, 'get'>,
  caller: Principal,
  uploadId: string
): Promise<UploadSession> {
  const session = isUploadId(uploadId)
    ? await uploads.get(uploadId)
    : undefined;
  if (!session) {
    throw new ResourceDoesNotExistError(`Upload ${uploadId} does not exist.`);
  }
  authorize(caller, 'artifacts:UploadArtifacts', {
    kind: 'upload',
    id: uploadId,
    ownerId: session.ownerId,
  });
  return session;
}

type DeclaredFile = CompletedFileInput & {
  readonly sha256: string;
  readonly planned: PlannedFile;
};

/** The completion must name exactly the planned files, with their sizes. */
function matchPlannedFiles(
  session: UploadSession,
  files: readonly CompletedFileInput[]
): DeclaredFile[] {
  const planned = new Map(session.files.map((file) => [file.path, file]));
  const seen = new Set<string>();
  const declared = files.map((file): DeclaredFile => {
    const plan = planned.get(file.path);
    if (!plan) {
      throw new InvalidParameterValueError(
        `File '${file.path}' is not part of upload ${session.id}.`
      );
    }
    if (seen.has(file.path)) {
      throw new InvalidParameterValueError(
        `The path '${file.path}' appears twice.`
      );
    }
    seen.add(file.path);
    if (file.size !== plan.size) {
      throw new InvalidParameterValueError(
        `File '${file.path}' was announced with ${plan.size} bytes, but the manifest says ${file.size}.`
      );
    }
    if (file.parts !== undefined && !plan.multipart) {
      throw new InvalidParameterValueError(
        `File '${file.path}' was uploaded in one piece; it has no parts.`
      );
    }
    return {
      ...file,
      sha256: validateSha256(file.path, file.sha256),
      planned: plan,
    };
  });
  const missing = session.files.filter((file) => !seen.has(file.path));
  if (missing.length > 0) {
    throw new InvalidParameterValueError(
      `The manifest lacks ${missing.length} file(s) of the upload, first '${missing[0]?.path}'.`
    );
  }
  return declared;
}

async function finishMultipart(
  transfers: ArtifactTransfers,
  uploadId: string,
  file: DeclaredFile
): Promise<void> {
  const multipart = file.planned.multipart;
  if (!multipart) return;
  const parts = [...(file.parts ?? [])].sort(
    (a, b) => a.partNumber - b.partNumber
  );
  const complete =
    parts.length === multipart.partCount &&
    parts.every((part, index) => part.partNumber === index + 1);
  if (!complete) {
    throw new InvalidParameterValueError(
      `File '${file.path}' needs the ETags of its parts 1 to ${multipart.partCount}, each once.`
    );
  }
  try {
    await transfers.completeMultipartUpload(
      temporaryKey(uploadId, file.path),
      multipart.uploadId,
      parts
    );
  } catch (error) {
    if (error instanceof ArtifactTransferError) {
      // Already completed by an earlier attempt of this request: the HEAD
      // that follows decides whether the object is there.
      if (error.failure === 'missing') return;
      if (error.failure === 'invalid-parts') {
        throw new InvalidParameterValueError(
          `The parts of '${file.path}' do not match what was uploaded (${error.s3Code}): upload every part and send the ETags S3 answered.`
        );
      }
    }
    throw error;
  }
}

function sameManifest(
  manifest: readonly ManifestEntry[],
  declared: readonly { path: string; size: number; sha256: string }[]
): boolean {
  const byPath = new Map(manifest.map((entry) => [entry.path, entry]));
  return (
    manifest.length === declared.length &&
    new Set(declared.map((file) => file.path)).size === declared.length &&
    declared.every((file) => {
      const entry = byPath.get(file.path);
      return entry?.size === file.size && entry.sha256 === file.sha256;
    })
  );
}
