import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
} from '../errors.ts';

/**
 * Keys of the artifact bucket (docs/architecture.md, decision 5). Clients upload
 * to `tmp-external-source/<upload-id>/<path>` through presigned URLs; the
 * registration copies each file to `mlflow-registry/<model-id>/<version>/<path>`
 * and writes the manifest next to them. Every key is built here.
 */
/** Where clients upload before a version is registered (seed 002's prefix). */
export const TEMPORARY_PREFIX = 'tmp-external-source/';
export const MANAGED_PREFIX = 'mlflow-registry/';

/** Written next to a version's files: paths, sizes and SHA-256 sums. */
export const MANIFEST_FILE = '.stagegate-manifest.json';

/** `stagegate-upload:<upload id>`, the source that names an upload session. */
export const UPLOAD_SOURCE_SCHEME = 'stagegate-upload';

/** Upload ids are 128 random bits in lowercase hex. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;
/** Model ids as `newId` makes them (hex), with room for other stable ids. */
const MODEL_ID = /^[0-9A-Za-z_-]{1,64}$/;

/** S3 keys are at most 1024 bytes; a file path is bounded the same way. */
export const MAX_PATH_BYTES = 1024;

export function isUploadId(value: string): boolean {
  return UPLOAD_ID.test(value);
}

export function uploadSource(uploadId: string): string {
  return `${UPLOAD_SOURCE_SCHEME}:${uploadId}`;
}

export function temporaryPrefix(uploadId: string): string {
  return `${TEMPORARY_PREFIX}${uploadId}/`;
}

export function temporaryKey(uploadId: string, path: string): string {
  return `${temporaryPrefix(uploadId)}${path}`;
}

/**
 * Where a session's file is: under the session's origin (a temporary copy,
 * an allow-listed bucket's prefix, another version's managed files), or
 * under the upload's own temporary prefix.
 */
export function sessionKey(
  session: { readonly id: string; readonly origin?: SessionOrigin | undefined },
  path: string
): string {
  return session.origin
    ? `${session.origin.keyPrefix}${path}`
    : temporaryKey(session.id, path);
}

/**
 * The bucket a session's files are in, when not the artifact bucket (an
 * allow-listed one).
 */
export function sessionBucket(session: {
  readonly origin?: SessionOrigin | undefined;
}): string | undefined {
  return session.origin?.kind === 's3' ? session.origin.bucket : undefined;
}

/**
 * What the cleanup removes once a session's version is registered: its
 * temporary copy (an upload's prefix, or the DBFS copy's directory), and
 * nothing for files the registry does not own (another bucket, another
 * version's managed files).
 */
export function sessionCleanupPrefix(session: {
  readonly id: string;
  readonly origin?: SessionOrigin | undefined;
}): string | undefined {
  if (!session.origin) return temporaryPrefix(session.id);
  return session.origin.kind === 'dbfs' ? session.origin.keyPrefix : undefined;
}

/**
 * Where a session's files are when the registry did not hand out their
 * upload URLs itself, but found them at the version's `source`:
 * - `dbfs`: a principal's temporary copy in the artifact bucket's temporary
 *   area (the DBFS API, seed 002's MLflow flow); removed by the cleanup
 *   once its version is registered, like an upload;
 * - `s3`: an admin-allow-listed prefix of another bucket; never removed;
 * - `model-version`: another version's managed files (a `models:/`
 *   source); never removed.
 */
export type SessionOrigin =
  | { readonly kind: 'dbfs'; readonly keyPrefix: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly keyPrefix: string;
    }
  | { readonly kind: 'model-version'; readonly keyPrefix: string };

/** `mlflow-registry/<model-id>/<version>`, without a trailing slash. */
export function managedRoot(modelId: string, version: number): string {
  return `${MANAGED_PREFIX}${modelId}/${version}`;
}

export function managedKey(
  modelId: string,
  version: number,
  path: string
): string {
  return `${managedRoot(modelId, version)}/${path}`;
}

/** What `get-download-uri` answers for a managed version. */
export function managedDownloadUri(modelId: string, version: number): string {
  return `mlflow-artifacts:/${managedRoot(modelId, version)}`;
}

