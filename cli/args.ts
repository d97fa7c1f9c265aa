/**
 * The command line: every command, its arguments and options (the help text
 * is generated from the same table), and the parser that maps argv onto it
 * with `node:util` parseArgs in strict mode, turning its messages into ones
 * that name the command and say where its help is.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Shown as `--name <value>` in the help. */
  readonly value?: string;
  /** The option may be given several times (its values are a list). */
  readonly multiple?: boolean;
  readonly help: string;
}

export interface CommandSpec {
  /** `models list` → ['models', 'list']. */
  readonly words: readonly string[];
  /** Positional arguments; a trailing `?` marks an optional one. */
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly summary: string;
  /** More lines for the command's own help. */
  readonly details?: readonly string[];
  /** The command this one is a shorter name of. */
  readonly aliasOf?: string;
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
    help: 'registry URL, e.g. https://registry.example.com (overrides env and profiles)',
  },
  token: {
    type: 'string',
    value: 'token',
    help: 'token (overrides env and profiles)',
  },
  output: {
    type: 'string',
    short: 'o',
    value: 'table|json',
    help: 'print tables and messages (default), or the API objects as JSON',
  },
  json: { type: 'boolean', help: 'the same as --output json' },
  debug: {
    type: 'boolean',
    help: 'on failure, print the error in full and the API calls made',
  },
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
  help: 'this request (default: the oldest open one for the stage)',
} as const;
const description = {
  type: 'string',
  value: 'text',
  help: 'the description',
} as const;
const force = {
  type: 'boolean',
  help: 'overwrite files that exist',
} as const;
const waitTimeout = {
  type: 'string',
  value: 'seconds',
  help: 'how long to wait for READY (default 600; 0 does not wait)',
} as const;
const root = {
  type: 'boolean',
  help: 'the registry-wide object (root) instead of a model',
} as const;
const grantee = {
  user: { type: 'string', value: 'user name', help: 'a user' },
  group: { type: 'string', value: 'group', help: 'a group' },
  'service-principal': {
    type: 'string',
    value: 'application id',
    help: 'a service principal',
  },
} as const;
const member = {
  user: grantee.user,
  'service-principal': grantee['service-principal'],
} as const;
const webhookSpec = {
  event: {
    type: 'string',
    value: 'event',
    multiple: true,
    help: 'an event to deliver, e.g. MODEL_VERSION_CREATED (repeatable)',
  },
  url: {
    type: 'string',
    value: 'url',
    help: 'where to POST the events (https)',
  },
  secret: {
    type: 'string',
    value: 'secret',
    help: "signs each payload (X-Databricks-Signature); '-' reads it from stdin",
  },
  description,
  status: {
    type: 'string',
    value: 'status',
    help: 'ACTIVE, TEST_MODE or DISABLED',
  },
} as const;

