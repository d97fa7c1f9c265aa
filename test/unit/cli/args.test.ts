import { describe, expect, it } from 'vitest';
import {
  COMMANDS,
  EXIT_CODES_HELP,
  helpText,
  parseCommandLine,
} from '../../../cli/args.ts';
import { UsageError } from '../../../cli/errors.ts';
import { HANDLED_COMMANDS } from '../../../cli/main.ts';

function command(argv: string[]) {
  const invocation = parseCommandLine(argv);
  if (invocation.kind !== 'command') throw new Error('expected a command');
  return invocation;
}

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('parseCommandLine', () => {
  it('maps a two-word command with its options and global options', () => {
    // Act
    const invocation = command([
      '--profile',
      'prod',
      'models',
      'list',
      '--filter',
      "name LIKE 'a%'",
      '--json',
    ]);

    // Assess
    expect(invocation.command.words).toEqual(['models', 'list']);
    expect(invocation.options).toEqual({ filter: "name LIKE 'a%'" });
    expect(invocation.global).toEqual({
      profile: 'prod',
      host: undefined,
      token: undefined,
      output: 'json',
      debug: false,
    });
  });

  it('names positional arguments after the command table', () => {
    // Act
    const invocation = command([
      'approve',
      'fraud',
      '3',
      'Production',
      '--archive',
      '--comment=ship it',
      '--request-id',
      'r1',
    ]);

    // Assess
    expect(invocation.args).toEqual({
      model: 'fraud',
      version: '3',
      stage: 'Production',
    });
    expect(invocation.options).toEqual({
      archive: true,
      comment: 'ship it',
      'request-id': 'r1',
    });
  });

  it('does not take an option value for a command word', () => {
    // Act: "models" is the value of --host, not the command
    const invocation = command(['--host', 'models', 'versions', 'list', 'm']);

    // Assess
    expect(invocation.command.words).toEqual(['versions', 'list']);
    expect(invocation.global.host).toBe('models');
    expect(invocation.args).toEqual({ model: 'm' });
  });

  it("reads profile set's --host and --token as the profile's, not the target", () => {
    // Act
    const invocation = command([
      'profile',
      'set',
      'local',
      '--host',
      'http://127.0.0.1:8080',
      '--token',
      '-',
    ]);

    // Assess
    expect(invocation.options).toEqual({
      host: 'http://127.0.0.1:8080',
      token: '-',
      'no-verify': undefined,
    });
    expect(invocation.global.host).toBeUndefined();
    expect(invocation.global.token).toBeUndefined();
  });

  it('refuses an option the command does not take, naming the command', () => {
    // Act
    const error = usageError(['reject', 'm', '1', 'Staging', '--archive']);
    const typo = usageError(['models', 'list', '--filer', 'x']);

    // Assess
    expect(error.message).toBe('unknown option --archive for reject');
    expect(error.command).toBe('reject');
    expect(typo.message).toBe(
      'unknown option --filer for models list (did you mean --filter?)'
    );
  });

  it('says which option needs a value and which takes none', () => {
    // Act
    const missing = usageError(['request', 'm', '1', 'Staging', '--comment']);
    const extra = usageError(['approve', 'm', '1', 'Staging', '--archive=yes']);

    // Assess
    expect(missing.message).toBe('option --comment needs a value (<text>)');
    expect(extra.message).toBe('option --archive takes no value');
  });

  it('takes --output table|json, --json as --output json, and --debug', () => {
    // Act
    const table = command(['models', 'list']);
    const json = command(['models', 'list', '-o', 'json', '--debug']);
    const wrong = usageError(['models', 'list', '--output', 'yaml']);

    // Assess
    expect(table.global.output).toBe('table');
    expect(json.global).toMatchObject({ output: 'json', debug: true });
    expect(wrong.message).toBe("--output takes table or json, not 'yaml'");
  });

  it('collects a repeatable option into a list', () => {
    // Act
    const invocation = command([
      'webhooks',
      'create',
      '--url',
      'https://hooks.example.com',
      '--event',
      'MODEL_VERSION_CREATED',
      '--event',
      'COMMENT_CREATED',
    ]);

    // Assess
    expect(invocation.options.event).toEqual([
      'MODEL_VERSION_CREATED',
      'COMMENT_CREATED',
    ]);
  });

  it('fills an optional leading argument only when it is given', () => {
    // Act
    const onRoot = command(['permissions', 'grant', '--root', 'CAN_READ']);
    const onModel = command(['permissions', 'grant', 'fraud', 'CAN_READ']);

    // Assess
    expect(onRoot.args).toEqual({ model: undefined, level: 'CAN_READ' });
    expect(onModel.args).toEqual({ model: 'fraud', level: 'CAN_READ' });
  });

  it('refuses missing and extra arguments, naming them', () => {
    // Act
    const missing = usageError(['register', 'm']);
    const extra = usageError(['versions', 'list', 'm', 'n']);

    // Assess
    expect(missing.message).toBe('missing <dir>');
    expect(extra.message).toBe("unexpected argument 'n'");
  });

  it('refuses unknown commands and a group without its subcommand', () => {
    // Act
    const unknown = usageError(['deploy']);
    const group = usageError(['models']);

    // Assess
    expect(unknown.message).toBe("unknown command 'deploy'");
    expect(group.message).toMatch(/^models needs a subcommand: list, create, /);
    expect(usageError(['modles', 'list']).message).toBe(
      "unknown command 'modles' (did you mean models?)"
    );
    expect(usageError(['models', 'craete', 'm']).message).toMatch(
      /^unknown command 'models craete' \(did you mean models create\?\)/
    );
  });

  it('answers help for --help anywhere and for help <command>', () => {
    // Act & Assess
    expect(parseCommandLine(['register', '--help'])).toEqual({
      kind: 'help',
      topic: 'register',
    });
    expect(parseCommandLine(['help', 'models', 'list'])).toEqual({
      kind: 'help',
      topic: 'models list',
    });
    expect(parseCommandLine(['-h'])).toEqual({
      kind: 'help',
      topic: undefined,
    });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
  });
});

describe('helpText', () => {
  it("lists a command's own options before the global ones", () => {
    // Act
    const text = helpText('register');

    // Assess
    expect(text).toMatch(
      /^usage: stagegate register <model> <dir> \[options\]/
    );
    expect(text.indexOf('--wait-timeout')).toBeLessThan(
      text.indexOf('--profile')
    );
  });

  it('lists every command without a topic, aliases aside', () => {
    // Act
    const text = helpText();

    // Assess
    for (const command of COMMANDS.filter((c) => !c.aliasOf)) {
      expect(text).toContain(`  ${command.words.join(' ')} `);
    }
    expect(text).toContain('130 interrupted');
  });

  it('gives every command its own help with its usage and the exit codes', () => {
    // Act & Assess
    for (const command of COMMANDS) {
      const name = command.words.join(' ');
      const text = helpText(name);
      expect(text).toMatch(new RegExp(`^usage: stagegate ${name}[ \\n]`));
      expect(text).toContain(EXIT_CODES_HELP);
      for (const option of Object.keys(command.options)) {
        expect(text).toContain(`--${option}`);
      }
    }
  });

  it('has a handler for every command and a command for every handler', () => {
    // Assess
    expect([...HANDLED_COMMANDS].sort()).toEqual(
      COMMANDS.map((c) => c.words.join(' ')).sort()
    );
  });
});
