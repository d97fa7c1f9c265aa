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
  /**
   * The SHA-256 (lowercase hex) the registry recorded when it wrote the
   * object itself (DBFS API); absent otherwise.
   */
  readonly sha256?: string | undefined;
  /** Epoch milliseconds, when S3 answered it. */
  readonly lastModified?: number | undefined;
}

/** A server-side copy, pinned to what the manifest recorded. */
export interface CopyRequest {
  /** The source's bucket, when not the artifact bucket (an allow-listed one). */
  readonly sourceBucket?: string | undefined;
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
  readonly files: readonly {
    readonly key: string;
    readonly size: number;
    /** Epoch milliseconds. */
    readonly lastModified: number;
  }[];
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
  /**
   * Writes one file of a temporary copy that a client sent through the
   * registry (the DBFS API: its bytes are the request's body), recording
   * its SHA-256 with it (read back by `headObject`).
   */
  putObject(key: string, body: Uint8Array, sha256: string): Promise<void>;
  presignGet(key: string, ttlSeconds: number): Promise<PresignedUrl>;
  /** One level under `prefix` (which ends in `/`), at most `limit` entries. */
  listDirectory(prefix: string, limit: number): Promise<DirectoryListing>;
}

/** An object of a version's source, with what the registration pins. */
export interface SourceObject {
  readonly key: string;
  readonly size: number;
  /** Without quotes. */
  readonly etag: string;
  readonly versionId?: string | undefined;
  readonly sha256?: string | undefined;
}

/**
 * Reads the files a version is registered from, where the registry finds
 * them by the version's source: a temporary copy or another version's
 * managed files in the artifact bucket, or an allow-listed prefix of
 * another bucket. Failures of S3 operations are `ArtifactTransferError`s.
 */
export interface ArtifactSourceReader {
  /**
   * Every object under `prefix` (recursively, in key order) with its
   * metadata (as HEAD answers it), at most `limit` of them.
   * @param bucket another bucket; @default the artifact bucket
   */
  snapshot(
    location: { readonly bucket?: string | undefined; readonly prefix: string },
    limit: number
  ): Promise<readonly SourceObject[]>;
}
