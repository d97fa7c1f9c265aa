/**
 * A problem the person starting the runtime can fix (Java missing, port
 * busy, data directory in use): printed as one line, exit code 1.
 */
export class LocalRuntimeError extends Error {
  override readonly name = 'LocalRuntimeError';
}
