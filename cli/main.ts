/**
 * The CLI as a function of argv and its surroundings (streams, env, fetch,
 * clock, an interrupt signal), so tests run it in-process; `stagegate.ts`
 * binds it to the real process. Results go to stdout, progress and
 * messages to stderr.
 */
import {
  commandName,
  helpText,
  type Invocation,
  type OptionValue,
  type OutputMode,
  parseCommandLine,
} from './args.ts';
import { CLI_VERSION, RegistryClient } from './client.ts';
import * as comments from './commands/comments.ts';
import { download } from './commands/download.ts';
import * as identities from './commands/identities.ts';
import * as models from './commands/models.ts';
import * as permissions from './commands/permissions.ts';
import {
  profileList,
  profileRemove,
  profileSet,
  profileUse,
} from './commands/profile.ts';
import { register } from './commands/register.ts';
import {
  approve,
  cancel,
  reject,
  request,
  transition,
  versionsList,
} from './commands/registry.ts';
import { inbox, requests } from './commands/requests.ts';
import * as tokens from './commands/tokens.ts';
import * as versions from './commands/versions.ts';
import * as webhooks from './commands/webhooks.ts';
import { configPath, loadConfig, resolveTarget } from './config.ts';
import {
  debugDetail,
  describeError,
  EXIT_OK,
  InterruptedError,
  UsageError,
} from './errors.ts';
import type { ProgressSink } from './progress.ts';

export interface CliIo {
  readonly stdout: { write(text: string): void };
  /** Messages and progress; `isTTY` switches progress to in-place lines. */
  readonly stderr: ProgressSink;
  readonly env: NodeJS.ProcessEnv;
  readStdin(): Promise<string>;
  /** Registry API calls (storage transfers always use node:http). */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Aborted on Ctrl-C: the command stops, tidies up and says so. */
  readonly signal?: AbortSignal;
}

export type CommandInvocation = Extract<Invocation, { kind: 'command' }>;

export interface Context {
  readonly io: CliIo;
  readonly invocation: CommandInvocation;
  readonly configFile: string;
  readonly output: OutputMode;
  readonly signal: AbortSignal | undefined;
  /** The client for the resolved registry; `profile` comes from a models:// URI. */
  client(profile?: string): Promise<RegistryClient>;
  /** A positional argument of the command, by its name in the command table. */
  arg(name: string): string;
  /** An optional positional argument, if given. */
  optionalArg(name: string): string | undefined;
  /** A string option of the command, if given. */
  option(name: string): string | undefined;
  /** A repeatable option's values (none: an empty list). */
  options(name: string): string[];
  flag(name: string): boolean;
  /** A result line on stdout. */
  print(text: string): void;
  printJson(value: unknown): void;
  /**
   * The command's result: `json` as JSON with `--output json`, else what
   * `table` renders (nothing printed when it returns undefined).
   */
  emit(json: unknown, table: () => string | undefined): void;
  /** A message on stderr. */
  info(text: string): void;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** Throws InterruptedError (with `what` tidied up) once Ctrl-C came. */
  checkInterrupt(what?: string): void;
}

type Command = (context: Context) => Promise<void>;

const HANDLERS: Readonly<Record<string, Command>> = {
  'profile set': profileSet,
  'profile list': profileList,
  'profile use': profileUse,
  'profile remove': profileRemove,
  whoami: identities.whoami,
  'models list': models.list,
  'models create': models.create,
  'models show': models.show,
  'models update': models.update,
  'models rename': models.rename,
  'models delete': models.remove,
  'models tag': models.tag,
  'models untag': models.untag,
  'models alias': models.alias,
  'models unalias': models.unalias,
  'models settings': models.settings,
  'versions list': versionsList,
  'versions show': versions.show,
  'versions register': register,
  'versions download': download,
  'versions transition': transition,
  'versions update': versions.update,
  'versions delete': versions.remove,
  'versions tag': versions.tag,
  'versions untag': versions.untag,
  'versions activities': versions.activities,
  register,
  download,
  transition,
  request,
  approve,
  reject,
  cancel,
  requests,
  inbox,
  'comments list': comments.list,
  'comments add': comments.add,
  'comments edit': comments.edit,
  'comments delete': comments.remove,
  'permissions show': permissions.show,
  'permissions grant': permissions.grant,
  'permissions revoke': permissions.revoke,
  'users list': identities.usersList,
  'users create': identities.usersCreate,
  'users show': identities.usersShow,
  'users activate': identities.usersActivate,
  'users deactivate': identities.usersDeactivate,
  'users delete': identities.usersDelete,
  'groups list': identities.groupsList,
  'groups create': identities.groupsCreate,
  'groups show': identities.groupsShow,
  'groups add': identities.groupsAdd,
  'groups remove': identities.groupsRemove,
  'groups delete': identities.groupsDelete,
  'service-principals list': identities.servicePrincipalsList,
  'service-principals create': identities.servicePrincipalsCreate,
  'service-principals show': identities.servicePrincipalsShow,
  'service-principals delete': identities.servicePrincipalsDelete,
  'tokens create': tokens.create,
  'tokens list': tokens.list,
  'tokens revoke': tokens.revoke,
  'webhooks list': webhooks.list,
  'webhooks create': webhooks.create,
  'webhooks update': webhooks.update,
  'webhooks delete': webhooks.remove,
  'webhooks test': webhooks.test,
};