export const COMMANDS: readonly CommandSpec[] = [
  // Profiles
  {
    words: ['profile', 'set'],
    args: ['name'],
    options: {
      host: {
        type: 'string',
        value: 'url',
        help: "the registry's URL, with its scheme (https://…)",
      },
      token: {
        type: 'string',
        value: 'token',
        help: "the token ('-' reads it from stdin, keeping it out of shell history)",
      },
      'no-verify': {
        type: 'boolean',
        help: 'save without checking the token against the registry',
      },
    },
    summary:
      'save a registry as a profile, once the token works (the first one becomes the default)',
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
    words: ['whoami'],
    args: [],
    options: {},
    summary: 'show who the token belongs to, and its groups',
  },
  // Registered models
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
    words: ['models', 'create'],
    args: ['name'],
    options: {
      description,
      tag: {
        type: 'string',
        value: 'key=value',
        multiple: true,
        help: 'a tag (repeatable)',
      },
    },
    summary: 'create a registered model',
  },
  {
    words: ['models', 'show'],
    args: ['name'],
    options: {},
    summary:
      'show a model: its id, your permission level, latest versions, tags, aliases',
  },
  {
    words: ['models', 'update'],
    args: ['name'],
    options: { description },
    summary: "change a model's description",
  },
  {
    words: ['models', 'rename'],
    args: ['name', 'new-name'],
    options: {},
    summary:
      'rename a model (refused while a version is in Staging or Production)',
  },
  {
    words: ['models', 'delete'],
    args: ['name'],
    options: {},
    summary:
      'delete a model with its versions (refused while a version is in Staging or Production)',
  },
  {
    words: ['models', 'tag'],
    args: ['name', 'key', 'value'],
    options: {},
    summary: 'set a tag on a model',
  },
  {
    words: ['models', 'untag'],
    args: ['name', 'key'],
    options: {},
    summary: 'delete a tag of a model',
  },
  {
    words: ['models', 'alias'],
    args: ['name', 'alias', 'version'],
    options: {},
    summary: 'point an alias at a version (models:/<name>@<alias>)',
  },
  {
    words: ['models', 'unalias'],
    args: ['name', 'alias'],
    options: {},
    summary: 'delete an alias',
  },
  {
    words: ['models', 'settings'],
    args: ['name'],
    options: {
      'separation-of-duties': {
        type: 'string',
        value: 'stages',
        help: "stages whose requests their creator may not decide, comma-separated ('' for none)",
      },
      'request-expiry': {
        type: 'string',
        value: 'seconds',
        help: 'how long a transition request waits for a decision',
      },
    },
    summary: "show or change a model's transition-request settings",
  },
  // Model versions
  {
    words: ['versions', 'list'],
    args: ['model'],
    options: {},
    summary: "list a model's versions, newest first",
  },
  {
    words: ['versions', 'show'],
    args: ['model', 'version'],
    options: {},
    summary: 'show a version: stage, status, source, where its files are, tags',
  },
  {
    words: ['versions', 'register'],
    args: ['model', 'dir'],
    options: { description, 'wait-timeout': waitTimeout },
    summary:
      'upload a directory as a new version of a model (created if missing) and wait until it is READY',
    details: [
      'The files go straight to storage through presigned URLs. stdout carries',
      'only the new version number: VERSION=$(stagegate register m ./model).',
    ],
  },
  {
    words: ['versions', 'download'],
    args: ['uri', 'dir'],
    options: { force },
    summary:
      "download a version's files, verifying checksums (models:/<name>/<version|stage|latest>, models:/<name>@<alias>)",
    details: [
      'Refuses to overwrite a file that exists unless --force is given.',
      'models://<profile>/<name>/<version> takes the registry of a profile.',
    ],
  },
  {
    words: ['versions', 'transition'],
    args: ['model', 'version', 'stage'],
    options: { archive, comment },
    summary: 'move a version to a stage (None, Staging, Production, Archived)',
  },
  {
    words: ['versions', 'update'],
    args: ['model', 'version'],
    options: { description },
    summary: "change a version's description",
  },
  {
    words: ['versions', 'delete'],
    args: ['model', 'version'],
    options: {},
    summary: 'delete a version (only from None or Archived)',
  },
  {
    words: ['versions', 'tag'],
    args: ['model', 'version', 'key', 'value'],
    options: {},
    summary: 'set a tag on a version',
  },
  {
    words: ['versions', 'untag'],
    args: ['model', 'version', 'key'],
    options: {},
    summary: 'delete a tag of a version',
  },
  {
    words: ['versions', 'activities'],
    args: ['model', 'version'],
    options: {},
    summary:
      "a version's activity feed, oldest first: transitions, requests, decisions, comments",
  },
  {
    words: ['register'],
    args: ['model', 'dir'],
    options: { description, 'wait-timeout': waitTimeout },
    summary: 'the same as versions register',
    aliasOf: 'versions register',
  },
  {
    words: ['download'],
    args: ['uri', 'dir'],
    options: { force },
    summary: 'the same as versions download',
    aliasOf: 'versions download',
  },
  {
    words: ['transition'],
    args: ['model', 'version', 'stage'],
    options: { archive, comment },
    summary: 'the same as versions transition',
    aliasOf: 'versions transition',
  },
  // Transition requests
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
    words: ['cancel'],
    args: ['model', 'version', 'stage'],
    options: {
      comment,
      'request-id': requestId,
      creator: {
        type: 'string',
        value: 'user name',
        help: "whose request (default: your own; cancelling another's needs Can Manage)",
      },
    },
    summary: 'cancel a transition request',
  },
  {
    words: ['requests'],
    args: ['model', 'version?'],
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
  // Comments
  {
    words: ['comments', 'list'],
    args: ['model', 'version'],
    options: {},
    summary: "a version's comments, oldest first",
  },
  {
    words: ['comments', 'add'],
    args: ['model', 'version', 'text'],
    options: {},
    summary: 'comment on a version',
  },
  {
    words: ['comments', 'edit'],
    args: ['id', 'text'],
    options: {},
    summary: 'change your comment',
  },
  {
    words: ['comments', 'delete'],
    args: ['id'],
    options: {},
    summary: 'delete a comment (yours, or any with Can Manage)',
  },
  // Permissions
  {
    words: ['permissions', 'show'],
    args: ['model?'],
    options: { root },
    summary: 'who may do what on a model (or, with --root, on every model)',
  },
  {
    words: ['permissions', 'grant'],
    args: ['model?', 'level'],
    options: { root, ...grantee },
    summary:
      'give a user, group or service principal a permission level on a model (or root)',
    details: [
      'Levels: CAN_READ, CAN_EDIT, CAN_MANAGE_STAGING_VERSIONS,',
      'CAN_MANAGE_PRODUCTION_VERSIONS, CAN_MANAGE; on root also',
      'CAN_CREATE_REGISTERED_MODEL. Case and a leading CAN_ are optional.',
      'A grantee given again gets the new level.',
    ],
  },
  {
    words: ['permissions', 'revoke'],
    args: ['model?'],
    options: { root, ...grantee },
    summary:
      "remove a user's, group's or service principal's direct grant on a model (or root)",
  },
  // Users, groups, service principals (admins)
  {
    words: ['users', 'list'],
    args: [],
    options: {
      filter: {
        type: 'string',
        value: 'filter',
        help: 'SCIM filter, e.g. \'userName sw "a"\'',
      },
    },
    summary: 'list users (admins)',
  },
  {
    words: ['users', 'create'],
    args: ['user-name'],
    options: {
      'display-name': {
        type: 'string',
        value: 'name',
        help: 'the name shown for the user',
      },
      group: {
        type: 'string',
        value: 'group',
        multiple: true,
        help: 'a group to join (repeatable)',
      },
    },
    summary:
      'create a user (admins); give it a token with tokens create --user',
  },
  {
    words: ['users', 'show'],
    args: ['user-name'],
    options: {},
    summary: 'show a user and its groups (admins)',
  },
  {
    words: ['users', 'deactivate'],
    args: ['user-name'],
    options: {},
    summary: 'refuse a user from its next request on (admins)',
  },
  {
    words: ['users', 'activate'],
    args: ['user-name'],
    options: {},
    summary: 'let a deactivated user in again (admins)',
  },
  {
    words: ['users', 'delete'],
    args: ['user-name'],
    options: {},
    summary: 'delete a user and its tokens (admins)',
  },
  {
    words: ['groups', 'list'],
    args: [],
    options: {},
    summary: 'list groups and their members (admins)',
  },
  {
    words: ['groups', 'create'],
    args: ['name'],
    options: {},
    summary: 'create a group (admins)',
  },
  {
    words: ['groups', 'show'],
    args: ['name'],
    options: {},
    summary: 'show a group and its members (admins)',
  },
  {
    words: ['groups', 'add'],
    args: ['name'],
    options: member,
    summary: 'add a user or a service principal to a group (admins)',
  },
  {
    words: ['groups', 'remove'],
    args: ['name'],
    options: member,
    summary: 'remove a user or a service principal from a group (admins)',
  },
  {
    words: ['groups', 'delete'],
    args: ['name'],
    options: {},
    summary: 'delete a group (admins)',
  },
  {
    words: ['service-principals', 'list'],
    args: [],
    options: {},
    summary: 'list service principals (admins)',
  },
  {
    words: ['service-principals', 'create'],
    args: ['display-name'],
    options: {},
    summary:
      'create a service principal (admins); prints its application id, which tokens create --service-principal takes',
  },
  {
    words: ['service-principals', 'show'],
    args: ['application-id'],
    options: {},
    summary: 'show a service principal and its groups (admins)',
  },
  {
    words: ['service-principals', 'delete'],
    args: ['application-id'],
    options: {},
    summary: 'delete a service principal and its tokens (admins)',
  },
  // Tokens
  {
    words: ['tokens', 'create'],
    args: [],
    options: {
      lifetime: {
        type: 'string',
        value: 'duration',
        help: 'e.g. 3600, 90d, 12h (default: never expires)',
      },
      comment: { type: 'string', value: 'text', help: 'what the token is for' },
      user: {
        type: 'string',
        value: 'user name',
        help: 'a token for this user instead of you (admins)',
      },
      'service-principal': {
        type: 'string',
        value: 'application id',
        help: 'a token for this service principal (admins)',
      },
    },
    summary: 'create a token; stdout carries only its value, shown this once',
  },
  {
    words: ['tokens', 'list'],
    args: [],
    options: {
      all: {
        type: 'boolean',
        help: "every principal's tokens, with their owners (admins)",
      },
    },
    summary: 'list your tokens (never their values)',
  },
  {
    words: ['tokens', 'revoke'],
    args: ['token-id'],
    options: {
      all: {
        type: 'boolean',
        help: "any principal's token (admins)",
      },
    },
    summary: 'revoke a token (it stops working within seconds)',
  },
  // Webhooks
  {
    words: ['webhooks', 'list'],
    args: [],
    options: {
      model: { type: 'string', value: 'name', help: "one model's webhooks" },
      event: {
        type: 'string',
        value: 'event',
        multiple: true,
        help: 'only webhooks for this event (repeatable)',
      },
    },
    summary: 'list registry webhooks',
  },
  {
    words: ['webhooks', 'create'],
    args: [],
    options: {
      ...webhookSpec,
      model: {
        type: 'string',
        value: 'name',
        help: "this model's events (default: the whole registry, admins only)",
      },
    },
    summary: 'create a webhook that POSTs registry events to a URL',
  },
  {
    words: ['webhooks', 'update'],
    args: ['id'],
    options: webhookSpec,
    summary: 'change a webhook',
  },
  {
    words: ['webhooks', 'delete'],
    args: ['id'],
    options: {},
    summary: 'delete a webhook',
  },
  {
    words: ['webhooks', 'test'],
    args: ['id'],
    options: {
      event: {
        type: 'string',
        value: 'event',
        help: 'the event to send (default: its first)',
      },
    },
    summary: "send a test event and show the receiver's answer",
  },
];

