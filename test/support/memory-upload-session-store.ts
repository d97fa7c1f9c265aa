import { UploadNotUsableError } from '#domain/artifacts/errors.ts';
import type {
  ManifestEntry,
  UploadSession,
  UploadSessionStatus,
} from '#domain/artifacts/upload-session.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import type { UploadConsumption } from '#ports/model-registry-store.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * {@link UploadSessionStore} in memory with the DynamoDB adapter's
 * conditions; `consume` is the version transaction's third item (plug it
 * into `MemoryModelRegistryStore.uploads`).
 */
export class MemoryUploadSessionStore implements UploadSessionStore {
  readonly #sessions = new Map<string, Mutable<UploadSession>>();

  async create(session: UploadSession): Promise<void> {
    if (this.#sessions.has(session.id)) throw new Error('exists');
    this.#sessions.set(session.id, structuredClone({ ...session }));
  }

  async get(id: string): Promise<UploadSession | undefined> {
    const session = this.#sessions.get(id);
    return session ? structuredClone(session) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<readonly UploadSession[]> {
    return ids.flatMap((id) => {
      const session = this.#sessions.get(id);
      return session ? [structuredClone(session)] : [];
    });
  }

  async renew(id: string, urlsExpireAt: number, now: number): Promise<boolean> {
    const session = this.#sessions.get(id);
    if (session?.status !== 'OPEN') return false;
    session.urlsExpireAt = urlsExpireAt;
    session.renewedAt = now;
    return true;
  }

  async complete(
    id: string,
    manifest: readonly ManifestEntry[],
    now: number
  ): Promise<boolean> {
    const session = this.#sessions.get(id);
    if (session?.status !== 'OPEN') return false;
    session.status = 'COMPLETED';
    session.manifest = structuredClone([...manifest]);
    session.files = manifest.map((e) => ({ path: e.path, size: e.size }));
    session.completedAt = now;
    return true;
  }

  async expire(id: string, now: number): Promise<boolean> {
    const session = this.#sessions.get(id);
    if (session?.status !== 'OPEN' && session?.status !== 'COMPLETED') {
      return false;
    }
    session.status = 'EXPIRED';
    session.cleanedAt = now;
    return true;
  }

  async markCleaned(id: string, now: number): Promise<void> {
    const session = this.#sessions.get(id);
    if (session) session.cleanedAt = now;
  }

  async listForCleanup(
    status: Exclude<UploadSessionStatus, 'EXPIRED'>,
    options: { before?: number | undefined; limit: number }
  ): Promise<readonly UploadSession[]> {
    const at = (s: UploadSession) =>
      status === 'CONSUMED'
        ? (s.consumedAt ?? 0)
        : (s.renewedAt ?? s.createdAt);
    return [...this.#sessions.values()]
      .filter((s) => s.status === status && s.cleanedAt === undefined)
      .filter((s) => options.before === undefined || at(s) < options.before)
      .sort((a, b) => at(a) - at(b))
      .slice(0, options.limit)
      .map((s) => structuredClone(s));
  }

  /** COMPLETED → CONSUMED under the transaction's condition. */
  consume(consumption: UploadConsumption, version: ModelVersion): void {
    const session = this.#sessions.get(consumption.uploadId);
    if (
      session?.status !== 'COMPLETED' ||
      (consumption.ownerId !== undefined &&
        session.ownerId !== consumption.ownerId)
    ) {
      throw new UploadNotUsableError(
        `Upload ${consumption.uploadId} cannot be registered.`
      );
    }
    session.status = 'CONSUMED';
    session.consumedAt = consumption.now;
    session.consumedBy = { modelId: version.modelId, version: version.version };
  }
}
