import { createHash } from 'node:crypto';
import type { ArtifactTransfers } from '#ports/artifact-store.ts';
import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import { rootGrants } from '../access.ts';
import { allows, authorize, type ModelResource } from '../authorization.ts';
import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
} from '../errors.ts';
import type { Principal } from '../principal.ts';
import { MAX_PATH_BYTES, TEMPORARY_PREFIX } from './paths.ts';

/**
 * The DBFS area where the MLflow client leaves a model's temporary copy
 * before it registers it in a remote registry (seed 002;
 * `reference/mlflow-remote-registry.md`). The DBFS API of this registry
 * serves this directory and nothing else.
 */
export const DBFS_TEMPORARY_ROOT = '/databricks/mlflow/tmp-external-source';
const ROOT_SEGMENTS = DBFS_TEMPORARY_ROOT.split('/').filter(Boolean);
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const UNSAFE = /[\u0000-\u001f\u007f\\]/;

/**
 * Where temporary copies are kept: each principal has its own view of the
 * DBFS area, under `tmp-external-source/dbfs/<principal id>/`, so two
 * principals registering the same run (the client names the copy after
 * the run) never meet, and nobody reads another's copy.
 */
export const DBFS_KEY_PREFIX = `${TEMPORARY_PREFIX}dbfs/`;

/**
 * The path below the DBFS area that `path` names ('' for the area itself),
 * `/`-separated without empty segments: the MLflow client joins the area
 * and the copy's name with a double slash, and `dbfs:` sources carry the
 * scheme. Anything outside the area does not exist here.
 * @throws ResourceDoesNotExistError outside the area, as Databricks answers
 *   a missing path; InvalidParameterValueError for `.`/`..` segments,
 *   backslashes, control characters, or a path longer than S3 keys allow.
 */
export function parseDbfsPath(path: string): string {
  const withoutScheme = path.replace(/^dbfs:/i, '');
  const segments = withoutScheme.split('/').filter((s) => s !== '');
  const inArea = ROOT_SEGMENTS.every((root, i) => segments[i] === root);
  if (!inArea) {
    throw new ResourceDoesNotExistError(
      `No file or directory exists on path ${shown(path)}: this registry keeps only temporary copies, under ${DBFS_TEMPORARY_ROOT}/.`
    );
  }
  const rest = segments.slice(ROOT_SEGMENTS.length);
  for (const segment of rest) {
    if (segment === '.' || segment === '..' || UNSAFE.test(segment)) {
      throw new InvalidParameterValueError(
        `Invalid path ${shown(path)}: '.' and '..' segments, backslashes and control characters are not allowed.`
      );
    }
  }
  const relative = rest.join('/');
  if (Buffer.byteLength(relative, 'utf8') > MAX_PATH_BYTES - 100) {
    throw new InvalidParameterValueError(
      `Invalid path ${shown(path)}: it is longer than ${MAX_PATH_BYTES - 100} bytes below ${DBFS_TEMPORARY_ROOT}.`
    );
  }
  return relative;
}

/** The canonical DBFS path of a place in the area (single slashes). */
export function dbfsPath(relative: string): string {
  return relative === ''
    ? DBFS_TEMPORARY_ROOT
    : `${DBFS_TEMPORARY_ROOT}/${relative}`;
}

/** The key prefix of a principal's view of the area (ends in `/`). */
export function dbfsOwnerPrefix(ownerId: string): string {
  return `${DBFS_KEY_PREFIX}${encodeURIComponent(ownerId)}/`;
}

export function dbfsKey(ownerId: string, relative: string): string {
  return `${dbfsOwnerPrefix(ownerId)}${relative}`;
}

/**
 * The id of the registration session made from a principal's temporary
 * copy: one per copy (the top directory the client created, named after
 * its run), so retrying a registration finds its session, and the cleanup
 * finds the session a copy's objects belong to. 32 hex digits, like an
 * upload's id.
 */