export type OutputMode = 'table' | 'json';

export interface GlobalOptions {
  readonly profile: string | undefined;
  readonly host: string | undefined;
  readonly token: string | undefined;
  readonly output: OutputMode;
  readonly debug: boolean;
}

export type OptionValue = string | boolean | string[] | undefined;

export type Invocation =
  | { readonly kind: 'help'; readonly topic: string | undefined }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'command';
      readonly command: CommandSpec;
      /** Positional arguments by their names in `command.args` (no `?`). */
      readonly args: Readonly<Record<string, string | undefined>>;
      /** The command's own options (for `profile set`, its --host/--token too). */
      readonly options: Readonly<Record<string, OptionValue>>;
      readonly global: GlobalOptions;
    };

export function commandName(command: CommandSpec): string {
  return command.words.join(' ');
}

const argName = (arg: string) => arg.replace(/\?$/, '');
const isOptional = (arg: string) => arg.endsWith('?');

/** Long options that take a value, to tell their values from command words. */
const VALUE_OPTIONS = new Set(
  [GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options)].flatMap((options) =>
    Object.entries(options)
      .filter(([, spec]) => spec.type === 'string')
      .flatMap(([name, spec]) => [
        `--${name}`,
        ...('short' in spec && spec.short ? [`-${spec.short}`] : []),
      ])
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
    if (arg.startsWith('-') && arg.length > 1) {
      if (!arg.includes('=') && VALUE_OPTIONS.has(arg)) i++;
    } else {
      indexes.push(i);
    }
  }
  return indexes;
}

