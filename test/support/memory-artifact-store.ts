import type { ArtifactObject, ArtifactStore } from '#ports/artifact-store.ts';

/**
 * {@link ArtifactStore} in memory: listing in UTF-8 key order after an
 * optional key (as S3 lists), and deletes of missing keys ignored. `deletedKeys` records every key a caller
 * asked to delete, in order, for assertions.
 */
export class MemoryArtifactStore implements ArtifactStore {
  readonly #objects = new Map<string, ArtifactObject>();
  readonly deletedKeys: string[] = [];

  constructor(objects: readonly ArtifactObject[] = []) {
    for (const object of objects) this.#objects.set(object.key, object);
  }

  keys(): string[] {
    return [...this.#objects.keys()].sort((a, b) =>
      Buffer.compare(Buffer.from(a), Buffer.from(b))
    );
  }

  async listObjects(
    prefix: string,
    options: { limit: number; startAfter?: string | undefined }
  ): Promise<readonly ArtifactObject[]> {
    const { startAfter } = options;
    return this.keys()
      .filter((key) => key.startsWith(prefix))
      .filter(
        (key) =>
          startAfter === undefined ||
          Buffer.compare(Buffer.from(key), Buffer.from(startAfter)) > 0
      )
      .slice(0, options.limit)
      .flatMap((key) => {
        const object = this.#objects.get(key);
        return object ? [{ ...object }] : [];
      });
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      this.deletedKeys.push(key);
      this.#objects.delete(key);
    }
  }
}
