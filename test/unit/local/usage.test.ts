import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '#local/paths.ts';
import {
  bootstrapAdminArguments,
  START_SETTINGS,
  START_USAGE,
  startArguments,
  UsageError,
} from '#local/usage.ts';

/** A script as npm runs it, with a bound so a started server cannot hang. */
function run(script: string, args: string[]) {
  return spawnSync(process.execPath, [script, ...args], {
    cwd: repositoryRoot,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, STAGEGATE_PORT: 'not-a-port' },
  });
}

describe('npm start', () => {
  describe('startArguments', () => {
    it.each([[['--help']], [['-h']]])('asks for help with %j', (argv) => {
      // Act & Assess
      expect(startArguments(argv)).toBe('help');
    });

    it('starts without arguments', () => {
      // Act & Assess
      expect(startArguments([])).toBe('start');
    });

    it.each([
      [['--port', '9000'], 'unknown option --port'],
      [['serve'], 'unexpected argument serve'],
    ])('refuses %j, pointing at the help', (argv, what) => {
      // Act & Assess
      expect(() => startArguments(argv)).toThrow(UsageError);
      expect(() => startArguments(argv)).toThrow(
        `${what}; npm start -- --help shows what it takes`
      );
    });
  });

  it('lists every setting with its default', () => {
    // Assess
    for (const [name, fallback] of START_SETTINGS) {
      expect(START_USAGE).toMatch(
        new RegExp(`^  ${name} +.*\\(default: ${fallback}\\)$`, 'm')
      );
    }
  });

  it('prints the help and exits 0 without starting anything', () => {
    // Act
    const result = run('local/main.ts', ['--help']);

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(START_USAGE);
    expect(result.stderr).toBe('');
  });

  it('exits 2 for an argument it does not take', () => {
    // Act
    const result = run('local/main.ts', ['--port=9000']);

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'stagegate: unknown option --port; npm start -- --help shows what it takes\n'
    );
  });
});

describe('npm run bootstrap-admin', () => {
  describe('bootstrapAdminArguments', () => {
    it('takes the table, the region and a token', () => {
      // Act
      const parsed = bootstrapAdminArguments([
        '--table',
        'Stagegate-Stateful-Registry',
        '--region=eu-west-1',
      ]);

      // Assess
      expect(parsed).toEqual({
        kind: 'run',
        table: 'Stagegate-Stateful-Registry',
        region: 'eu-west-1',
        token: undefined,
      });
    });

    it('needs the table', () => {
      // Act & Assess
      expect(() => bootstrapAdminArguments([])).toThrow(
        /^missing --table <name>/
      );
    });
  });

  it('prints the help and exits 0 without calling AWS', () => {
    // Act
    const result = run('infra/bootstrap-admin.ts', ['--help']);

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^usage: npm run bootstrap-admin -- --table <name>/
    );
    expect(result.stdout).toContain('-h, --help');
    expect(result.stderr).toBe('');
  });

  it('exits 2 with one line for an option it does not take', () => {
    // Act
    const result = run('infra/bootstrap-admin.ts', ['--tabel', 'x']);

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'bootstrap-admin: unknown option --tabel; npm run bootstrap-admin -- --help shows what it takes\n'
    );
  });
});