/** The closest of `candidates` to `word`, if it is a likely typo. */
function closest(
  word: string,
  candidates: readonly string[]
): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < (best?.distance ?? Number.POSITIVE_INFINITY)) {
      best = { candidate, distance };
    }
  }
  return best && best.distance <= Math.max(1, Math.floor(word.length / 3))
    ? best.candidate
    : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

const didYouMean = (suggestion: string | undefined) =>
  suggestion ? ` (did you mean ${suggestion}?)` : '';

/** parseArgs' messages, as one line that names the command. */
function optionProblem(
  error: unknown,
  command: CommandSpec,
  options: Record<string, OptionSpec>
): UsageError {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  const name = commandName(command);
  const quoted = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(
        `unknown option ${quoted} for ${name}${didYouMean(
          closest(
            quoted.replace(/^-+/, ''),
            Object.keys(options).filter((o) => o !== 'help')
          )?.replace(/^/, '--')
        )}`,
        name
      );
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = quoted.replace(/^-+/, '');
      const spec = options[option];
      return new UsageError(
        spec?.type === 'boolean'
          ? `option ${quoted} takes no value`
          : `option ${quoted} needs a value${spec?.value ? ` (<${spec.value}>)` : ''}`,
        name
      );
    }
    default:
      return new UsageError(message, name);
  }
}

