/**
 * The CLI as a function of argv and its surroundings (streams, env, fetch,
 * clock), so tests run it in-process; `stagegate.ts` binds it to the real
 * process. Results go to stdout, progress and messages to stderr.
 */
import {
  commandName,
  helpText,
  type Invocation,
  parseCommandLine,
} from './args.ts';
import { RegistryClient } from './client.ts';
import { download } from './commands/download.ts';
import {
  profileList,
  profileRemove,
  profileSet,
  profileUse,
} from './commands/profile.ts';
import { register } from './commands/register.ts';
import {
  approve,
  modelsList,
  reject,
  request,
  transition,
  versionsList,
} from './commands/registry.ts';
import { inbox, requests } from './commands/requests.ts';
import { configPath, loadConfig, resolveTarget } from './config.ts';
import { describeError, EXIT_OK, UsageError } from './errors.ts';
import type { ProgressSink } from './progress.ts';

export interface CliIo {
  readonly stdout: { write(text: string): void };
  /** Messages and progress; `isTTY` switches progress to in-place lines. */
  readonly stderr: ProgressSink;
  readonly env: NodeJS.ProcessEnv;
  readStdin(): Promise<string>;
  /** Registry API calls (storage transfers always use the global fetch). */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export type CommandInvocation = Extract<Invocation, { kind: 'command' }>;

export interface Context {
  readonly io: CliIo;
  readonly invocation: CommandInvocation;
  readonly configFile: string;
  /** The client for the resolved registry; `profile` comes from a models:// URI. */
  client(profile?: string): Promise<RegistryClient>;
  /** A positional argument of the command, by its name in the command table. */
  arg(name: string): string;
  /** A string option of the command, if given. */
  option(name: string): string | undefined;
  flag(name: string): boolean;
  /** A result line on stdout. */
  print(text: string): void;
  printJson(value: unknown): void;
  /** A message on stderr. */
  info(text: string): void;
  sleep(ms: number): Promise<void>;
  now(): number;
}

type Command = (context: Context) => Promise<void>;

const HANDLERS: Readonly<Record<string, Command>> = {
  'profile set': profileSet,
  'profile list': profileList,
  'profile use': profileUse,
  'profile remove': profileRemove,
  register,
  download,
  'models list': modelsList,
  'versions list': versionsList,
  transition,
  request,
  approve,
  reject,
  requests,
  inbox,
};

/** Runs one command line; resolves with the exit code (never throws). */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let invocation: Invocation | undefined;
  try {
    invocation = parseCommandLine(argv);
    if (invocation.kind === 'help') {
      io.stdout.write(helpText(invocation.topic));
      return EXIT_OK;
    }
    const handler = HANDLERS[commandName(invocation.command)];
    if (!handler) throw new UsageError('unknown command');
    await handler(createContext(invocation, io));
    return EXIT_OK;
  } catch (error) {
    const { message, exitCode } = describeError(error);
    io.stderr.write(`stagegate: ${message}\n`);
    if (error instanceof UsageError) {
      const topic = error.command ? `${error.command} ` : '';
      io.stderr.write(`run 'stagegate ${topic}--help' for usage\n`);
    }
    return exitCode;
  }
}

function createContext(invocation: CommandInvocation, io: CliIo): Context {
  const configFile = configPath(io.env);
  const sleep =
    io.sleep ??
    ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = io.now ?? Date.now;
  return {
    io,
    invocation,
    configFile,
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
      return new RegistryClient(target, { fetch: io.fetch, sleep });
    },
    arg(name) {
      const value = invocation.args[name];
      if (value === undefined) throw new Error(`no argument ${name}`);
      return value;
    },
    option(name) {
      const value = invocation.options[name];
      return typeof value === 'string' ? value : undefined;
    },
    flag(name) {
      return invocation.options[name] === true;
    },
    print(text) {
      io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    printJson(value) {
      io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    info(text) {
      io.stderr.write(`${text}\n`);
    },
    sleep,
    now,
  };
}
