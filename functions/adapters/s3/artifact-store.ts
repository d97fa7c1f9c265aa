import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { mapWithConcurrency } from '#domain/artifacts/concurrency.ts';
import { ArtifactTransferError } from '#domain/artifacts/errors.ts';
import type {
  ArtifactObject,
  ArtifactSourceReader,
  ArtifactStore,
  ArtifactTransfers,
  CopyRequest,
  DirectoryListing,
  ObjectHead,
  PresignedUrl,
  SourceObject,
} from '#ports/artifact-store.ts';

/** S3's DeleteObjects takes at most 1000 keys per call. */
const DELETE_BATCH = 1000;
/** The largest object one CopyObject may copy (5 GiB). */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 * 1024 * 1024;
/** Part size of a multipart copy when the upload's is unknown. */
const DEFAULT_COPY_PART_BYTES = 512 * 1024 * 1024;
const MAX_PARTS = 10_000;
/** Parts copied at once in a multipart copy. */
const COPY_CONCURRENCY = 4;
/** SigV4 refuses presigned URLs that live longer than 7 days. */
const SIGV4_MAX_SECONDS = 7 * 24 * 3600;
/**
 * Temporary credentials whose end the SDK does not report (Lambda's
 * environment credentials): a presigned URL dies with the session anyway,
 * and role sessions last at most 12 hours.
 */
const UNKNOWN_SESSION_MAX_SECONDS = 12 * 3600;
/** User metadata (`x-amz-meta-sha256`) of the files the registry writes. */
const SHA256_METADATA = 'sha256';
/** HEADs in flight at once while snapshotting a source. */
const HEAD_CONCURRENCY = 16;

/**
 * {@link ArtifactStore} and {@link ArtifactTransfers} on the S3 artifact
 * bucket. The client must compute checksums only when required (see
 * `createS3Client`): otherwise presigned PUT URLs carry the CRC32 of an
 * empty body and real S3 refuses every upload through them.
 */