const ALL_WORDS = [...new Set(COMMANDS.map((c) => c.words[0] as string))];

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
    if (argv.includes('--version') || argv.includes('-v')) {
      return { kind: 'version' };
    }
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
      const subcommands = group.map((c) => c.words[1] as string);
      throw new UsageError(
        second === undefined
          ? `${first} needs a subcommand: ${subcommands.join(', ')}`
          : `unknown command '${first} ${second}'${didYouMean(
              closest(second, subcommands)?.replace(/^/, `${first} `)
            )}; ${first} takes ${subcommands.join(', ')}`,
        first
      );
    }
    throw new UsageError(
      `unknown command '${first}'${didYouMean(closest(first, ALL_WORDS))}`
    );
  }
  if (asksHelp) return { kind: 'help', topic: commandName(command) };
  const wordIndexes = new Set(positions.slice(0, command.words.length));
  const rest = argv.filter((_, i) => !wordIndexes.has(i));
  const options: Record<string, OptionSpec> = {
    ...GLOBAL_OPTIONS,
    ...command.options,
  };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw optionProblem(error, command, options);
  }
  const { values, positionals } = parsed;
  const required = command.args.filter((a) => !isOptional(a)).length;
  if (positionals.length < required) {
    throw new UsageError(
      `missing ${command.args
        .filter((a) => !isOptional(a))
        .slice(positionals.length)
        .map((a) => `<${a}>`)
        .join(' ')}`,
      commandName(command)
    );
  }
  if (positionals.length > command.args.length) {
    throw new UsageError(
      `unexpected argument '${positionals[command.args.length]}'`,
      commandName(command)
    );
  }
  // Optional arguments come first in the table (`[model] <level>`), so the
  // given ones fill the required ones from the end.
  const skipped = command.args.length - positionals.length;
  let optionalLeft = skipped;
  const args: Record<string, string | undefined> = {};
  let next = 0;
  for (const arg of command.args) {
    if (isOptional(arg) && optionalLeft > 0) {
      optionalLeft--;
      args[argName(arg)] = undefined;
    } else {
      args[argName(arg)] = positionals[next++];
    }
  }
  const text = (key: string) => {
    const value = values[key];
    return typeof value === 'string' ? value : undefined;
  };
  const output = text('output') ?? (values.json === true ? 'json' : 'table');
  if (output !== 'table' && output !== 'json') {
    throw new UsageError(
      `--output takes table or json, not '${output}'`,
      commandName(command)
    );
  }
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
        values[key] as OptionValue,
      ])
    ),
    global: {
      profile: text('profile'),
      host: ownsHostToken ? undefined : text('host'),
      token: ownsHostToken ? undefined : text('token'),
      output,
      debug: values.debug === true,
    },
  };
}

