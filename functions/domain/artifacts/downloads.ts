import type { ArtifactTransfers } from '#ports/artifact-store.ts';
import type {
  ModelRecord,
  ModelRegistryStore,
} from '#ports/model-registry-store.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';
import {
  InvalidParameterValueError,
  InvalidStateError,
  ModelVersionDoesNotExistError,
  RegisteredModelDoesNotExistError,
  ResourceDoesNotExistError,
} from '../errors.ts';
import type { ModelVersion } from '../model-version.ts';
import { parseVersionNumber } from '../model-version.ts';
import { validateModelName } from '../registered-model.ts';
import {
  MANIFEST_FILE,
  managedKey,
  managedRoot,
  managedUploadId,
  parseManagedArtifactPath,
} from './paths.ts';

/** What the download use cases need. */
export interface ArtifactReadDependencies {
  readonly store: Pick<
    ModelRegistryStore,
    'getModelRecordById' | 'getModelRecordByName' | 'getVersion'
  >;
  readonly uploads: Pick<UploadSessionStore, 'get'>;
  readonly transfers: Pick<
    ArtifactTransfers,
    'presignGet' | 'headObject' | 'listDirectory'
  >;
  readonly bucketName: string;
  /** Lifetime of presigned GET URLs (`ARTIFACT_URL_TTL_SECONDS`). */
  readonly urlTtlSeconds: number;
}

/** Entries one listing answers (an upload holds at most 1000 files). */
const LISTING_LIMIT = 10_000;

/**
 * The upload a version was registered from, when the registry manages its
 * files; malformed managed sources (never accepted at creation) count as
 * unmanaged here rather than failing reads.
 */
export function managedUploadOf(
  version: Pick<ModelVersion, 'source' | 'uploadId'>,
  bucketName: string | undefined
): string | undefined {
  if (version.uploadId !== undefined) return version.uploadId;
  try {
    return managedUploadId(version.source, bucketName);
  } catch {
    return undefined;
  }
}

/**
 * Only READY versions are downloadable: a pending one has no files yet, a
 * failed one never will.
 * @throws InvalidStateError
 */
export function assertDownloadable(
  modelName: string,
  version: Pick<ModelVersion, 'version' | 'status'>
): void {
  if (version.status !== 'READY') {
    throw new InvalidStateError(
      `Version ${version.version} of registered model '${modelName}' is ${version.status}; its artifacts can be downloaded once it is READY.`
    );
  }
}

interface ManagedVersion {
  readonly record: ModelRecord;
  readonly version: ModelVersion;
  readonly uploadId: string;
}

async function managedVersion(
  deps: ArtifactReadDependencies,
  record: ModelRecord,
  number: number
): Promise<ManagedVersion> {
  const version = await deps.store.getVersion(record.model.id, number);
  if (!version) {
    throw new ModelVersionDoesNotExistError(record.model.name, number);
  }
  const uploadId = managedUploadOf(version, deps.bucketName);
  if (uploadId === undefined) {
    throw new ResourceDoesNotExistError(
      `Version ${number} of registered model '${record.model.name}' has no registry-managed artifacts; its source is ${version.source}.`
    );
  }
  assertDownloadable(record.model.name, version);
  return { record, version, uploadId };
}

async function locate(deps: ArtifactReadDependencies, path: string) {
  const location = parseManagedArtifactPath(path);
  const record = await deps.store.getModelRecordById(location.modelId, {
    stages: false,
  });
  if (!record) {
    throw new ResourceDoesNotExistError(`No artifacts at '${path}'.`);
  }
  await managedVersion(deps, record, location.version);
  return location;
}

export interface ArtifactListEntry {
  /** Relative to the listed directory (MLflow's basename). */
  readonly path: string;
  readonly isDir: boolean;
  readonly fileSize?: number | undefined;
}

/**
 * MLflow's `GET /mlflow-artifacts/artifacts?path=<dir>`: the entries one
 * level under a directory of a READY managed version, by name.
 */
