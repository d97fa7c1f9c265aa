import crypto from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Koa's middleware signature, as s3rver (a Koa application) runs it. */
type Middleware = (
  ctx: {
    method: string;
    headers: Record<string, unknown>;
    query: Record<string, unknown>;
  },
  next: () => Promise<unknown>
) => Promise<unknown>;

interface S3rverInstance {
  /** Koa's middleware chain, composed when the server starts listening. */
  middleware: Middleware[];
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (
  options: Record<string, unknown>
) => S3rverInstance;

interface S3rverAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}
type S3ErrorConstructor = new (code: string, message: string) => Error;

/**
 * Browsers upload and download artifacts straight from presigned URLs, so
 * the bucket answers cross-origin PUT and GET (as the deployed bucket does).
 */
const CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>`;

let desPatched = false;

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3
 * lacks without its legacy provider: every paginated listing would be a 500.
 * Triple DES with the key repeated three times is the same cipher.
 */
function patchDesForS3rver(): void {
  if (desPatched) return;
  desPatched = true;
  type CipherFactory = (
    algorithm: string,
    key: Buffer,
    iv: Buffer | null,
    ...rest: unknown[]
  ) => unknown;
  const mutable = crypto as unknown as Record<string, CipherFactory>;
  for (const name of ['createCipheriv', 'createDecipheriv']) {
    const original = mutable[name];
    if (!original) continue;
    mutable[name] = (algorithm, key, iv, ...rest) =>
      algorithm === 'des'
        ? original('des-ede3-cbc', Buffer.concat([key, key, key]), iv, ...rest)
        : original(algorithm, key, iv, ...rest);
  }
}

let listingPatched = false;

interface ListedObjects {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
type ListObjects = (
  this: unknown,
  bucket: string,
  options: {
    delimiter?: string;
    prefix?: string;
    maxKeys?: number;
    startAfter?: string;
  }
) => Promise<ListedObjects>;

/**
 * s3rver's listing with a delimiter skips the directories below the first
 * delimiter while it walks, so a common prefix whose objects all sit two
 * or more levels deeper (`data/` holding only `data/a/b/file`) is never
 * reported, and a one-level listing loses that directory (S3 reports it).
 * The patched listing walks without the delimiter and groups the keys as
 * S3 does: keys under a common prefix become that prefix.
 */
function patchDelimiterListingForS3rver(): void {
  if (listingPatched) return;
  listingPatched = true;
  const store = require('@20minutes/s3rver/lib/stores/filesystem') as {
    prototype: { listObjects: ListObjects };
  };
  const original = store.prototype.listObjects;
  store.prototype.listObjects = async function (bucket, options) {
    const {
      delimiter,
      prefix = '',
      maxKeys = Number.POSITIVE_INFINITY,
    } = options;
    if (!delimiter) return original.call(this, bucket, options);
    const all = await original.call(this, bucket, {
      ...options,
      delimiter: '',
      maxKeys: Number.POSITIVE_INFINITY,
    });
    const commonPrefixes = new Set<string>();
    const objects: ListedObjects['objects'] = [];
    for (const object of all.objects) {
      const index = object.key.slice(prefix.length).indexOf(delimiter);
      if (index >= 0) {
        commonPrefixes.add(object.key.slice(0, prefix.length + index + 1));
      } else {
        objects.push(object);
      }
    }
    return {
      objects: objects.slice(0, maxKeys),
      commonPrefixes: [...commonPrefixes].sort(),
      isTruncated: objects.length > maxKeys,
    };
  };
}

let longNamesPatched = false;

interface FilesystemStore {
  existsObject(this: unknown, bucket: string, key: string): Promise<boolean>;
  getObject(
    this: unknown,
    bucket: string,
    key: string,
    options?: unknown
  ): Promise<unknown>;
}

/**
 * s3rver keeps each object in a file named after the key's last segment
 * plus a suffix, so a segment near 255 bytes exceeds the file system's
 * name limit and reading it fails with ENAMETOOLONG: a 500 where S3
 * answers that no such key exists (S3 keys take 1024 bytes in any
 * segments). Such a key cannot exist here, so reading one finds nothing.
 */
function patchLongNamesForS3rver(): void {
  if (longNamesPatched) return;
  longNamesPatched = true;
  const store = require('@20minutes/s3rver/lib/stores/filesystem') as {
    prototype: FilesystemStore;
  };
  const { existsObject, getObject } = store.prototype;
  const tooLong = (error: unknown) =>
    (error as { code?: string } | undefined)?.code === 'ENAMETOOLONG';
  store.prototype.existsObject = async function (bucket, key) {
    try {
      return await existsObject.call(this, bucket, key);
    } catch (error) {
      if (tooLong(error)) return false;
      throw error;
    }
  };
  store.prototype.getObject = async function (bucket, key, options) {
    try {
      return await getObject.call(this, bucket, key, options);
    } catch (error) {
      if (tooLong(error)) return null;
      throw error;
    }
  };
}

export interface LocalS3 {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * The S3 server (`@20minutes/s3rver`, in-process) on 127.0.0.1 with the
 * artifact bucket; it verifies SigV4, so tampered or expired presigned URLs
 * fail as they do on AWS.
 *
 * Its port is open to every local account, so it answers only requests
 * signed with `credentials` (the data directory's): its built-in
 * S3RVER/S3RVER key is revoked, and a request with no signature at all,
 * which s3rver would serve anonymously, gets 403 AccessDenied (CORS
 * preflights, which never carry credentials, excepted).
 */
export async function startLocalS3(options: {
  directory: string;
  bucketName: string;
  /** More buckets (the allow-listed sources of a local registry). */
  otherBuckets?: readonly string[];
  credentials: { accessKeyId: string; secretAccessKey: string };
  port?: number;
}): Promise<LocalS3> {
  patchDesForS3rver();
  patchDelimiterListingForS3rver();
  patchLongNamesForS3rver();
  mkdirSync(options.directory, { recursive: true });
  const S3rver = require('@20minutes/s3rver') as S3rverConstructor;
  const account = (
    require('@20minutes/s3rver/lib/models/account') as {
      DUMMY_ACCOUNT: S3rverAccount;
    }
  ).DUMMY_ACCOUNT;
  const S3Error =
    require('@20minutes/s3rver/lib/models/error') as S3ErrorConstructor;
  account.revokeAccessKey('S3RVER');
  account.createKeyPair(
    options.credentials.accessKeyId,
    options.credentials.secretAccessKey
  );
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    configureBuckets: [
      { name: options.bucketName, configs: [CORS] },
      ...(options.otherBuckets ?? [])
        .filter((name) => name !== options.bucketName)
        .map((name) => ({ name, configs: [] })),
    ],
  });
  // First in the chain, before any route runs. The mechanisms are the ones
  // s3rver's authentication recognises, which then verifies the signature.
  server.middleware.unshift(async (ctx, next) => {
    const signed =
      'authorization' in ctx.headers ||
      'X-Amz-Algorithm' in ctx.query ||
      'Signature' in ctx.query;
    if (!signed && ctx.method !== 'OPTIONS') {
      throw new S3Error('AccessDenied', 'Access Denied');
    }
    return next();
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: () => server.close(),
  };
}
