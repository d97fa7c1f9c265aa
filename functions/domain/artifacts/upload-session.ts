import { InvalidParameterValueError } from '../errors.ts';
import { type SessionOrigin, validateArtifactPath } from './paths.ts';

/**
 * An upload session: the files a client announced, the presigned URLs it
 * got for them, and — once completed — the manifest the registry checked
 * against S3. Lifecycle: OPEN (URLs handed out) → COMPLETED (manifest
 * stored) → CONSUMED (one version registered from it). EXPIRED is where
 * the cleanup job puts sessions never completed or never used.
 */
export type UploadSessionStatus = 'OPEN' | 'COMPLETED' | 'CONSUMED' | 'EXPIRED';

export interface MultipartPlan {
  /** S3's id of the multipart upload the part URLs belong to. */
  readonly uploadId: string;
  readonly partSize: number;
  readonly partCount: number;
}

export interface PlannedFile {
  readonly path: string;
  readonly size: number;
  /** Present for files uploaded in parts (larger than the threshold). */
  readonly multipart?: MultipartPlan | undefined;
}

/** One file as the registry verified it at completion. */
export interface ManifestEntry {
  readonly path: string;
  readonly size: number;
  /**
   * Lowercase hex SHA-256: declared by the client of an upload, computed by
   * the registry for a file it received (DBFS API). Empty when nobody knows
   * it (a file of an allow-listed bucket): downloads are then not checked.
   */
  readonly sha256: string;
  /** The temporary object's ETag, as S3 reported it, quotes removed. */
  readonly etag: string;
  /**
   * The temporary object's version (the bucket is versioned on AWS): the
   * registration copies exactly this version, so bytes written through a
   * still-valid presigned URL after completion are never registered.
   */
  readonly versionId?: string | undefined;
}

export type { SessionOrigin };

