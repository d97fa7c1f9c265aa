/**
 * The registry's own CloudWatch metrics (Powertools EMF): the namespace,
 * and the names the CDK app alarms on and charts, so the functions that
 * emit a metric and the alarm that watches it cannot drift apart. No
 * Powertools import here: the CDK app reads it.
 */
export const METRICS_NAMESPACE = 'stagegate';

/** The `service` dimension every metric carries (Powertools' default). */
export const METRICS_SERVICE = 'stagegate';

export const metricNames = {
  /** API calls handled (every group). */
  requests: 'Requests',
  /** API answers with an error, by `ErrorCode`. */
  errors: 'Errors',
  /** Stage changes applied, by `Trigger` (DIRECT, APPROVED_REQUEST). */
  transitions: 'Transitions',
  /** Decisions on transition requests, by `Decision`. */
  transitionDecisions: 'TransitionDecisions',
  /** From a version's creation to READY, milliseconds. */
  registrationTime: 'RegistrationTime',
  /**
   * Versions that ended FAILED_REGISTRATION: a copy that failed, a
   * registration out of attempts or past its deadline.
   */
  failedRegistrations: 'FailedRegistrations',
  /** Registrations the watchdog handed to a new attempt. */
  registrationsRedriven: 'RegistrationsRedriven',
  /**
   * Pending transition requests whose execution was gone: re-armed with a
   * fresh one, or expired (the scheduled job's reconciliation).
   */
  requestsReconciled: 'RequestsReconciled',
  /** Items the scheduled cleanup could not handle this run (retried next run). */
  cleanupFailures: 'CleanupFailures',
} as const;
