/** An object in the artifact bucket, as listed. */
export interface ArtifactObject {
  readonly key: string;
  readonly size: number;
  /** Epoch milliseconds. */
  readonly lastModified: number;
}

/** The artifact bucket, as the registry uses it. No bytes pass through it. */
export interface ArtifactStore {
  /**
   * Objects under a prefix in key order, at most `limit` of them, starting
   * after the key `startAfter` when given.
   */
  listObjects(
    prefix: string,
    options: { limit: number; startAfter?: string | undefined }
  ): Promise<readonly ArtifactObject[]>;
  /** Deletes the keys (batched); deleting a missing key is not an error. */
  deleteObjects(keys: readonly string[]): Promise<void>;
}

/** A presigned URL and when it stops working (epoch milliseconds). */
export interface PresignedUrl {
  readonly url: string;
  readonly expiresAt: number;
}

/** An object's metadata, as S3's HEAD answers it. */
export interface ObjectHead {
  readonly size: number;
  /** Without quotes. */
  readonly etag: string;
  /** Present on versioned buckets. */
  readonly versionId?: string | undefined;
}

/** A server-side copy, pinned to what the manifest recorded. */
export interface CopyRequest {
  readonly sourceKey: string;
  /** Copy exactly this version of the source, when the bucket has versions. */
  readonly sourceVersionId?: string | undefined;
  /** The source must still have this ETag (`x-amz-copy-source-if-match`). */
  readonly sourceEtag: string;
  readonly destinationKey: string;
  /** The source's size, which decides between one copy and a multipart copy. */
  readonly size: number;
  /** Part size of a multipart copy (the upload's, so ETags line up). */
  readonly partSize?: number | undefined;
}

/** What a directory listing holds, one level deep. */
export interface DirectoryListing {
  readonly files: readonly { readonly key: string; readonly size: number }[];
  /** Common prefixes, each ending in `/`. */
  readonly directories: readonly string[];
}

/**
 * Presigned URLs and server-side operations on the artifact bucket. Every
 * byte of an artifact moves between the client and S3, or inside S3; the
 * only object the registry writes itself is a version's manifest.
 *
 * Presigned URLs live `ttlSeconds`, or less when the signing credentials
 * expire sooner: the answer's `expiresAt` is the real end.
 * Failures of S3 operations are `ArtifactTransferError`s.
 */
export interface ArtifactTransfers {
  /** A URL for one PUT of the whole object (no checksum parameters). */
  presignPut(key: string, ttlSeconds: number): Promise<PresignedUrl>;
  /** @returns S3's multipart upload id. */
  createMultipartUpload(key: string): Promise<string>;
  presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    ttlSeconds: number
  ): Promise<PresignedUrl>;
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[]
  ): Promise<void>;
  /** Aborting a multipart upload that no longer exists is not an error. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  /** @returns undefined when there is no such object. */
  headObject(key: string): Promise<ObjectHead | undefined>;
  /**
   * Copies inside the bucket (CopyObject up to 5 GiB, UploadPartCopy
   * above), then reads the copy's metadata back.
   */
  copyObject(request: CopyRequest): Promise<ObjectHead>;
  /** Writes a small JSON document the registry produced (the manifest). */
  putJson(key: string, value: unknown): Promise<void>;
  presignGet(key: string, ttlSeconds: number): Promise<PresignedUrl>;
  /** One level under `prefix` (which ends in `/`), at most `limit` entries. */
  listDirectory(prefix: string, limit: number): Promise<DirectoryListing>;
}
