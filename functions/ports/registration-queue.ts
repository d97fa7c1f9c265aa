/**
 * One asynchronous registration: copy the files of upload `uploadId` into
 * the managed prefix of the version, verify them and set its status.
 */
export interface RegistrationJob {
  readonly modelId: string;
  readonly version: number;
  readonly uploadId: string;
  /**
   * Index of the manifest entry to continue from: a registration that runs
   * short of time hands the rest to a new invocation.
   * @default 0
   */
  readonly startAt?: number | undefined;
  /**
   * Which attempt this is (see `RegistrationLease`); a continuation keeps
   * its attempt's number.
   * @default 1
   */
  readonly attempt?: number | undefined;
}

/**
 * Starts registrations without waiting for them. On AWS an asynchronous
 * Lambda invocation (`InvocationType: Event`); locally the same handler,
 * run in-process on the next tick by the local runtime's Lambda endpoint.
 */
export interface RegistrationQueue {
  /** Resolves once the job is accepted, not when it ran. */
  enqueue(job: RegistrationJob): Promise<void>;
}