export async function listManagedArtifacts(
  deps: ArtifactReadDependencies,
  path: string
): Promise<readonly ArtifactListEntry[]> {
  const location = await locate(deps, path);
  const root = managedRoot(location.modelId, location.version);
  const prefix = `${root}/${location.relative === '' ? '' : `${location.relative}/`}`;
  const listing = await deps.transfers.listDirectory(prefix, LISTING_LIMIT);
  const entries: ArtifactListEntry[] = [
    ...listing.directories.map((directory) => ({
      path: directory.slice(prefix.length).replace(/\/$/, ''),
      isDir: true,
    })),
    ...listing.files.map((file) => ({
      path: file.key.slice(prefix.length),
      isDir: false,
      fileSize: file.size,
    })),
  ];
  return entries.sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0
  );
}

/**
 * MLflow's `GET /mlflow-artifacts/artifacts/<path>`: a presigned GET of one
 * file of a READY managed version (answered as a redirect).
 * @throws ResourceDoesNotExistError for a path that is not a file.
 */
export async function managedArtifactUrl(
  deps: ArtifactReadDependencies,
  path: string
): Promise<{ url: string; expiresAt: number }> {
  const location = await locate(deps, path);
  const key = managedKey(location.modelId, location.version, location.relative);
  const head =
    location.relative === '' ? undefined : await deps.transfers.headObject(key);
  if (!head) {
    throw new ResourceDoesNotExistError(`No artifact file at '${path}'.`);
  }
  return deps.transfers.presignGet(key, deps.urlTtlSeconds);
}

export interface VersionFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly url: string;
}

/**
 * Every file of a READY managed version with its SHA-256 and a presigned
 * GET, in one answer (the CLI's download).
 */
export async function managedVersionFiles(
  deps: ArtifactReadDependencies,
  input: { name: string; version: string | number }
): Promise<{ files: readonly VersionFile[]; expiresAt: number }> {
  const number = parseVersionNumber(input.version);
  const record = await deps.store.getModelRecordByName(
    validateModelName(input.name)
  );
  if (!record) throw new RegisteredModelDoesNotExistError(input.name);
  const { uploadId } = await managedVersion(deps, record, number);
  const session = await deps.uploads.get(uploadId);
  if (!session?.manifest) {
    throw new ResourceDoesNotExistError(
      `The manifest of version ${number} of registered model '${input.name}' is missing.`
    );
  }
  const files = await Promise.all(
    session.manifest.map(async (entry) => {
      const presigned = await deps.transfers.presignGet(
        managedKey(record.model.id, number, entry.path),
        deps.urlTtlSeconds
      );
      return {
        path: entry.path,
        size: entry.size,
        sha256: entry.sha256,
        url: presigned.url,
        expiresAt: presigned.expiresAt,
      };
    })
  );
  return {
    files: files.map(({ expiresAt: _, ...file }) => file),
    expiresAt: Math.min(...files.map((file) => file.expiresAt)),
  };
}

/** Entries one `list-artifacts` page answers. */
export const LIST_ARTIFACTS_PAGE = 1000;

/**
 * A path below a version's root as Databricks' download routes take it:
 * '' (or `/`) is the root; no empty, `.` or `..` segments.
 * @throws InvalidParameterValueError
 */
function versionRelativePath(path: string | undefined): string {
  const trimmed = (path ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f\\]/.test(trimmed)) {
    throw new InvalidParameterValueError(
      `Invalid artifact path '${trimmed}': control characters and backslashes are not allowed.`
    );
  }
  if (trimmed.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidParameterValueError(
      `Invalid artifact path '${trimmed}': empty, '.' and '..' segments are not allowed.`
    );
  }
  return trimmed;
}

async function readyManagedVersion(
  deps: ArtifactReadDependencies,
  input: { name: string; version: string | number }
): Promise<ManagedVersion> {
  const number = parseVersionNumber(input.version);
  const record = await deps.store.getModelRecordByName(
    validateModelName(input.name)
  );
  if (!record) throw new RegisteredModelDoesNotExistError(input.name);
  return managedVersion(deps, record, number);
}

