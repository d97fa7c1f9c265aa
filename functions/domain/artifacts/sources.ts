import type {
  ArtifactSourceReader,
  SourceObject,
} from '#ports/artifact-store.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';
import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
} from '../errors.ts';
import type { Principal } from '../principal.ts';
import { MANIFEST_FILE, managedUploadId } from './paths.ts';
import {
  DBFS_TEMPORARY_ROOT,
  dbfsCopyId,
  dbfsKey,
  parseDbfsPath,
} from './temporary-copies.ts';
import {
  type ManifestEntry,
  type SessionOrigin,
  uploadLimits,
  validateAnnouncedFiles,
} from './upload-session.ts';

/** An admin-allow-listed place versions may be registered from by path. */
export interface S3Prefix {
  readonly bucket: string;
  /** Key prefix, '' (the whole bucket) or ending in `/`. */
  readonly prefix: string;
}

/** S3 bucket names (the rules S3 enforces on new buckets). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket/key` (or `s3a://`, as Spark writes it), split. */
export function parseS3Uri(
  uri: string
): { bucket: string; key: string } | undefined {
  const match = /^s3a?:\/\/([^/]+)(?:\/(.*))?$/i.exec(uri);
  if (!match?.[1]) return undefined;
  return { bucket: match[1], key: match[2] ?? '' };
}

/** How an empty allow-list is written (a variable must be set). */
export const NO_EXTERNAL_SOURCES = 'none';

/**
 * The allow-list from its configuration (`EXTERNAL_SOURCE_PREFIXES`):
 * `s3://bucket/prefix/` entries separated by commas or whitespace, or
 * `none`. A prefix is a directory: `s3://b/models` allows
 * `s3://b/models/…`, not `s3://b/models-old/…`.
 * @throws Error (at cold start) for an entry that is not such a URI.
 */
export function parseExternalSourcePrefixes(
  raw: string | undefined
): readonly S3Prefix[] {
  const entries = (raw ?? '')
    .split(/[\s,]+/)
    .filter((entry) => entry !== '' && entry !== NO_EXTERNAL_SOURCES);
  return entries.map((entry) => {
    const parsed = /^s3:\/\//i.test(entry) ? parseS3Uri(entry) : undefined;
    if (
      !parsed ||
      !BUCKET_NAME.test(parsed.bucket) ||
      parsed.key.split('/').some((s, i, all) => s === '' && i < all.length - 1)
    ) {
      throw new Error(
        `EXTERNAL_SOURCE_PREFIXES: '${entry}' is not an s3://<bucket>/<prefix>/ URI.`
      );
    }
    const prefix = parsed.key.replace(/\/?$/, '/');
    return { bucket: parsed.bucket, prefix: prefix === '/' ? '' : prefix };
  });
}

/** What a version's source is, for the registry's artifacts. */
export type SourceKind =
  /** A completed upload session of this registry. */
  | { readonly kind: 'upload'; readonly uploadId: string }
  /** A temporary copy in the caller's DBFS area (seed 002's MLflow flow). */
  | { readonly kind: 'dbfs'; readonly relative: string }
  /** A directory of an allow-listed bucket prefix. */
  | { readonly kind: 's3'; readonly bucket: string; readonly keyPrefix: string }
  /** Another version of this registry (`models:/…`), resolved at creation. */
  | { readonly kind: 'model-reference' }
  /** Anything else: recorded as given, as MLflow records it. */
  | { readonly kind: 'unmanaged' };

/**
 * Classifies a version's (validated) source.
 *
 * With an allow-list configured, every `s3://` source must be inside it:
 * the registry then copies the files into its managed prefix, so that
 * loading works through its signed download URIs, and a source it cannot
 * read is refused at once instead of failing later. Without one, `s3://`
 * sources are recorded as given (MLflow's behaviour).
 * @throws InvalidParameterValueError for an `s3://` source outside a
 *   configured allow-list, or a DBFS source naming the area itself.
 */
