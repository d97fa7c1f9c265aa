/** An object in the artifact bucket, as listed. */
export interface ArtifactObject {
  readonly key: string;
  readonly size: number;
  /** Epoch milliseconds. */
  readonly lastModified: number;
}

/** The artifact bucket, as the registry uses it. No bytes pass through it. */
export interface ArtifactStore {
  /**
   * Objects under a prefix in key order, at most `limit` of them, starting
   * after the key `startAfter` when given.
   */
  listObjects(
    prefix: string,
    options: { limit: number; startAfter?: string | undefined }
  ): Promise<readonly ArtifactObject[]>;
  /** Deletes the keys (batched); deleting a missing key is not an error. */
  deleteObjects(keys: readonly string[]): Promise<void>;
}