export function dbfsCopyId(ownerId: string, topDirectory: string): string {
  return createHash('sha256')
    .update(`dbfs\n${ownerId}\n${topDirectory}`, 'utf8')
    .digest('hex')
    .slice(0, 32);
}

/**
 * The session whose temporary copy a key of the temporary area belongs to:
 * an upload's id (its first segment), or a DBFS copy's id.
 */
export function temporaryCopyOfKey(key: string): string | undefined {
  if (!key.startsWith(TEMPORARY_PREFIX)) return undefined;
  if (key.startsWith(DBFS_KEY_PREFIX)) {
    const [owner, top] = key.slice(DBFS_KEY_PREFIX.length).split('/');
    if (!owner || !top) return undefined;
    return dbfsCopyId(decodeURIComponent(owner), top);
  }
  const [id] = key.slice(TEMPORARY_PREFIX.length).split('/');
  return id === '' ? undefined : id;
}

/** One entry of `dbfs/list` and `dbfs/get-status` (Databricks' FileInfo). */
export interface DbfsFileInfo {
  /** Absolute DBFS path. */
  readonly path: string;
  readonly isDir: boolean;
  readonly fileSize: number;
  /** Epoch milliseconds (0 for directories). */
  readonly modificationTime: number;
}

/**
 * Remembers, per principal, whether it may add versions to some model,
 * for a minute (a refusal for ten seconds): the answer takes a walk over
 * the models for a principal without registry-wide grants.
 */
export class VersionCreatorCache {
  readonly #entries = new Map<string, { may: boolean; until: number }>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  get(principalId: string): boolean | undefined {
    const entry = this.#entries.get(principalId);
    if (!entry || entry.until <= this.#now()) return undefined;
    return entry.may;
  }

  set(principalId: string, may: boolean): void {
    if (this.#entries.size >= 10_000) this.#entries.clear();
    this.#entries.set(principalId, {
      may,
      until: this.#now() + (may ? 60_000 : 10_000),
    });
  }
}

export interface TemporaryCopyDependencies {
  readonly store: Pick<ModelRegistryStore, 'listModels' | 'getRootGrants'>;
  readonly transfers: Pick<
    ArtifactTransfers,
    'putObject' | 'headObject' | 'listDirectory'
  >;
  readonly versionCreators: VersionCreatorCache;
}

/** Entries one listing answers. */
const LISTING_LIMIT = 10_000;
/** Models read per page while looking for one the caller may add versions to. */
const MODELS_PAGE = 200;

/**
 * `GET /api/2.0/dbfs/list`: a directory's entries (one level), or the
 * file itself when `path` names a file, in the caller's own view.
 * @throws ResourceDoesNotExistError for a path with nothing at it (the area
 *   itself lists empty).
 */
