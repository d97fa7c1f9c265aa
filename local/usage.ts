import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/**
 * The command lines of `npm start` and `npm run bootstrap-admin`: `--help`
 * prints what each takes and exits 0; anything they do not take is a
 * usage error (exit 2) that says where the help is, instead of a server
 * started with the argument ignored or Node's raw parser message.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT_USAGE = 2;

/** The local runtime's settings, as `npm start -- --help` lists them. */
export const START_SETTINGS: readonly (readonly [string, string, string])[] = [
  ['STAGEGATE_PORT', '8080', 'API port on 127.0.0.1 (0: a free one)'],
  [
    'STAGEGATE_DATA_DIR',
    '.stagegate',
    'where the data lives (one running registry per directory)',
  ],
  [
    'STAGEGATE_ADMIN_TOKEN',
    'generated',
    "the bootstrap admin's token; generated on first start, printed once and saved to <data dir>/admin-token",
  ],
  [
    'AUTHORIZER_CACHE_TTL_SECONDS',
    '10',
    'how long a resolved token is trusted without reading the table',
  ],
  [
    'ARTIFACT_URL_TTL_SECONDS',
    '900',
    'lifetime of presigned upload and download URLs',
  ],
  [
    'CLEANUP_MAX_AGE_HOURS',
    '24',
    'age after which an unused upload is removed',
  ],
  [
    'FAILED_RETENTION_HOURS',
    '72',
    'how long the files of a failed registration are kept',
  ],
  [
    'REGISTRATION_DEADLINE_HOURS',
    '6',
    'a registration not finished by then fails',
  ],
  [
    'REGISTRATION_LEASE_SECONDS',
    '300',
    'a registration silent this long is restarted by the watchdog',
  ],
  [
    'REGISTRATION_MAX_ATTEMPTS',
    '5',
    'attempts per registration before it fails',
  ],
  [
    'STAGEGATE_WATCHDOG_INTERVAL_SECONDS',
    '60',
    'how often the registration watchdog runs',
  ],
  [
    'STAGEGATE_ALLOW_HTTP_WEBHOOKS',
    'true',
    'allow http and private-address webhook URLs',
  ],
  [
    'STAGEGATE_DEBUG_ENDPOINTS',
    'unset',
    'serve the /__stagegate/ counters and job triggers',
  ],
  [
    'POWERTOOLS_LOG_LEVEL',
    'INFO',
    'handler log level (INFO: one access line per request)',
  ],
  [
    'STAGEGATE_LOG_FORMAT',
    'terminal or json',
    'log lines as readable lines or as JSON',
  ],
];

function table(rows: readonly (readonly [string, string, string])[]): string {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows
    .map(
      ([name, fallback, meaning]) =>
        `  ${name.padEnd(width)}  ${meaning} (default: ${fallback})`
    )
    .join('\n');
}

export const START_USAGE = `usage: npm start [-- --help]

Runs the whole registry on this machine (DynamoDB Local, an S3 server, the
Step Functions engine and the API) on 127.0.0.1, with the data in a
directory of its own. Ctrl-C stops it; a restart keeps every model.
It needs Java 17 or newer (java and javac).

Settings are environment variables:
${table(START_SETTINGS)}

Example: STAGEGATE_PORT=9090 STAGEGATE_DATA_DIR=/tmp/registry npm start
`;

export const BOOTSTRAP_ADMIN_USAGE = `usage: npm run bootstrap-admin -- --table <name> [--region <region>] [--token <dapi…>]

Creates the bootstrap admin of a deployed registry (or gives it a new
token) with your own AWS credentials, and prints its token once. Only the
token's SHA-256 hash is stored.

  --table <name>      the registry's table: the RegistryTableName output of
                      the Stagegate-Stateful stack
  --region <region>   the stack's AWS region (default: your AWS profile's)
  --token <dapi…>     use this token instead of generating one
  -h, --help          show this help
`;

/**
 * Parses a command line that takes only the given options.
 * @returns the options' values, or undefined when help was asked for.
 * @throws UsageError for anything else it does not take.
 */
function parse(
  command: string,
  argv: readonly string[],
  options: ParseArgsOptionsConfig
): Record<string, unknown> | undefined {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    const quoted = /'([^']+)'/.exec((error as Error).message)?.[1] ?? '';
    const what =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${quoted}`
        : code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
          ? `unexpected argument ${quoted}`
          : (error as Error).message;
    throw new UsageError(`${what}; ${command} -- --help shows what it takes`);
  }
  return values.help === true ? undefined : values;
}

/** `npm start`: only `--help`; settings are environment variables. */
export function startArguments(argv: readonly string[]): 'help' | 'start' {
  return parse('npm start', argv, {}) === undefined ? 'help' : 'start';
}

/** `npm run bootstrap-admin`. */
export function bootstrapAdminArguments(argv: readonly string[]):
  | { readonly kind: 'help' }
  | {
      readonly kind: 'run';
      readonly table: string;
      readonly region: string | undefined;
      readonly token: string | undefined;
    } {
  const values = parse('npm run bootstrap-admin', argv, {
    table: { type: 'string' },
    region: { type: 'string' },
    token: { type: 'string' },
  });
  if (values === undefined) return { kind: 'help' };
  const text = (key: string) => {
    const value = values[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const table = text('table');
  if (table === undefined) {
    throw new UsageError(
      'missing --table <name> (the RegistryTableName output of Stagegate-Stateful); npm run bootstrap-admin -- --help shows what it takes'
    );
  }
  return { kind: 'run', table, region: text('region'), token: text('token') };
}