export interface VersionArtifact {
  /** Relative to the version's root, as the client sends it back. */
  readonly path: string;
  readonly isDir: boolean;
  readonly fileSize?: number | undefined;
}

/**
 * Databricks' `GET model-versions/list-artifacts`: one level of a READY
 * managed version's files, paths relative to the version's root (a nested
 * entry is `dir/sub/file`), `file_size` on every file; a path naming a
 * file answers that file alone. Pages of {@link LIST_ARTIFACTS_PAGE} in
 * path order, continued after the page token's path. The registry's
 * manifest is not listed (it is not the model's).
 * @throws ResourceDoesNotExistError for a path with nothing at it.
 */
export async function listVersionArtifacts(
  deps: ArtifactReadDependencies,
  input: {
    name: string;
    version: string | number;
    path?: string | undefined;
    pageToken?: string | undefined;
    /** @default LIST_ARTIFACTS_PAGE */
    pageSize?: number | undefined;
  }
): Promise<{ files: readonly VersionArtifact[]; nextPageToken?: string }> {
  const { record, version } = await readyManagedVersion(deps, input);
  const relative = versionRelativePath(input.path);
  const root = managedRoot(record.model.id, version.version);
  if (relative !== '') {
    const head = await deps.transfers.headObject(`${root}/${relative}`);
    if (head) {
      return { files: [{ path: relative, isDir: false, fileSize: head.size }] };
    }
  }
  const prefix = `${root}/${relative === '' ? '' : `${relative}/`}`;
  const listing = await deps.transfers.listDirectory(prefix, LISTING_LIMIT);
  const under = (name: string) =>
    relative === '' ? name : `${relative}/${name}`;
  const entries: VersionArtifact[] = [
    ...listing.directories.map((directory) => ({
      path: under(directory.slice(prefix.length).replace(/\/$/, '')),
      isDir: true,
    })),
    ...listing.files
      .filter(
        (file) => !(relative === '' && file.key === `${root}/${MANIFEST_FILE}`)
      )
      .map((file) => ({
        path: under(file.key.slice(prefix.length)),
        isDir: false,
        fileSize: file.size,
      })),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (entries.length === 0 && relative !== '') {
    throw new ResourceDoesNotExistError(
      `No artifact at '${relative}' in version ${version.version} of registered model '${record.model.name}'.`
    );
  }
  const after = pageTokenPath(input.pageToken);
  const rest =
    after === undefined ? entries : entries.filter((e) => e.path > after);
  const page = rest.slice(0, input.pageSize ?? LIST_ARTIFACTS_PAGE);
  const last = page.at(-1);
  return rest.length > page.length && last
    ? {
        files: page,
        nextPageToken: Buffer.from(last.path).toString('base64url'),
      }
    : { files: page };
}

function pageTokenPath(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  const path = Buffer.from(token, 'base64url').toString('utf8');
  if (Buffer.from(path).toString('base64url') !== token) {
    throw new InvalidParameterValueError('Invalid page_token.');
  }
  return path;
}

/**
 * Databricks' `GET model-versions/get-signed-download-uri`: a short-lived
 * presigned GET of one file of a READY managed version (ranged GETs work;
 * no header is needed with it).
 * @throws ResourceDoesNotExistError for a path that is not a file.
 */
export async function signedDownloadUri(
  deps: ArtifactReadDependencies,
  input: { name: string; version: string | number; path?: string | undefined }
): Promise<{ signedUri: string; expiresAt: number }> {
  const { record, version } = await readyManagedVersion(deps, input);
  const relative = versionRelativePath(input.path);
  const key = managedKey(record.model.id, version.version, relative);
  const head =
    relative === '' ? undefined : await deps.transfers.headObject(key);
  if (!head) {
    throw new ResourceDoesNotExistError(
      `No artifact file at '${relative}' in version ${version.version} of registered model '${record.model.name}'.`
    );
  }
  const presigned = await deps.transfers.presignGet(key, deps.urlTtlSeconds);
  return { signedUri: presigned.url, expiresAt: presigned.expiresAt };
}