/** The command names with a handler (a test holds the table to it). */
export const HANDLED_COMMANDS: readonly string[] = Object.keys(HANDLERS);

/** Runs one command line; resolves with the exit code (never throws). */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let invocation: Invocation | undefined;
  const calls: string[] = [];
  try {
    invocation = parseCommandLine(argv);
    if (invocation.kind === 'help') {
      io.stdout.write(helpText(invocation.topic));
      return EXIT_OK;
    }
    if (invocation.kind === 'version') {
      io.stdout.write(`stagegate ${CLI_VERSION}\n`);
      return EXIT_OK;
    }
    const handler = HANDLERS[commandName(invocation.command)];
    if (!handler) throw new UsageError('unknown command');
    await handler(createContext(invocation, io, calls));
    return EXIT_OK;
  } catch (error) {
    const failure =
      io.signal?.aborted && !(error instanceof InterruptedError)
        ? new InterruptedError('interrupted', { cause: error })
        : error;
    const { message, exitCode } = describeError(failure);
    io.stderr.write(`stagegate: ${message}\n`);
    if (failure instanceof UsageError) {
      const topic = failure.command ? `${failure.command} ` : '';
      io.stderr.write(`run 'stagegate ${topic}--help' for usage\n`);
    }
    if (invocation?.kind === 'command' && invocation.global.debug) {
      io.stderr.write(
        `${[...calls.map((line) => `call: ${line}`), debugDetail(failure)].join('\n')}\n`
      );
    }
    return exitCode;
  }
}

function createContext(
  invocation: CommandInvocation,
  io: CliIo,
  calls: string[]
): Context {
  const configFile = configPath(io.env);
  // Ctrl-C cuts a wait short; what follows sees the signal and stops.
  const sleep =
    io.sleep ??
    ((ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        io.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true }
        );
      }));
  const now = io.now ?? Date.now;
  const value = (name: string): OptionValue => invocation.options[name];
  const context: Context = {
    io,
    invocation,
    configFile,
    output: invocation.global.output,
    signal: io.signal,
    async client(uriProfile) {
      const { profile } = invocation.global;
      if (uriProfile && profile && uriProfile !== profile) {
        throw new UsageError(
          `the URI names profile ${uriProfile} but --profile says ${profile}`,
          commandName(invocation.command)
        );
      }
      const { config, warnings } = await loadConfig(configFile);
      for (const warning of warnings) io.stderr.write(`${warning}\n`);
      const target = resolveTarget(
        config,
        { ...invocation.global, profile: uriProfile ?? profile },
        configFile,
        io.env
      );
      return new RegistryClient(target, {
        fetch: io.fetch,
        sleep,
        signal: io.signal,
        onCall: (line) => calls.push(line),
      });
    },
    arg(name) {
      const given = invocation.args[name];
      if (given === undefined) throw new Error(`no argument ${name}`);
      return given;
    },
    optionalArg(name) {
      return invocation.args[name];
    },
    option(name) {
      const given = value(name);
      return typeof given === 'string' ? given : undefined;
    },
    options(name) {
      const given = value(name);
      return Array.isArray(given)
        ? given
        : typeof given === 'string'
          ? [given]
          : [];
    },
    flag(name) {
      return value(name) === true;
    },
    print(text) {
      io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    printJson(json) {
      io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    },
    emit(json, table) {
      if (context.output === 'json') {
        context.printJson(json);
        return;
      }
      const text = table();
      if (text !== undefined) context.print(text);
    },
    info(text) {
      io.stderr.write(`${text}\n`);
    },
    sleep,
    now,
    checkInterrupt(what) {
      if (io.signal?.aborted) {
        throw new InterruptedError(
          what ? `interrupted; ${what}` : 'interrupted'
        );
      }
    },
  };
  return context;
}