export interface UploadSession {
  readonly id: string;
  /** Principal id of the creator; only it (or an admin) completes or uses it. */
  readonly ownerId: string;
  readonly ownerName: string;
  /**
   * The registered model the upload is for, by id (a rename keeps it, a new
   * model of the same name is another): only a version of that model may
   * be registered from it. Absent on sessions opened before uploads named
   * their model, which any model the caller may add versions to takes.
   */
  readonly modelId?: string | undefined;
  readonly status: UploadSessionStatus;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** When the presigned URLs handed out last stop working. */
  readonly urlsExpireAt: number;
  /**
   * When the client last asked for fresh URLs (`uploads/sign`): an upload
   * still in progress, so the cleanup measures abandonment from here
   * rather than from `createdAt`.
   */
  readonly renewedAt?: number | undefined;
  readonly files: readonly PlannedFile[];
  readonly manifest?: readonly ManifestEntry[] | undefined;
  readonly completedAt?: number | undefined;
  readonly consumedAt?: number | undefined;
  /** The version registered from this session (CONSUMED only). */
  readonly consumedBy?:
    | { readonly modelId: string; readonly version: number }
    | undefined;
  /** When the cleanup job removed the temporary copy. */
  readonly cleanedAt?: number | undefined;
  /**
   * Where the files are, for a session the registry made from a version's
   * source (absent: an upload, under `tmp-external-source/<id>/`).
   */
  readonly origin?: SessionOrigin | undefined;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const uploadLimits = {
  /** Files per session. */
  maxFiles: 1000,
  /** Per file: S3's single-copy limit, so registration is one CopyObject. */
  maxFileSize: 5 * GiB,
  /** Files larger than this are uploaded in parts. */
  multipartThreshold: 64 * MiB,
  /** Smallest part (S3's minimum is 5 MiB for all but the last part). */
  minPartSize: 16 * MiB,
  /**
   * Parts per file are kept near this (larger parts for larger files), so a
   * 5 GiB file takes 20 URLs of 256 MiB and a response stays small.
   */
  targetPartsPerFile: 20,
  /**
   * Presigned URLs per response. A URL signed with a Lambda role's
   * temporary credentials is about 1.6 KB; 2500 of them keep the response
   * well under Lambda's 6 MB payload limit.
   */
  maxUrls: 2500,
  /**
   * UTF-8 bytes of all paths of a session. The session item carries the
   * manifest, and a DynamoDB item is at most 400 KB: with up to 1000 files
   * of about 200 bytes of checksum, ETag and version id each, the paths
   * get this much.
   */
  maxTotalPathBytes: 150_000,
  /** SigV4's own limit on a presigned URL's lifetime. */
  maxUrlTtlSeconds: 7 * 24 * 3600,
} as const;

/**
 * The part size of a multipart file: at least 16 MiB, rounded up to whole
 * MiB, large enough that the file takes about 20 parts.
 */
export function partSizeFor(size: number): number {
  const perPart = Math.ceil(size / uploadLimits.targetPartsPerFile / MiB) * MiB;
  return Math.max(uploadLimits.minPartSize, perPart);
}

export function needsMultipart(size: number): boolean {
  return size > uploadLimits.multipartThreshold;
}

/**
 * Checks the announced files: count, paths (see `validateArtifactPath`),
 * sizes, duplicates, a path that is both a file and a directory, and the
 * total path budget.
 * @throws InvalidParameterValueError naming the first problem.
 */
export function validateAnnouncedFiles(
  files: readonly { path: string; size: number }[]
): void {
  if (files.length === 0) {
    throw new InvalidParameterValueError('An upload needs at least one file.');
  }
  if (files.length > uploadLimits.maxFiles) {
    throw new InvalidParameterValueError(
      `An upload holds at most ${uploadLimits.maxFiles} files, got ${files.length}.`
    );
  }
  const paths = new Set<string>();
  let pathBytes = 0;
  for (const file of files) {
    validateArtifactPath(file.path);
    if (
      !Number.isSafeInteger(file.size) ||
      file.size < 0 ||
      file.size > uploadLimits.maxFileSize
    ) {
      throw new InvalidParameterValueError(
        `Invalid size ${file.size} for '${file.path}': sizes are whole bytes from 0 to ${uploadLimits.maxFileSize} (5 GiB).`
      );
    }
    if (paths.has(file.path)) {
      throw new InvalidParameterValueError(
        `The path '${file.path}' appears twice.`
      );
    }
    paths.add(file.path);
    pathBytes += Buffer.byteLength(file.path, 'utf8');
  }
  for (const path of paths) {
    const segments = path.split('/');
    for (let depth = 1; depth < segments.length; depth += 1) {
      const directory = segments.slice(0, depth).join('/');
      if (paths.has(directory)) {
        throw new InvalidParameterValueError(
          `'${directory}' is both a file and a directory.`
        );
      }
    }
  }
  if (pathBytes > uploadLimits.maxTotalPathBytes) {
    throw new InvalidParameterValueError(
      `The paths of one upload may total ${uploadLimits.maxTotalPathBytes} bytes, got ${pathBytes}; split the files into several versions or shorten the paths.`
    );
  }
  const urls = files.reduce(
    (sum, file) =>
      sum +
      (needsMultipart(file.size)
        ? Math.ceil(file.size / partSizeFor(file.size))
        : 1),
    0
  );
  if (urls > uploadLimits.maxUrls) {
    throw new InvalidParameterValueError(
      `These files need ${urls} upload URLs; one upload hands out at most ${uploadLimits.maxUrls}.`
    );
  }
}

/** SHA-256 as 64 hex digits (normalized to lowercase). */
export function validateSha256(path: string, sha256: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(sha256)) {
    throw new InvalidParameterValueError(
      `Invalid sha256 for '${path}': expected 64 hexadecimal digits.`
    );
  }
  return sha256.toLowerCase();
}

/** ETags are quoted on the wire; compared without the quotes. */
export function normalizeEtag(etag: string): string {
  return etag.replaceAll('"', '');
}

/**
 * Whether two ETags can be compared as checksums: S3 gives an object made
 * by a single PUT or a CopyObject the MD5 of its bytes (under SSE-S3), and
 * one made by a multipart upload `<md5 of the part md5s>-<parts>`. A
 * multipart upload copied by CopyObject gets a plain MD5, which says
 * nothing about the parts' ETag; only ETags of the same kind are compared.
 */
export function comparableEtags(a: string, b: string): boolean {
  return normalizeEtag(a).includes('-') === normalizeEtag(b).includes('-');
}
