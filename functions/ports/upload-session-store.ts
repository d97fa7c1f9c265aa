import type {
  ManifestEntry,
  UploadSession,
  UploadSessionStatus,
} from '#domain/artifacts/upload-session.ts';

/**
 * Persistence of upload sessions. Status changes are conditional writes on
 * the status they leave, so a completion, a registration and the cleanup
 * job never both win. Consuming a session happens in the same transaction
 * as the version it registers (`ModelRegistryStore.createVersion`).
 */
export interface UploadSessionStore {
  /** Stores a new OPEN session. */
  create(session: UploadSession): Promise<void>;
  get(id: string): Promise<UploadSession | undefined>;
  /** Sessions by id (missing ones are left out). */
  getMany(ids: readonly string[]): Promise<readonly UploadSession[]>;
  /**
   * Records that an OPEN session's client got fresh URLs (until
   * `urlsExpireAt`) at `now`: the cleanup measures its abandonment from
   * then.
   * @returns false when the session is no longer OPEN.
   */
  renew(id: string, urlsExpireAt: number, now: number): Promise<boolean>;
  /**
   * OPEN → COMPLETED with the manifest.
   * @returns false when the session was no longer OPEN.
   */
  complete(
    id: string,
    manifest: readonly ManifestEntry[],
    now: number
  ): Promise<boolean>;
  /**
   * OPEN or COMPLETED → EXPIRED: never usable again; it leaves the index
   * of sessions to clean and the table drops it later (TTL).
   * @returns false when the session had moved on (e.g. was consumed).
   */
  expire(id: string, now: number): Promise<boolean>;
  /** A CONSUMED session whose temporary copy is gone leaves the index. */
  markCleaned(id: string, now: number): Promise<void>;
  /**
   * Sessions waiting for the cleanup job, oldest first: OPEN and COMPLETED
   * by creation time (or the last renewal), CONSUMED by consumption time (only those not
   * cleaned yet), up to `before` (exclusive) when given.
   */
  listForCleanup(
    status: Exclude<UploadSessionStatus, 'EXPIRED'>,
    options: { before?: number | undefined; limit: number }
  ): Promise<readonly UploadSession[]>;
}