function optionLine(name: string, spec: OptionSpec): string {
  const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` <${spec.value}>` : ''}`;
  return `  ${flag.padEnd(30)} ${spec.help}`;
}

function usageOf(command: CommandSpec): string {
  const args = command.args.map((a) =>
    isOptional(a) ? `[<${argName(a)}>]` : `<${a}>`
  );
  return [commandName(command), ...args].join(' ');
}

export const EXIT_CODES_HELP =
  'exit codes: 0 ok, 1 the registry or a check refused, 2 usage or configuration, 130 interrupted (Ctrl-C)';

/** Usage of one command, a group (`models`), or everything. */
export function helpText(topic?: string): string {
  const matching = topic
    ? COMMANDS.filter((c) => commandName(c) === topic || c.words[0] === topic)
    : [];
  if (topic && matching.length === 0) {
    throw new UsageError(
      `no command '${topic}'${didYouMean(closest(topic, ALL_WORDS))}`
    );
  }
  const exact = matching.find((c) => commandName(c) === topic);
  if (exact) {
    const lines = [
      `usage: stagegate ${usageOf(exact)} [options]`,
      '',
      exact.aliasOf ? `${exact.summary}:` : exact.summary,
      ...(exact.details ?? []),
      '',
      'options:',
      ...Object.entries(exact.options).map(([n, s]) => optionLine(n, s)),
      ...Object.entries(GLOBAL_OPTIONS)
        .filter(([n]) => !(n in exact.options))
        .map(([n, s]) => optionLine(n, s)),
      '',
      EXIT_CODES_HELP,
    ];
    if (exact.aliasOf) {
      const target = COMMANDS.find((c) => commandName(c) === exact.aliasOf);
      if (target) lines.splice(3, 0, target.summary);
    }
    return `${lines.join('\n')}\n`;
  }
  const listed = (matching.length > 0 ? matching : COMMANDS).filter(
    (c) => matching.length > 0 || !c.aliasOf
  );
  const lines = [
    `usage: stagegate ${topic ?? '<command>'}${topic ? ' <subcommand>' : ''} [options]`,
    '',
    'commands:',
    ...listed.map((c) => `  ${usageOf(c).padEnd(44)} ${c.summary}`),
    ...(topic
      ? []
      : ['', 'shorter names: register, download and transition (versions …)']),
    '',
    'options for every command:',
    ...Object.entries(GLOBAL_OPTIONS).map(([n, s]) => optionLine(n, s)),
    '',
    'Each command has its own help: stagegate <command> --help.',
    'The registry: --host/--token, else STAGEGATE_HOST/STAGEGATE_TOKEN',
    '(DATABRICKS_HOST/DATABRICKS_TOKEN as a fallback), else --profile, else the',
    'default profile in $STAGEGATE_CONFIG or ~/.stagegate/config.json. A token',
    'is only sent to the host it was configured with (--token excepted).',
    '',
    EXIT_CODES_HELP,
  ];
  return `${lines.join('\n')}\n`;
}
