import { InvalidStateError } from '../errors.ts';

/**
 * Why an S3 operation on artifacts failed, as the domain needs to tell
 * cases apart (adapters translate S3's error codes into these kinds).
 * Never an API error by itself: use cases turn it into a 400 for the
 * client or a version's `status_message`.
 */
export type ArtifactTransferFailure =
  /** The source no longer matches the version or ETag it was pinned to. */
  | 'changed'
  /** The object (or the multipart upload) does not exist. */
  | 'missing'
  /** CompleteMultipartUpload refused the parts (wrong ETag, too small, …). */
  | 'invalid-parts'
  | 'other';

export class ArtifactTransferError extends Error {
  override readonly name = 'ArtifactTransferError';
  readonly failure: ArtifactTransferFailure;
  /** S3's error code, when there was one (safe to show: no secrets). */
  readonly s3Code: string | undefined;
  /** S3's HTTP status, when it answered. */
  readonly httpStatus: number | undefined;

  constructor(
    failure: ArtifactTransferFailure,
    message: string,
    s3Code?: string,
    httpStatus?: number
  ) {
    super(message);
    this.failure = failure;
    this.s3Code = s3Code;
    this.httpStatus = httpStatus;
  }
}

/**
 * The upload session a version names cannot be registered: not completed,
 * already used, expired, or changed by a concurrent request.
 */
export class UploadNotUsableError extends InvalidStateError {}
