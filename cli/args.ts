/**
 * The command line: every command, its arguments and options (the help text
 * is generated from the same table), and the parser that maps argv onto it
 * with `node:util` parseArgs in strict mode.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Shown as `--name <value>` in the help. */
  readonly value?: string;
  readonly help: string;
}

export interface CommandSpec {
  /** `models list` → ['models', 'list']. */
  readonly words: readonly string[];
  readonly args: readonly string[];
  /** Positional arguments after `args` that may be left out, in order. */
  readonly optionalArgs?: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly summary: string;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  profile: {
    type: 'string',
    value: 'name',
    help: 'use this profile instead of the default one',
  },
  host: {
    type: 'string',
    value: 'url',
    help: 'registry URL (overrides env and profiles)',
  },
  token: {
    type: 'string',
    value: 'token',
    help: 'token (overrides env and profiles)',
  },
  json: { type: 'boolean', help: 'print the API objects as JSON' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
} as const satisfies Record<string, OptionSpec>;

const comment = {
  type: 'string',
  value: 'text',
  help: 'comment recorded with the activity',
} as const;
const archive = {
  type: 'boolean',
  help: 'archive the versions now in the target stage (Staging, Production)',
} as const;
const requestId = {
  type: 'string',
  value: 'id',
  help: 'decide this request (default: the oldest open one for the stage)',
} as const;

export const COMMANDS: readonly CommandSpec[] = [
  {
    words: ['profile', 'set'],
    args: ['name'],
    options: {
      host: { type: 'string', value: 'url', help: "the registry's URL" },
      token: {
        type: 'string',
        value: 'token',
        help: "the token ('-' reads it from stdin, keeping it out of shell history)",
      },
    },
    summary: 'save a registry as a profile (the first one becomes the default)',
  },
  {
    words: ['profile', 'list'],
    args: [],
    options: {},
    summary: 'list profiles (tokens masked)',
  },
  {
    words: ['profile', 'use'],
    args: ['name'],
    options: {},
    summary: 'make a profile the default',
  },
  {
    words: ['profile', 'remove'],
    args: ['name'],
    options: {},
    summary: 'delete a profile',
  },
  {
    words: ['register'],
    args: ['model', 'dir'],
    options: {
      description: {
        type: 'string',
        value: 'text',
        help: "the new version's description",
      },
      'wait-timeout': {
        type: 'string',
        value: 'seconds',
        help: 'how long to wait for READY (default 600; 0 does not wait)',
      },
    },
    summary:
      'upload a directory as a new version of a model (created if missing) and wait until it is READY',
  },
  {
    words: ['download'],
    args: ['uri', 'dir'],
    options: {},
    summary:
      "download a version's files, verifying checksums (models:/<name>/<version|stage|latest>, models:/<name>@<alias>)",
  },
  {
    words: ['models', 'list'],
    args: [],
    options: {
      filter: {
        type: 'string',
        value: 'filter',
        help: 'MLflow search filter, e.g. "name LIKE \'fraud%\'"',
      },
    },
    summary: 'list registered models (all pages)',
  },
  {
    words: ['versions', 'list'],
    args: ['model'],
    options: {},
    summary: "list a model's versions, newest first",
  },
  {
    words: ['transition'],
    args: ['model', 'version', 'stage'],
    options: { archive, comment },
    summary: 'move a version to a stage (None, Staging, Production, Archived)',
  },
  {
    words: ['request'],
    args: ['model', 'version', 'stage'],
    options: { comment },
    summary: 'ask for a stage transition',
  },
  {
    words: ['approve'],
    args: ['model', 'version', 'stage'],
    options: { archive, comment, 'request-id': requestId },
    summary:
      'approve a transition request, and wait (up to 30 s) until it is applied',
  },
  {
    words: ['reject'],
    args: ['model', 'version', 'stage'],
    options: { comment, 'request-id': requestId },
    summary: 'reject a transition request',
  },
  {
    words: ['requests'],
    args: ['model'],
    optionalArgs: ['version'],
    options: {},
    summary:
      "list a model's open transition requests (one version's, or every version's)",
  },
  {
    words: ['inbox'],
    args: [],
    options: {},
    summary:
      'list the open transition requests you may approve, on every model, newest first',
  },
];

export interface GlobalOptions {
  readonly profile: string | undefined;
  readonly host: string | undefined;
  readonly token: string | undefined;
  readonly json: boolean;
}

export type Invocation =
  | { readonly kind: 'help'; readonly topic: string | undefined }
  | {
      readonly kind: 'command';
      readonly command: CommandSpec;
      /**
       * Positional arguments by the names in `command.args` (and those of
       * `command.optionalArgs` that were given).
       */
      readonly args: Readonly<Record<string, string>>;
      /** The command's own options (for `profile set`, its --host/--token too). */
      readonly options: Readonly<Record<string, string | boolean | undefined>>;
      readonly global: GlobalOptions;
    };

export function commandName(command: CommandSpec): string {
  return command.words.join(' ');
}

/** Long options that take a value, to tell their values from command words. */
const VALUE_OPTIONS = new Set(
  [GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options)].flatMap((options) =>
    Object.entries(options)
      .filter(([, spec]) => spec.type === 'string')
      .map(([name]) => `--${name}`)
  )
);

