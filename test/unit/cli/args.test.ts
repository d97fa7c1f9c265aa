import { describe, expect, it } from 'vitest';
import { helpText, parseCommandLine } from '../../../cli/args.ts';
import { UsageError } from '../../../cli/errors.ts';

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
      json: true,
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
    });
    expect(invocation.global.host).toBeUndefined();
    expect(invocation.global.token).toBeUndefined();
  });

  it('refuses an option the command does not take', () => {
    // Act
    const error = usageError(['reject', 'm', '1', 'Staging', '--archive']);

    // Assess
    expect(error.message).toMatch(/--archive/);
    expect(error.command).toBe('reject');
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
    expect(group.message).toBe('models needs a subcommand: list');
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

  it('lists every command without a topic', () => {
    // Act
    const text = helpText();

    // Assess
    for (const word of [
      'profile set',
      'register',
      'download',
      'models list',
      'versions list',
      'transition',
      'request',
      'approve',
      'reject',
    ]) {
      expect(text).toContain(`  ${word} `);
    }
  });
});
