/**
 * Every failure the CLI reports, and the one place that turns a failure into
 * the line a user reads and the exit code a script sees: 0 ok, 1 the
 * registry, storage or a check refused, 2 the command line or the config
 * needs fixing, 130 interrupted (Ctrl-C, as shells report SIGINT).
 */
import {
  ApiError,
  ConnectionError,
  ProtocolError,
  StorageError,
} from './client.ts';
import type { Target } from './config.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Wrong arguments: exit 2 with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose usage to show, e.g. `models list`. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** No registry configured, an unknown profile, an unreadable config: exit 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A failure whose message is already meant for the user: exit 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/**
 * Ctrl-C: the command stopped what it was doing and tidied up; the message
 * says what was left (nothing registered, partial files removed, …).
 */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

/** `download` of a version whose files are not (yet, or ever) there. */
export class VersionNotReadyError extends CliError {
  constructor(model: string, version: string, status: string, message = '') {
    super(
      `version ${version} of ${model} is ${status}${message ? `: ${message}` : ''}`
    );
  }
}

/** A downloaded file whose bytes do not hash to the registry's checksum. */
export class ChecksumMismatchError extends CliError {
  constructor(path: string, expected: string, actual: string) {
    super(
      `checksum mismatch for ${path}: expected sha256 ${expected}, got ${actual}; the file was removed`
    );
  }
}

/** The user-facing message and exit code of any failure. */
export function describeError(error: unknown): {
  message: string;
  exitCode: number;
} {
  if (error instanceof InterruptedError) {
    return { message: error.message, exitCode: EXIT_INTERRUPTED };
  }
  if (error instanceof UsageError || error instanceof ConfigError) {
    return { message: error.message, exitCode: EXIT_USAGE };
  }
  if (error instanceof ApiError) {
    return { message: describeApiError(error), exitCode: EXIT_FAILURE };
  }
  if (error instanceof ConnectionError) {
    return {
      message: `cannot reach ${error.target.host} (${error.reason}): is the registry running, and is the host right? (host from ${error.target.hostSource})`,
      exitCode: EXIT_FAILURE,
    };
  }
  if (
    error instanceof CliError ||
    error instanceof StorageError ||
    error instanceof ProtocolError
  ) {
    return { message: error.message, exitCode: EXIT_FAILURE };
  }
  if (isSystemError(error)) {
    return { message: systemErrorText(error), exitCode: EXIT_FAILURE };
  }
  // A bug: say what it was, briefly (--debug shows the stack).
  const text =
    error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    message: `unexpected error: ${firstLine(text)} (run again with --debug for details)`,
    exitCode: EXIT_FAILURE,
  };
}

/**
 * The detail `--debug` adds: the error's stack and every cause in its
 * chain. Never a token: the client's errors do not carry one.
 */
export function debugDetail(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    lines.push(
      depth === 0 ? '' : 'caused by:',
      current instanceof Error
        ? (current.stack ?? `${current.name}: ${current.message}`)
        : String(current)
    );
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.filter((line) => line !== '').join('\n');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

type SystemError = Error & { code: string; path?: string; syscall?: string };

function isSystemError(error: unknown): error is SystemError {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    /^E[A-Z]+$/.test((error as unknown as { code: string }).code)
  );
}

/** A file-system error as a sentence: `cannot write /x/y: permission denied`. */
function systemErrorText(error: SystemError): string {
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'not permitted',
    ENOENT: 'no such file or directory',
    ENOSPC: 'no space left on the device',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    EEXIST: 'it exists',
    EROFS: 'the file system is read-only',
  };
  const reason = reasons[error.code] ?? error.code;
  return error.path
    ? `${error.path}: ${reason}`
    : `${firstLine(error.message)}`;
}

/** "Model Version (name=…, version=…) not found" (MLflow's wording). */
const MISSING_VERSION = /^model version\b.*\b(not found|does not exist)/i;
/**
 * "Registered Model with name=… not found" (MLflow) or "Registered model
 * with id … not found." (by id).
 */
const MISSING_MODEL = /^registered model with (name=|id ).*\bnot found/i;

function describeApiError(error: ApiError): string {
  const { host } = error.target;
  const { model, version } = error.subject;
  if (error.status === 401) {
    return `the registry at ${host} refused the token (${tokenOrigin(error.target)}): ${renewHint(error.target)}`;
  }
  if (error.status === 403) {
    return `permission denied on ${host}: ${error.message}`;
  }
  if (error.errorCode === 'RESOURCE_DOES_NOT_EXIST' && model !== undefined) {
    // The code says only that something is missing: the model, the version,
    // or what the command addressed on it (an open transition request, a
    // tag, an alias, a file). The registry's message names which, in
    // MLflow's wording for the model and the version.
    if (version !== undefined && MISSING_VERSION.test(error.message)) {
      return `version ${version} of registered model ${model} does not exist on ${host}`;
    }
    if (MISSING_MODEL.test(error.message)) {
      return `registered model ${model} does not exist on ${host}`;
    }
    return `${error.message} (on ${host})`;
  }
  if (
    error.errorCode === 'ENDPOINT_NOT_FOUND' ||
    (error.status === 404 && error.errorCode.startsWith('HTTP_'))
  ) {
    return `the registry at ${host} does not serve ${error.method} ${error.path}: is it a stagegate registry of a version that has this feature?`;
  }
  if (error.status >= 500) {
    return `the registry at ${host} failed (${error.status} ${error.errorCode}): ${error.message}`;
  }
  return `${error.message} (${error.errorCode} from ${host})`;
}

function tokenOrigin(target: Target): string {
  return target.tokenSource.startsWith('profile ')
    ? target.tokenSource
    : `token from ${target.tokenSource}`;
}

function renewHint(target: Target): string {
  const create =
    'create a new one (POST /api/2.0/token/create with a working token, or ask an admin)';
  if (target.tokenSource.startsWith('profile ') && target.profile) {
    return `${create} and save it with stagegate profile set ${target.profile} --token <new token>`;
  }
  if (target.tokenSource === '--token')
    return `${create} and pass it with --token`;
  return `${create} and set ${target.tokenSource}`;
}
