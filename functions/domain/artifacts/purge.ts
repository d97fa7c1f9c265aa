import type { ArtifactPurgeStore } from '#ports/artifact-purge-store.ts';
import type { ArtifactStore } from '#ports/artifact-store.ts';
import { MANAGED_PREFIX, managedRoot } from './paths.ts';

/** What the purge of deleted versions' files needs. */
export interface PurgeDependencies {
  readonly purges: ArtifactPurgeStore;
  readonly artifacts: Pick<ArtifactStore, 'listObjects' | 'deleteObjects'>;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

export interface PurgeOptions {
  /**
   * A purge waits this long after its deletion: a registration still
   * copying into the version's prefix when it was deleted has stopped by
   * then (its conditional writes fail, its lease runs out).
   */
  readonly graceMs: number;
  readonly maxPurgesPerRun: number;
  /** Objects deleted per run; a purge left unfinished is taken up next run. */
  readonly maxObjectsPerRun: number;
}

export interface PurgeReport {
  /** Deleted versions (or models) whose managed files are all gone now. */
  readonly purged: number;
  readonly objectsDeleted: number;
  readonly bytesDeleted: number;
}

/**
 * Removes the managed files of deleted versions and models, as recorded by
 * their deletion (`ArtifactPurgeStore`), oldest first, within the run's
 * object budget, and forgets each purge once its prefix is empty. On the
 * versioned bucket a deletion leaves noncurrent versions, which the
 * bucket's lifecycle removes after the stage's retention: until then an
 * operator can still restore a version deleted by mistake.
 */
export async function purgeDeletedArtifacts(
  deps: PurgeDependencies,
  options: PurgeOptions
): Promise<PurgeReport> {
  const purges = await deps.purges.listPurges(
    deps.now() - options.graceMs,
    options.maxPurgesPerRun
  );
  let remaining = options.maxObjectsPerRun;
  let purged = 0;
  let objectsDeleted = 0;
  let bytesDeleted = 0;
  for (const purge of purges) {
    if (remaining <= 0) break;
    const prefix =
      purge.version === undefined
        ? `${MANAGED_PREFIX}${purge.modelId}/`
        : `${managedRoot(purge.modelId, purge.version)}/`;
    const objects = await deps.artifacts.listObjects(prefix, {
      limit: remaining + 1,
    });
    const batch = objects.slice(0, remaining);
    await deps.artifacts.deleteObjects(batch.map((object) => object.key));
    remaining -= batch.length;
    objectsDeleted += batch.length;
    bytesDeleted += batch.reduce((sum, object) => sum + object.size, 0);
    if (objects.length <= batch.length) {
      await deps.purges.finishPurge(purge);
      purged += 1;
    }
  }
  return { purged, objectsDeleted, bytesDeleted };
}
