import { createHash } from 'node:crypto';
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

interface StoredObject {
  data: Buffer;
  etag: string;
  versionId: string;
  lastModified: number;
  sha256?: string;
}

/**
 * The artifact bucket in memory, with S3's semantics where the registry
 * depends on them: versioned objects, ETags that are the MD5 of the bytes
 * (single PUT, CopyObject) or `<md5 of part md5s>-<n>` (multipart),
 * copies pinned by version and `if-match`, one-level listings. Clients'
 * uploads are simulated with `put` and `uploadPart`. Presigned URLs are
 * `memory://<method>/<key>?expires=<ms>`.
 */
export class MemoryArtifactBucket
  implements ArtifactStore, ArtifactTransfers, ArtifactSourceReader
{
  /** Other buckets (allow-listed sources), by name. */
  readonly otherBuckets = new Map<string, MemoryArtifactBucket>();
  readonly #objects = new Map<string, StoredObject>();
  readonly #versions = new Map<string, StoredObject>();
  readonly #multipart = new Map<
    string,
    { key: string; parts: Map<number, Buffer> }
  >();
  #sequence = 0;
  /** Every copy request, in order. */
  readonly copies: CopyRequest[] = [];
  readonly aborted: string[] = [];
  /** Makes the next copies of these source keys fail with this error. */
  readonly failCopies = new Map<string, ArtifactTransferError>();
  now: () => number;

  constructor(now: () => number = () => 1_700_000_000_000) {
    this.now = now;
  }

  /** A client's PUT through a presigned URL. */
  put(key: string, data: Buffer | string): ObjectHead {
    const bytes = Buffer.from(data);
    return head(this.#store(key, bytes, md5(bytes)));
  }

  /** A client's part PUT; answers the part's ETag. */
  uploadPart(uploadId: string, partNumber: number, data: Buffer): string {
    const upload = this.#multipart.get(uploadId);
    if (!upload) throw new Error(`no multipart upload ${uploadId}`);
    upload.parts.set(partNumber, data);
    return md5(data);
  }

  data(key: string): Buffer | undefined {
    return this.#objects.get(key)?.data;
  }

  keys(prefix = ''): string[] {
    return [...this.#objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  multipartUploads(): string[] {
    return [...this.#multipart.keys()];
  }

  async listObjects(
    prefix: string,
    options: { limit: number; startAfter?: string | undefined }
  ): Promise<readonly ArtifactObject[]> {
    return this.keys(prefix)
      .filter(
        (key) => options.startAfter === undefined || key > options.startAfter
      )
      .slice(0, options.limit)
      .map((key) => {
        const object = this.#objects.get(key) as StoredObject;
        return {
          key,
          size: object.data.length,
          lastModified: object.lastModified,
        };
      });
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#objects.delete(key);
  }

  async presignPut(key: string, ttlSeconds: number): Promise<PresignedUrl> {
    return this.#presign('put', key, ttlSeconds);
  }

  async createMultipartUpload(key: string): Promise<string> {
    const id = `mpu-${++this.#sequence}`;
    this.#multipart.set(id, { key, parts: new Map() });
    return id;
  }

  async presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    ttlSeconds: number
  ): Promise<PresignedUrl> {
    return this.#presign(
      'part',
      `${key}?uploadId=${uploadId}&partNumber=${partNumber}`,
      ttlSeconds
    );
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[]
  ): Promise<void> {
    const upload = this.#multipart.get(uploadId);
    if (!upload || upload.key !== key) {
      throw new ArtifactTransferError(
        'missing',
        'NoSuchUpload',
        'NoSuchUpload',
        404
      );
    }
    const chunks = parts.map((part) => {
      const data = upload.parts.get(part.partNumber);
      if (!data || md5(data) !== part.etag.replaceAll('"', '')) {
        throw new ArtifactTransferError(
          'invalid-parts',
          'InvalidPart',
          'InvalidPart',
          400
        );
      }
      return data;
    });
    const etag = `${md5(Buffer.concat(chunks.map((c) => Buffer.from(md5(c), 'hex'))))}-${chunks.length}`;
    this.#multipart.delete(uploadId);
    this.#store(key, Buffer.concat(chunks), etag);
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    this.aborted.push(`${key}#${uploadId}`);
    this.#multipart.delete(uploadId);
  }

  async headObject(key: string): Promise<ObjectHead | undefined> {
    const object = this.#objects.get(key);
    return object ? head(object) : undefined;
  }

  async copyObject(request: CopyRequest): Promise<ObjectHead> {
    this.copies.push(request);
    const failure = this.failCopies.get(request.sourceKey);
    if (failure) throw failure;
    const from =
      request.sourceBucket === undefined
        ? this
        : this.otherBuckets.get(request.sourceBucket);
    const source = from?.stored(request.sourceKey, request.sourceVersionId);
    if (!source) {
      throw new ArtifactTransferError('missing', 'NoSuchKey', 'NoSuchKey', 404);
    }
    if (source.etag !== request.sourceEtag) {
      throw new ArtifactTransferError(
        'changed',
        'PreconditionFailed',
        'PreconditionFailed',
        412
      );
    }
    // CopyObject gives the copy the MD5 of its bytes, as S3 with SSE-S3.
    return head(
      this.#store(request.destinationKey, source.data, md5(source.data))
    );
  }

  async putJson(key: string, value: unknown): Promise<void> {
    this.put(key, JSON.stringify(value));
  }

  async putObject(
    key: string,
    body: Uint8Array,
    sha256: string
  ): Promise<void> {
    const bytes = Buffer.from(body);
    this.#store(key, bytes, md5(bytes)).sha256 = sha256;
  }

  async snapshot(
    location: { readonly bucket?: string | undefined; readonly prefix: string },
    limit: number
  ): Promise<readonly SourceObject[]> {
    const bucket =
      location.bucket === undefined
        ? this
        : this.otherBuckets.get(location.bucket);
    if (!bucket) {
      throw new ArtifactTransferError('other', 'NoSuchBucket', 'NoSuchBucket');
    }
    return bucket
      .keys(location.prefix)
      .slice(0, limit)
      .flatMap((key) => {
        const object = bucket.stored(key);
        return object ? [{ key, ...head(object) }] : [];
      });
  }

  /** An object, or one version of it. */
  stored(key: string, versionId?: string): StoredObject | undefined {
    return versionId ? this.#versions.get(versionId) : this.#objects.get(key);
  }

  async presignGet(key: string, ttlSeconds: number): Promise<PresignedUrl> {
    return this.#presign('get', key, ttlSeconds);
  }

  async listDirectory(
    prefix: string,
    limit: number
  ): Promise<DirectoryListing> {
    const files: { key: string; size: number; lastModified: number }[] = [];
    const directories = new Set<string>();
    for (const key of this.keys(prefix)) {
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) directories.add(prefix + rest.slice(0, slash + 1));
      else {
        const object = this.#objects.get(key);
        files.push({
          key,
          size: object?.data.length ?? 0,
          lastModified: object?.lastModified ?? 0,
        });
      }
    }
    return { files: files.slice(0, limit), directories: [...directories] };
  }

  #store(key: string, data: Buffer, etag: string): StoredObject {
    const object: StoredObject = {
      data,
      etag,
      versionId: `v${++this.#sequence}`,
      lastModified: this.now(),
    };
    this.#objects.set(key, object);
    this.#versions.set(object.versionId, object);
    return object;
  }

  #presign(method: string, key: string, ttlSeconds: number): PresignedUrl {
    const expiresAt = this.now() + ttlSeconds * 1000;
    return { url: `memory://${method}/${key}#expires=${expiresAt}`, expiresAt };
  }
}

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

function head(object: StoredObject): ObjectHead {
  return {
    size: object.data.length,
    etag: object.etag,
    versionId: object.versionId,
    lastModified: object.lastModified,
    ...(object.sha256 ? { sha256: object.sha256 } : {}),
  };
}
