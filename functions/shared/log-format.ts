/**
 * The local stack's terminal rendering of the JSON log entries the
 * functions write on Lambda: the same entries, one readable line each.
 *
 *   12:01:02 200 GET /api/2.0/mlflow/registered-models/get 5 ms alice@example.com req=7c9e…
 *   12:01:03 ERROR Unhandled error operation=getRegisteredModel req=1f0a…
 *     Error: connect ECONNREFUSED …
 *       at …
 */

/** The message of the one access entry each API request writes. */
export const ACCESS_MESSAGE = 'request';

/** The fields of an access entry (besides the logger's own). */
export interface AccessFields {
  /** API Gateway's route key, e.g. `GET /api/2.0/mlflow/registered-models/get`. */
  readonly route: string;
  readonly method: string;
  /** The request path, without its query string. */
  readonly path: string;
  readonly status: number;
  readonly latencyMs: number;
  /** The caller the authorizer resolved; absent when unauthenticated. */
  readonly principalId?: string;
  readonly userName?: string;
  /** The `error_code` of an error answer. */
  readonly errorCode?: string;
}

/**
 * The logger's own keys, which the terminal line leaves out (time, level,
 * message and request id are shown in their own places).
 */
const OWN_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'xray_trace_id',
  'correlation_id',
  'error',
]);

/** One log entry (Powertools' attributes) as a terminal line. */
export function terminalLine(entry: Readonly<Record<string, unknown>>): string {
  const time = clockTime(entry.timestamp);
  const request =
    typeof entry.correlation_id === 'string'
      ? ` req=${entry.correlation_id}`
      : '';
  if (entry.message === ACCESS_MESSAGE && typeof entry.status === 'number') {
    const access = entry as unknown as AccessFields;
    const who = access.userName ?? access.principalId ?? '-';
    const code = access.errorCode ? ` ${access.errorCode}` : '';
    return `${time} ${access.status} ${access.method} ${access.path} ${access.latencyMs} ms ${who}${code}${request}`;
  }
  const keys = Object.entries(entry)
    .filter(([key]) => !OWN_KEYS.has(key))
    .map(([key, value]) => ` ${key}=${inline(value)}`)
    .join('');
  const error = errorLines(entry.error);
  return `${time} ${String(entry.level ?? 'INFO')} ${String(entry.message ?? '')}${keys}${request}${error}`;
}

function clockTime(timestamp: unknown): string {
  const date = new Date(typeof timestamp === 'string' ? timestamp : Date.now());
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((part) => String(part).padStart(2, '0'))
    .join(':');
}

function inline(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** An error's name, message and stack, indented under the line. */
function errorLines(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const { name, message, stack } = error as {
    name?: unknown;
    message?: unknown;
    stack?: unknown;
  };
  const text =
    typeof stack === 'string' ? stack : `${String(name)}: ${String(message)}`;
  return `\n${text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')}`;
}