/** Indexes of the positionals in argv, skipping option values. */
function positionalIndexes(argv: readonly string[]): number[] {
  const indexes: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      for (let j = i + 1; j < argv.length; j++) indexes.push(j);
      break;
    }
    if (arg.startsWith('--')) {
      if (!arg.includes('=') && VALUE_OPTIONS.has(arg)) i++;
    } else if (!(arg.startsWith('-') && arg.length > 1)) {
      indexes.push(i);
    }
  }
  return indexes;
}

/**
 * Maps argv (without `node` and the script) onto a command.
 * @throws UsageError for an unknown command or option, or wrong arguments.
 */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const positions = positionalIndexes(argv);
  const first = positions[0] === undefined ? undefined : argv[positions[0]];
  const second = positions[1] === undefined ? undefined : argv[positions[1]];
  const asksHelp = argv.some((a) => a === '--help' || a === '-h');
  if (first === undefined) {
    if (asksHelp) return { kind: 'help', topic: undefined };
    throw new UsageError('no command given');
  }
  if (first === 'help') {
    const topic = positions
      .slice(1)
      .map((i) => argv[i])
      .join(' ');
    return { kind: 'help', topic: topic || undefined };
  }
  const command =
    COMMANDS.find(
      (c) =>
        c.words.length === 2 && c.words[0] === first && c.words[1] === second
    ) ?? COMMANDS.find((c) => c.words.length === 1 && c.words[0] === first);
  if (!command) {
    const group = COMMANDS.filter((c) => c.words[0] === first);
    if (group.length > 0) {
      if (asksHelp) return { kind: 'help', topic: first };
      throw new UsageError(
        second === undefined
          ? `${first} needs a subcommand: ${group.map((c) => c.words[1]).join(', ')}`
          : `unknown command '${first} ${second}'; ${first} takes ${group.map((c) => c.words[1]).join(', ')}`,
        first
      );
    }
    throw new UsageError(`unknown command '${first}'`);
  }
  if (asksHelp) return { kind: 'help', topic: commandName(command) };
  const wordIndexes = new Set(positions.slice(0, command.words.length));
  const rest = argv.filter((_, i) => !wordIndexes.has(i));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, commandName(command));
  }
  const { values, positionals } = parsed;
  const names = [...command.args, ...(command.optionalArgs ?? [])];
  if (
    positionals.length < command.args.length ||
    positionals.length > names.length
  ) {
    throw new UsageError(
      positionals.length < command.args.length
        ? `missing ${command.args
            .slice(positionals.length)
            .map((a) => `<${a}>`)
            .join(' ')}`
        : `unexpected argument '${positionals[names.length]}'`,
      commandName(command)
    );
  }
  const args = Object.fromEntries(
    positionals.map((value, i) => [names[i] as string, value as string])
  );
  const text = (key: string) => {
    const value = values[key];
    return typeof value === 'string' ? value : undefined;
  };
  // `profile set` uses --host/--token for the profile it saves, not as the
  // registry to call.
  const ownsHostToken = 'host' in command.options;
  return {
    kind: 'command',
    command,
    args,
    options: Object.fromEntries(
      Object.keys(command.options).map((key) => [
        key,
        values[key] as string | boolean | undefined,
      ])
    ),
    global: {
      profile: text('profile'),
      host: ownsHostToken ? undefined : text('host'),
      token: ownsHostToken ? undefined : text('token'),
      json: values.json === true,
    },
  };
}

/** `<model> [version]`: the positional arguments as usage shows them. */
function usageArgs(command: CommandSpec): string {
  return [
    ...command.args.map((a) => `<${a}>`),
    ...(command.optionalArgs ?? []).map((a) => `[${a}]`),
  ].join(' ');
}

function optionLine(name: string, spec: OptionSpec): string {
  const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` <${spec.value}>` : ''}`;
  return `  ${flag.padEnd(28)} ${spec.help}`;
}

/** Usage of one command, a group (`models`), or everything. */
export function helpText(topic?: string): string {
  const matching = topic
    ? COMMANDS.filter((c) => commandName(c) === topic || c.words[0] === topic)
    : [];
  if (matching.length === 1 && matching[0]) {
    const command = matching[0];
    const lines = [
      `usage: ${['stagegate', commandName(command), usageArgs(command), '[options]'].filter(Boolean).join(' ')}`,
      '',
      command.summary,
      '',
      'options:',
      ...Object.entries(command.options).map(([n, s]) => optionLine(n, s)),
      ...Object.entries(GLOBAL_OPTIONS)
        .filter(([n]) => !(n in command.options))
        .map(([n, s]) => optionLine(n, s)),
    ];
    return `${lines.join('\n')}\n`;
  }
  const listed = matching.length > 0 ? matching : COMMANDS;
  const lines = [
    'usage: stagegate <command> [options]',
    '',
    'commands:',
    ...listed.map((c) => {
      const usage = `${commandName(c)} ${usageArgs(c)}`;
      return `  ${usage.padEnd(36)} ${c.summary}`;
    }),
    '',
    'options for every command:',
    ...Object.entries(GLOBAL_OPTIONS).map(([n, s]) => optionLine(n, s)),
    '',
    'The registry: --host/--token, else STAGEGATE_HOST/STAGEGATE_TOKEN',
    '(DATABRICKS_HOST/DATABRICKS_TOKEN as a fallback), else --profile, else the',
    'default profile in $STAGEGATE_CONFIG or ~/.stagegate/config.json. A token',
    'is only sent to the host it was configured with (--token excepted).',
    '',
    'exit codes: 0 ok, 1 the registry or a check failed, 2 usage or configuration',
  ];
  return `${lines.join('\n')}\n`;
}
