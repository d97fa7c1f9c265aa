/**
 * The managed files a deletion left behind: a deleted version's
 * (`mlflow-registry/<model id>/<version>/`) or, for a deleted model, every
 * version's (`mlflow-registry/<model id>/`). Recorded by the transaction
 * that deletes them from the registry (`ModelDeletionStore`), so no
 * committed deletion leaves its files for good; the scheduled cleanup
 * removes them and then the purge.
 */
export interface ArtifactPurge {
  readonly modelId: string;
  /** The deleted version; absent when the whole model was deleted. */
  readonly version?: number | undefined;
  /** When the deletion committed (epoch milliseconds). */
  readonly requestedAt: number;
}

export interface ArtifactPurgeStore {
  /** Purges requested before `before` (epoch milliseconds), oldest first, at most `limit`. */
  listPurges(before: number, limit: number): Promise<readonly ArtifactPurge[]>;
  /** Forgets a purge once nothing is left under its prefix. */
  finishPurge(purge: ArtifactPurge): Promise<void>;
}
