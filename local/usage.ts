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

export const BOOTSTRAP_ADMIN_USAGE = `usage: npm run bootstrap-admin -- --stage <stage> [--region <region>] [--expires-in-hours <hours>] [--revoke]

Creates the bootstrap admin of a deployed stage (or gives it a new token)
with your own AWS credentials. The token goes to the stage's secret
(stagegate-<stage>/bootstrap-admin-token), never to the terminal, and
expires on its own; only its SHA-256 hash is stored in the table. Create
the real admins with it, then revoke it (docs/deployment.md).

  --stage <stage>            the stage (infra/stages.ts), e.g. prod
  --region <region>          the stage's AWS region (default: your AWS profile's)
  --expires-in-hours <hours> the token's lifetime, at most 168 (default 24)
  --revoke                   end the token and overwrite the secret
  -h, --help                 show this help
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

/**
 * `npm run bootstrap-admin`. The token is never an argument: command
 * lines end up in shell histories and process lists.
 */
export function bootstrapAdminArguments(argv: readonly string[]):
  | { readonly kind: 'help' }
  | {
      readonly kind: 'run';
      readonly stage: string;
      readonly region: string | undefined;
      readonly hours: number | undefined;
      readonly revoke: boolean;
    } {
  const values = parse('npm run bootstrap-admin', argv, {
    stage: { type: 'string' },
    region: { type: 'string' },
    'expires-in-hours': { type: 'string' },
    revoke: { type: 'boolean' },
  });
  if (values === undefined) return { kind: 'help' };
  const text = (key: string) => {
    const value = values[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const stage = text('stage');
  if (stage === undefined) {
    throw new UsageError(
      'missing --stage <stage> (a stage of infra/stages.ts); npm run bootstrap-admin -- --help shows what it takes'
    );
  }
  const hoursText = text('expires-in-hours');
  const hours = hoursText === undefined ? undefined : Number(hoursText);
  if (hours !== undefined && !Number.isFinite(hours)) {
    throw new UsageError(
      `--expires-in-hours takes a number of hours, not '${hoursText}'; npm run bootstrap-admin -- --help shows what it takes`
    );
  }
  return {
    kind: 'run',
    stage,
    region: text('region'),
    hours,
    revoke: values.revoke === true,
  };
}
