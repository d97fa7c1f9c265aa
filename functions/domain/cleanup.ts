import type { ArtifactStore } from '#ports/artifact-store.ts';

/** Where clients upload before a version is registered (seed 002's prefix). */
export const TEMPORARY_PREFIX = 'tmp-external-source/';

export interface CleanupOptions {
  /** Temporary objects older than this are abandoned and removed. */
  readonly maxAgeMs: number;
  /** Bound on the objects one run looks at, so a run stays short. */
  readonly maxObjectsPerRun: number;
}

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
  deps: { artifacts: ArtifactStore; now: () => number },
  options: CleanupOptions
): Promise<CleanupReport> {
  const objects = await deps.artifacts.listObjects(TEMPORARY_PREFIX, {
    limit: options.maxObjectsPerRun,
  });
  const cutoff = deps.now() - options.maxAgeMs;
  const abandoned = objects.filter((object) => object.lastModified < cutoff);
  await deps.artifacts.deleteObjects(abandoned.map((object) => object.key));
  return {
    examined: objects.length,
    deleted: abandoned.length,
    deletedBytes: abandoned.reduce((sum, object) => sum + object.size, 0),
  };
}
