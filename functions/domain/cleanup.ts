import type { ArtifactObject, ArtifactStore } from '#ports/artifact-store.ts';
import { TEMPORARY_PREFIX } from './artifacts/paths.ts';
import { temporaryCopyOfKey } from './artifacts/temporary-copies.ts';

export { TEMPORARY_PREFIX };

export interface CleanupOptions {
  /** Temporary objects older than this are abandoned and removed. */
  readonly maxAgeMs: number;
  /** Bound on the objects one run deletes, so a run stays short. */
  readonly maxObjectsPerRun: number;
}

/** Keys listed per call while walking the prefix. */
const LIST_PAGE = 1000;

export interface CleanupReport {
  readonly examined: number;
  readonly deleted: number;
  readonly deletedBytes: number;
}

/**
 * Removes abandoned temporary uploads. Idempotent: a second run over the
 * same objects deletes nothing more; a run that stops half-way is finished
 * by the next one. The bucket's lifecycle rule on the prefix is the backstop.
 */
export async function cleanupTemporaryArtifacts(
  deps: {
    artifacts: ArtifactStore;
    now: () => number;
    /**
     * The uploads (first key segment under the prefix) whose objects stay
     * whatever their age: those the upload-session cleanup still owns.
     * @default none
     */
    retained?: (uploadIds: readonly string[]) => Promise<ReadonlySet<string>>;
  },
  options: CleanupOptions
): Promise<CleanupReport> {
  const cutoff = deps.now() - options.maxAgeMs;
  let examined = 0;
  const abandoned: ArtifactObject[] = [];
  let startAfter: string | undefined;
  // Walk the whole prefix (young uploads must not hide old ones behind
  // them); only the deletions are bounded. The lifecycle rule keeps the
  // prefix itself small.
  while (abandoned.length < options.maxObjectsPerRun) {
    const page = await deps.artifacts.listObjects(TEMPORARY_PREFIX, {
      limit: LIST_PAGE,
      startAfter,
    });
    examined += page.length;
    const old = page.filter((object) => object.lastModified < cutoff);
    const retained = deps.retained
      ? await deps.retained([...new Set(old.map(uploadOf))])
      : new Set<string>();
    for (const object of old) {
      if (retained.has(uploadOf(object))) continue;
      abandoned.push(object);
      if (abandoned.length >= options.maxObjectsPerRun) break;
    }
    startAfter = page.at(-1)?.key;
    if (page.length < LIST_PAGE) break;
  }
  await deps.artifacts.deleteObjects(abandoned.map((object) => object.key));
  return {
    examined,
    deleted: abandoned.length,
    deletedBytes: abandoned.reduce((sum, object) => sum + object.size, 0),
  };
}

/**
 * The session an object belongs to: an upload's id (the first segment
 * under the prefix), or a DBFS copy's id.
 */
function uploadOf(object: ArtifactObject): string {
  return temporaryCopyOfKey(object.key) ?? '';
}