export class S3ArtifactStore
  implements ArtifactStore, ArtifactTransfers, ArtifactSourceReader
{
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #now: () => number;

  constructor(options: {
    client: S3Client;
    bucketName: string;
    /** @default Date.now */
    now?: () => number;
  }) {
    this.#client = options.client;
    this.#bucket = options.bucketName;
    this.#now = options.now ?? Date.now;
  }

  async presignPut(key: string, ttlSeconds: number): Promise<PresignedUrl> {
    return this.#presign(ttlSeconds, (options) =>
      getSignedUrl(
        this.#client,
        new PutObjectCommand({ Bucket: this.#bucket, Key: key }),
        options
      )
    );
  }

  async createMultipartUpload(key: string): Promise<string> {
    const created = await this.#call(
      `Starting the multipart upload of ${key}`,
      () =>
        this.#client.send(
          new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key })
        )
    );
    if (!created.UploadId) {
      throw new ArtifactTransferError('other', `No upload id for ${key}`);
    }
    return created.UploadId;
  }

  async presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    ttlSeconds: number
  ): Promise<PresignedUrl> {
    return this.#presign(ttlSeconds, (options) =>
      getSignedUrl(
        this.#client,
        new UploadPartCommand({
          Bucket: this.#bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
        }),
        options
      )
    );
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[]
  ): Promise<void> {
    await this.#call(`Completing the multipart upload of ${key}`, () =>
      this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: parts.map((part) => ({
              PartNumber: part.partNumber,
              ETag: quoted(part.etag),
            })),
          },
        })
      )
    );
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.#call(`Aborting the multipart upload of ${key}`, () =>
        this.#client.send(
          new AbortMultipartUploadCommand({
            Bucket: this.#bucket,
            Key: key,
            UploadId: uploadId,
          })
        )
      );
    } catch (error) {
      if (
        !(error instanceof ArtifactTransferError && error.failure === 'missing')
      ) {
        throw error;
      }
    }
  }

  headObject(key: string): Promise<ObjectHead | undefined> {
    return this.#head(this.#bucket, key);
  }

  async #head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    try {
      const head = await this.#call(`Reading ${key}`, () =>
        this.#client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
      );
      const sha256 = head.Metadata?.[SHA256_METADATA];
      return {
        size: head.ContentLength ?? 0,
        etag: unquoted(head.ETag ?? ''),
        ...(head.VersionId && head.VersionId !== 'null'
          ? { versionId: head.VersionId }
          : {}),
        ...(sha256 && /^[0-9a-f]{64}$/.test(sha256) ? { sha256 } : {}),
        ...(head.LastModified
          ? { lastModified: head.LastModified.getTime() }
          : {}),
      };
    } catch (error) {
      // S3 answers a HEAD of a missing key with 403, not 404, to callers
      // that may not list the bucket; the functions may list only some
      // prefixes (least privilege), so 403 reads as "no such object" too.
      if (
        error instanceof ArtifactTransferError &&
        (error.failure === 'missing' || error.httpStatus === 403)
      ) {
        return undefined;
      }
      throw error;
    }
  }

  async copyObject(request: CopyRequest): Promise<ObjectHead> {
    const copySource = this.#copySource(
      request.sourceBucket ?? this.#bucket,
      request.sourceKey,
      request.sourceVersionId
    );
    const what = `Copying ${request.sourceKey}`;
    if (request.size <= MAX_SINGLE_COPY_BYTES) {
      await this.#call(what, () =>
        this.#client.send(
          new CopyObjectCommand({
            Bucket: this.#bucket,
            Key: request.destinationKey,
            CopySource: copySource,
            CopySourceIfMatch: quoted(request.sourceEtag),
          })
        )
      );
    } else {
      await this.#multipartCopy(request, copySource, what);
    }
    const head = await this.headObject(request.destinationKey);
    if (!head) {
      throw new ArtifactTransferError(
        'missing',
        `${request.destinationKey} is missing right after its copy`
      );
    }
    return head;
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await this.#call(`Writing ${key}`, () =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: JSON.stringify(value),
          ContentType: 'application/json',
        })
      )
    );
  }

  async putObject(
    key: string,
    body: Uint8Array,
    sha256: string
  ): Promise<void> {
    await this.#call(`Writing ${key}`, () =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: body,
          ContentLength: body.byteLength,
          Metadata: { [SHA256_METADATA]: sha256 },
        })
      )
    );
  }

  async snapshot(
    location: { readonly bucket?: string | undefined; readonly prefix: string },
    limit: number
  ): Promise<readonly SourceObject[]> {
    const bucket = location.bucket ?? this.#bucket;
    const listed = await this.#call(`Listing ${location.prefix}`, () =>
      this.#list(bucket, location.prefix, { limit })
    );
    const heads = await mapWithConcurrency(
      listed.filter((object) => !object.key.endsWith('/')),
      HEAD_CONCURRENCY,
      async (object): Promise<SourceObject | undefined> => {
        const head = await this.#head(bucket, object.key);
        return head ? { key: object.key, ...head } : undefined;
      }
    );
    return heads.filter((head): head is SourceObject => head !== undefined);
  }

  async presignGet(key: string, ttlSeconds: number): Promise<PresignedUrl> {
    return this.#presign(ttlSeconds, (options) =>
      getSignedUrl(
        this.#client,
        new GetObjectCommand({ Bucket: this.#bucket, Key: key }),
        options
      )
    );
  }

  async listDirectory(
    prefix: string,
    limit: number
  ): Promise<DirectoryListing> {
    const files: { key: string; size: number; lastModified: number }[] = [];
    const directories: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.#call(`Listing ${prefix}`, () =>
        this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: prefix,
            Delimiter: '/',
            ContinuationToken: continuationToken,
            MaxKeys: Math.min(1000, limit - files.length - directories.length),
          })
        )
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined && object.Key !== prefix) {
          files.push({
            key: object.Key,
            size: object.Size ?? 0,
            lastModified: object.LastModified?.getTime() ?? 0,
          });
        }
      }
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix !== undefined) directories.push(common.Prefix);
      }
      continuationToken = page.IsTruncated
        ? page.NextContinuationToken
        : undefined;
    } while (continuationToken && files.length + directories.length < limit);
    return { files, directories };
  }

  /**
   * A URL that lives `ttlSeconds`, or less: never past SigV4's 7 days, nor
   * past the end of the signing credentials (a URL signed with temporary
   * credentials stops working when their session ends, whatever it says).
   */
  async #presign(
    ttlSeconds: number,
    sign: (options: { expiresIn: number; signingDate: Date }) => Promise<string>
  ): Promise<PresignedUrl> {
    const now = this.#now();
    const credentials = await this.#client.config.credentials();
    let cap = SIGV4_MAX_SECONDS;
    if (credentials.expiration) {
      cap = Math.min(
        cap,
        Math.floor((credentials.expiration.getTime() - now) / 1000)
      );
    } else if (credentials.sessionToken) {
      cap = Math.min(cap, UNKNOWN_SESSION_MAX_SECONDS);
    }
    const expiresIn = Math.max(1, Math.min(Math.floor(ttlSeconds), cap));
    const url = await sign({ expiresIn, signingDate: new Date(now) });
    return { url, expiresAt: now + expiresIn * 1000 };
  }

  /** `x-amz-copy-source`: bucket and URL-encoded key, and the version. */
  #copySource(
    bucket: string,
    key: string,
    versionId: string | undefined
  ): string {
    const encodedKey = key.split('/').map(encodeURIComponent).join('/');
    const source = `${bucket}/${encodedKey}`;
    return versionId
      ? `${source}?versionId=${encodeURIComponent(versionId)}`
      : source;
  }

  /** UploadPartCopy in ranges, each pinned to the source's ETag. */
  async #multipartCopy(
    request: CopyRequest,
    copySource: string,
    what: string
  ): Promise<void> {
    const partSize = Math.max(
      request.partSize ?? DEFAULT_COPY_PART_BYTES,
      Math.ceil(request.size / MAX_PARTS)
    );
    const partCount = Math.ceil(request.size / partSize);
    const uploadId = await this.createMultipartUpload(request.destinationKey);
    try {
      const etags: string[] = new Array(partCount);
      let next = 0;
      const worker = async () => {
        for (let index = next++; index < partCount; index = next++) {
          const first = index * partSize;
          const last = Math.min(request.size, first + partSize) - 1;
          const copied = await this.#call(`${what} (part ${index + 1})`, () =>
            this.#client.send(
              new UploadPartCopyCommand({
                Bucket: this.#bucket,
                Key: request.destinationKey,
                UploadId: uploadId,
                PartNumber: index + 1,
                CopySource: copySource,
                CopySourceIfMatch: quoted(request.sourceEtag),
                CopySourceRange: `bytes=${first}-${last}`,
              })
            )
          );
          etags[index] = unquoted(copied.CopyPartResult?.ETag ?? '');
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(COPY_CONCURRENCY, partCount) }, worker)
      );
      await this.completeMultipartUpload(
        request.destinationKey,
        uploadId,
        etags.map((etag, index) => ({ partNumber: index + 1, etag }))
      );
    } catch (error) {
      await this.abortMultipartUpload(request.destinationKey, uploadId).catch(
        () => undefined
      );
      throw error;
    }
  }

  /** Runs an S3 call, turning S3's errors into {@link ArtifactTransferError}. */
  async #call<Output>(
    what: string,
    run: () => Promise<Output>
  ): Promise<Output> {
    try {
      return await run();
    } catch (error) {
      throw asTransferError(error, what);
    }
  }

  listObjects(
    prefix: string,
    options: { limit: number; startAfter?: string | undefined }
  ): Promise<readonly ArtifactObject[]> {
    return this.#list(this.#bucket, prefix, options);
  }

  async #list(
    bucket: string,
    prefix: string,
    options: { limit: number; startAfter?: string | undefined }
  ): Promise<ArtifactObject[]> {
    const objects: ArtifactObject[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ContinuationToken: continuationToken,
          StartAfter: continuationToken ? undefined : options.startAfter,
          MaxKeys: Math.min(1000, options.limit - objects.length),
        })
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        objects.push({
          key: object.Key,
          size: object.Size ?? 0,
          lastModified: object.LastModified?.getTime() ?? 0,
        });
      }
      continuationToken = page.IsTruncated
        ? page.NextContinuationToken
        : undefined;
    } while (continuationToken && objects.length < options.limit);
    return objects;
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const result = await this.#client.send(
        new DeleteObjectsCommand({
          Bucket: this.#bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        })
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(
          `Could not delete ${failed.length} objects, first ${failed[0]?.Key}: ${failed[0]?.Code}`
        );
      }
    }
  }
}

function quoted(etag: string): string {
  return `"${unquoted(etag)}"`;
}

function unquoted(etag: string): string {
  return etag.replaceAll('"', '');
}

const MISSING_CODES = new Set([
  'NoSuchKey',
  'NoSuchUpload',
  'NoSuchVersion',
  'NotFound',
]);
const INVALID_PART_CODES = new Set([
  'InvalidPart',
  'InvalidPartOrder',
  'EntityTooSmall',
]);

/** S3's error, as the kind the domain tells apart, with S3's code. */
function asTransferError(error: unknown, what: string): ArtifactTransferError {
  const code =
    error instanceof Error
      ? ((error as { Code?: string }).Code ?? error.name)
      : 'Unknown';
  const status = (error as { $metadata?: { httpStatusCode?: number } })
    ?.$metadata?.httpStatusCode;
  const failure =
    code === 'PreconditionFailed' || status === 412
      ? 'changed'
      : MISSING_CODES.has(code) || status === 404
        ? 'missing'
        : INVALID_PART_CODES.has(code)
          ? 'invalid-parts'
          : 'other';
  return new ArtifactTransferError(
    failure,
    `${what} failed: ${code}`,
    code,
    status
  );
}
