/**
 * Which attempt of a registration may act on it, and until when. Every
 * attempt renews its lease while it copies; a lease that runs out means the
 * attempt is gone (a crashed process, a lost invocation), and the watchdog
 * hands the registration to a new attempt.
 */
export interface RegistrationLease {
  /** 1 for the invocation `model-versions/create` starts, +1 per re-drive. */
  readonly attempt: number;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/**
 * A version in PENDING_REGISTRATION, as the registry tracks its copy. It
 * exists from the transaction that creates the version until the one that
 * ends its registration (READY or FAILED_REGISTRATION), and goes with the
 * model.
 */
export interface PendingRegistration {
  readonly modelId: string;
  readonly version: number;
  readonly uploadId: string;
  /** When the version was created (epoch milliseconds). */
  readonly createdAt: number;
  readonly lease: RegistrationLease;
  /**
   * Manifest entries before this index are copied and verified: a new
   * attempt resumes here.
   */
  readonly startAt: number;
}

/**
 * The leases of pending registrations (created with the version by
 * `ModelRegistryStore.createVersion`, removed by the status change that
 * ends the registration). Every write is conditional on the attempt, so a
 * superseded attempt can neither renew nor end a registration.
 */
export interface RegistrationLeaseStore {
  /**
   * Extends the lease of `lease.attempt` to `expiresAt`, and records
   * `startAt` when given.
   * @returns false when the registration ended or another attempt holds it.
   */
  renew(
    modelId: string,
    version: number,
    lease: { readonly attempt: number; readonly expiresAt: number },
    startAt?: number
  ): Promise<boolean>;
  /**
   * Registrations whose lease ran out before `before` (epoch milliseconds;
   * `Infinity` for all), earliest expiry first, at most `limit`.
   */
  listExpired(
    before: number,
    limit: number
  ): Promise<readonly PendingRegistration[]>;
  /**
   * Takes a registration over for attempt `attempt + 1` with a lease until
   * `expiresAt`, only if its lease is still the one listed.
   * @returns the new lease, or undefined when it moved meanwhile.
   */
  claim(
    registration: PendingRegistration,
    expiresAt: number
  ): Promise<RegistrationLease | undefined>;
  /** Forgets a registration whose version is gone or no longer pending. */
  remove(registration: PendingRegistration): Promise<void>;
}