/**
 * The upload session a version's source names, when the registry manages
 * it: `stagegate-upload:<id>`, or the session's temporary prefix in the
 * artifact bucket (`s3://<bucket>/tmp-external-source/<id>`, with or
 * without a trailing slash). Any other source (`runs:/…`, another bucket,
 * another prefix) is not managed and is recorded as given.
 * @throws InvalidParameterValueError for a managed scheme with a malformed id.
 */
export function managedUploadId(
  source: string,
  bucketName: string | undefined
): string | undefined {
  const prefix = `${UPLOAD_SOURCE_SCHEME}:`;
  if (source.toLowerCase().startsWith(prefix)) {
    const id = source.slice(prefix.length);
    if (!isUploadId(id)) {
      throw new InvalidParameterValueError(
        `Invalid model version source: '${source}'. An upload source is '${prefix}<upload_id>' with the id that uploads/create answered.`
      );
    }
    return id;
  }
  if (bucketName === undefined) return undefined;
  const temporary = `s3://${bucketName}/${TEMPORARY_PREFIX}`;
  if (!source.startsWith(temporary)) return undefined;
  const id = source.slice(temporary.length).replace(/\/$/, '');
  if (!isUploadId(id)) {
    throw new InvalidParameterValueError(
      `Invalid model version source: '${source}'. Register an upload as s3://${bucketName}/${TEMPORARY_PREFIX}<upload_id> (the whole upload, not a file in it).`
    );
  }
  return id;
}

/**
 * A file's path inside an upload, as the client names it: relative, `/`
 * separated, at most 1024 UTF-8 bytes, without empty, `.` or `..`
 * segments, backslashes or control characters (so it maps to one S3 key
 * and one file on any client's disk). The manifest's own name is reserved
 * at the root.
 * @throws InvalidParameterValueError naming the path and the rule.
 */
export function validateArtifactPath(path: string): string {
  const refuse = (why: string) => {
    throw new InvalidParameterValueError(
      `Invalid file path '${path.length > 200 ? `${path.slice(0, 200)}…` : path}': ${why}.`
    );
  };
  if (path === '') refuse('it is empty');
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) {
    refuse(`it is longer than ${MAX_PATH_BYTES} bytes`);
  }
  if (path.startsWith('/')) refuse('it must be relative (no leading /)');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f\\]/.test(path)) {
    refuse('it contains a control character or a backslash');
  }
  for (const segment of path.split('/')) {
    if (segment === '') refuse('it has an empty segment (// or a trailing /)');
    if (segment === '.' || segment === '..') {
      refuse(`'${segment}' segments are not allowed`);
    }
  }
  if (path === MANIFEST_FILE) refuse(`${MANIFEST_FILE} is reserved`);
  return path;
}

/** Where an MLflow artifact path points inside the managed prefix. */
export interface ManagedArtifactLocation {
  readonly modelId: string;
  readonly version: number;
  /** Path under the version's root, without slashes at either end; '' is the root. */
  readonly relative: string;
}

/**
 * Parses a path of the MLflow artifact endpoints
 * (`mlflow-registry/<model-id>/<version>[/<path>]`). The route check and
 * the operation both use this one parser, so what is authorized is what is
 * served.
 * @throws InvalidParameterValueError for traversal or malformed paths;
 *   ResourceDoesNotExistError for paths outside a version's root.
 */
export function parseManagedArtifactPath(
  path: string
): ManagedArtifactLocation {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f\\]/.test(path)) {
    throw new InvalidParameterValueError(`Invalid artifact path '${path}'.`);
  }
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  const segments = trimmed === '' ? [] : trimmed.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidParameterValueError(
      `Invalid artifact path '${path}': empty, '.' and '..' segments are not allowed.`
    );
  }
  const [root, modelId, version, ...rest] = segments;
  if (
    `${root}/` !== MANAGED_PREFIX ||
    modelId === undefined ||
    !MODEL_ID.test(modelId) ||
    version === undefined ||
    !/^[1-9]\d{0,15}$/.test(version)
  ) {
    throw new ResourceDoesNotExistError(
      `No artifacts at '${path}': artifact paths are ${MANAGED_PREFIX}<model id>/<version>/… as get-download-uri answers them.`
    );
  }
  return { modelId, version: Number(version), relative: rest.join('/') };
}