export function classifySource(
  source: string,
  config: {
    readonly bucketName?: string | undefined;
    readonly externalPrefixes?: readonly S3Prefix[] | undefined;
  }
): SourceKind {
  const uploadId = managedUploadId(source, config.bucketName);
  if (uploadId !== undefined) return { kind: 'upload', uploadId };
  if (/^models:/i.test(source)) return { kind: 'model-reference' };
  if (/^dbfs:/i.test(source) && config.bucketName !== undefined) {
    let relative: string;
    try {
      relative = parseDbfsPath(source);
    } catch (error) {
      // Other DBFS places (a Databricks workspace's own) are only recorded.
      if (error instanceof ResourceDoesNotExistError) {
        return { kind: 'unmanaged' };
      }
      throw error;
    }
    if (relative === '') {
      throw new InvalidParameterValueError(
        `Invalid model version source '${source}': it names the temporary area itself; name the copy's directory (dbfs:${DBFS_TEMPORARY_ROOT}/<run_id>/<model>).`
      );
    }
    return { kind: 'dbfs', relative };
  }
  const s3 = parseS3Uri(source);
  const prefixes = config.externalPrefixes ?? [];
  if (!s3 || prefixes.length === 0) return { kind: 'unmanaged' };
  const keyPrefix = s3.key.replace(/\/*$/, '/');
  const allowed = prefixes.find(
    (entry) =>
      entry.bucket === s3.bucket &&
      keyPrefix.startsWith(entry.prefix) &&
      keyPrefix !== '/'
  );
  if (!allowed) {
    throw new InvalidParameterValueError(
      `Invalid model version source '${source}': this registry registers s3:// sources only from ${prefixes
        .map((entry) => `s3://${entry.bucket}/${entry.prefix}`)
        .join(
          ', '
        )} (the admin's allow-list); upload the files instead (the stagegate CLI or MLflow's remote-registry copy).`
    );
  }
  return { kind: 's3', bucket: s3.bucket, keyPrefix };
}

/** What making a session from a source needs. */
export interface SourceSessionDependencies {
  readonly uploads: Pick<UploadSessionStore, 'get' | 'create'>;
  readonly sources: ArtifactSourceReader;
  readonly now: () => number;
  readonly newId: () => string;
}

/** Where the files of a source are, and how its session is named. */
export interface SourceToSnapshot {
  /** The source as the caller wrote it, for messages. */
  readonly source: string;
  readonly origin: SessionOrigin;
  /** SHA-256s the objects do not carry (another version's manifest). */
  readonly sha256s?: ReadonlyMap<string, string> | undefined;
}

/**
 * The session a version is registered from when its source is a temporary
 * copy, an allow-listed prefix or another version: the files found there
 * (each object's size, ETag, version and SHA-256 as S3 answers them, so the
 * copy is pinned to exactly what was found), stored COMPLETED, for the
 * version's transaction to consume. A temporary copy has one session (its
 * id follows from the copy), so a retried creation finds it again.
 * @returns the session's id.
 * @throws ResourceDoesNotExistError when there are no files at the source
 *   (or the copy was cleaned up); InvalidParameterValueError for too many
 *   files, bad paths, or a copy already registered.
 */
export async function sessionFromSource(
  deps: SourceSessionDependencies,
  caller: Principal,
  modelId: string,
  target: SourceToSnapshot
): Promise<string> {
  const id =
    target.origin.kind === 'dbfs'
      ? dbfsCopyId(caller.id, dbfsTopDirectory(target.source))
      : deps.newId();
  if (target.origin.kind === 'dbfs') {
    const existing = await reusableSession(deps, caller, modelId, id, target);
    if (existing) return existing;
  }
  const manifest = await manifestOf(deps.sources, target);
  const now = deps.now();
  try {
    await deps.uploads.create({
      id,
      ownerId: caller.id,
      ownerName: caller.userName,
      modelId,
      status: 'COMPLETED',
      createdAt: now,
      urlsExpireAt: now,
      files: manifest.map((entry) => ({ path: entry.path, size: entry.size })),
      manifest,
      completedAt: now,
      origin: target.origin,
    });
  } catch (error) {
    // A concurrent creation from the same temporary copy made it first.
    const again =
      target.origin.kind === 'dbfs'
        ? await reusableSession(deps, caller, modelId, id, target)
        : undefined;
    if (again) return again;
    throw error;
  }
  return id;
}

/** The copy's own directory: the first segment below the area. */
function dbfsTopDirectory(source: string): string {
  return parseDbfsPath(source).split('/')[0] ?? '';
}

/**
 * The session already made from this temporary copy, when this creation
 * may use it (a retry); refusals for one that was used or removed.
 */
async function reusableSession(
  deps: SourceSessionDependencies,
  caller: Principal,
  modelId: string,
  id: string,
  target: SourceToSnapshot
): Promise<string | undefined> {
  const session = await deps.uploads.get(id);
  if (!session) return undefined;
  if (session.status === 'CONSUMED') {
    throw new InvalidParameterValueError(
      `The temporary copy at ${target.source} was already registered (as version ${session.consumedBy?.version ?? '?'}); copy the files again to register another version (MLflow's register_model does on every call).`
    );
  }
  if (session.status === 'EXPIRED') {
    throw new ResourceDoesNotExistError(
      `The temporary copy at ${target.source} was removed by the cleanup; copy the files again.`
    );
  }
  if (
    session.ownerId !== caller.id ||
    session.modelId !== modelId ||
    session.origin?.keyPrefix !== target.origin.keyPrefix
  ) {
    throw new InvalidParameterValueError(
      `The temporary copy at ${target.source} is being registered elsewhere; one temporary copy makes one version.`
    );
  }
  return session.id;
}

async function manifestOf(
  sources: ArtifactSourceReader,
  target: SourceToSnapshot
): Promise<ManifestEntry[]> {
  const { origin } = target;
  const objects = await sources.snapshot(
    {
      bucket: origin.kind === 's3' ? origin.bucket : undefined,
      prefix: origin.keyPrefix,
    },
    uploadLimits.maxFiles + 2
  );
  const files = objects
    .map((object) => ({
      object,
      path: object.key.slice(origin.keyPrefix.length),
    }))
    .filter(
      ({ path }) =>
        path !== '' &&
        !(origin.kind === 'model-version' && path === MANIFEST_FILE)
    );
  if (files.length === 0) {
    throw new ResourceDoesNotExistError(
      `Model version source '${target.source}' does not resolve: there are no files at it.`
    );
  }
  if (files.length > uploadLimits.maxFiles) {
    throw new InvalidParameterValueError(
      `Model version source '${target.source}' holds more than ${uploadLimits.maxFiles} files, the most one version takes.`
    );
  }
  validateAnnouncedFiles(
    files.map(({ path, object }) => ({ path, size: object.size }))
  );
  return files.map(({ path, object }) => entryOf(path, object, target));
}

function entryOf(
  path: string,
  object: SourceObject,
  target: SourceToSnapshot
): ManifestEntry {
  return {
    path,
    size: object.size,
    sha256: object.sha256 ?? target.sha256s?.get(path) ?? '',
    etag: object.etag,
    ...(object.versionId ? { versionId: object.versionId } : {}),
  };
}

/** The origin of a session made from a DBFS source, in the caller's view. */
export function dbfsOrigin(
  caller: Pick<Principal, 'id'>,
  relative: string
): SessionOrigin {
  return { kind: 'dbfs', keyPrefix: dbfsKey(caller.id, `${relative}/`) };
}