export async function listTemporaryCopy(
  deps: TemporaryCopyDependencies,
  caller: Principal,
  path: string
): Promise<readonly DbfsFileInfo[]> {
  const relative = parseDbfsPath(path);
  if (relative !== '') {
    const file = await fileAt(deps, caller, relative);
    if (file) return [file];
  }
  const prefix = dbfsKey(caller.id, relative === '' ? '' : `${relative}/`);
  const listing = await deps.transfers.listDirectory(prefix, LISTING_LIMIT);
  const entries: DbfsFileInfo[] = [
    ...listing.directories.map((directory) => ({
      path: dbfsPath(joined(relative, directory.slice(prefix.length, -1))),
      isDir: true,
      fileSize: 0,
      modificationTime: 0,
    })),
    ...listing.files.map((file) => ({
      path: dbfsPath(joined(relative, file.key.slice(prefix.length))),
      isDir: false,
      fileSize: file.size,
      modificationTime: file.lastModified,
    })),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (entries.length === 0 && relative !== '') throw notFound(path);
  return entries;
}

/**
 * `GET /api/2.0/dbfs/get-status`: what `path` is, in the caller's view.
 * @throws ResourceDoesNotExistError when there is nothing at it.
 */
export async function temporaryCopyStatus(
  deps: TemporaryCopyDependencies,
  caller: Principal,
  path: string
): Promise<DbfsFileInfo> {
  const relative = parseDbfsPath(path);
  if (relative === '') return directoryInfo(relative);
  const file = await fileAt(deps, caller, relative);
  if (file) return file;
  const listing = await deps.transfers.listDirectory(
    dbfsKey(caller.id, `${relative}/`),
    1
  );
  if (listing.files.length + listing.directories.length > 0) {
    return directoryInfo(relative);
  }
  throw notFound(path);
}

/**
 * `POST /dbfs/<path>` with the file's bytes as the body: writes one file
 * of the caller's temporary copy (replacing one at the same path), with
 * its SHA-256. Only a principal that may add versions to some model (or
 * an admin) makes temporary copies.
 * @throws PermissionDeniedError; InvalidParameterValueError for the area
 *   itself or a malformed path.
 */
export async function writeTemporaryCopyFile(
  deps: TemporaryCopyDependencies,
  caller: Principal,
  path: string,
  body: Uint8Array
): Promise<void> {
  const relative = parseDbfsPath(path);
  if (relative === '') {
    throw new InvalidParameterValueError(
      `${DBFS_TEMPORARY_ROOT} is a directory; write files below it.`
    );
  }
  authorize(caller, 'artifacts:WriteTemporaryCopies', {
    kind: 'temporary-copies',
    model: await modelToAddVersionsTo(deps, caller),
  });
  const sha256 = createHash('sha256').update(body).digest('hex');
  await deps.transfers.putObject(dbfsKey(caller.id, relative), body, sha256);
}

/**
 * A model the caller may add versions to (the first found), or undefined;
 * admins need none.
 */
async function modelToAddVersionsTo(
  deps: TemporaryCopyDependencies,
  caller: Principal
): Promise<ModelResource | undefined> {
  if (caller.isAdmin) return undefined;
  const known = deps.versionCreators.get(caller.id);
  if (known === false) return undefined;
  const root = await rootGrants(deps.store);
  let after: string | undefined;
  for (;;) {
    const page = await deps.store.listModels({
      orderBy: 'name',
      descending: false,
      after,
      limit: MODELS_PAGE,
    });
    for (const record of page.records) {
      const model: ModelResource = {
        named: record.model.name,
        grants: record.grants,
        rootGrants: root,
      };
      if (
        allows(caller, 'registry:CreateModelVersion', { kind: 'model', model })
      ) {
        deps.versionCreators.set(caller.id, true);
        return model;
      }
    }
    after = page.positions.at(-1);
    if (page.exhausted || after === undefined) break;
  }
  deps.versionCreators.set(caller.id, false);
  return undefined;
}

async function fileAt(
  deps: TemporaryCopyDependencies,
  caller: Principal,
  relative: string
): Promise<DbfsFileInfo | undefined> {
  const head = await deps.transfers.headObject(dbfsKey(caller.id, relative));
  return head
    ? {
        path: dbfsPath(relative),
        isDir: false,
        fileSize: head.size,
        modificationTime: head.lastModified ?? 0,
      }
    : undefined;
}

function directoryInfo(relative: string): DbfsFileInfo {
  return {
    path: dbfsPath(relative),
    isDir: true,
    fileSize: 0,
    modificationTime: 0,
  };
}

function joined(directory: string, name: string): string {
  return directory === '' ? name : `${directory}/${name}`;
}

function notFound(path: string): ResourceDoesNotExistError {
  return new ResourceDoesNotExistError(
    `No file or directory exists on path ${shown(path)}.`
  );
}

/** Paths are echoed shortened: they may be long. */
function shown(path: string): string {
  return path.length > 300 ? `${path.slice(0, 300)}…` : path;
}
