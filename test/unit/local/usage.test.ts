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
    it('takes the stage, the region, the lifetime and --revoke', () => {
      // Act
      const parsed = bootstrapAdminArguments([
        '--stage',
        'prod',
        '--region=eu-west-1',
        '--expires-in-hours',
        '2',
        '--revoke',
      ]);

      // Assess
      expect(parsed).toEqual({
        kind: 'run',
        stage: 'prod',
        region: 'eu-west-1',
        hours: 2,
        revoke: true,
      });
    });

    it('needs the stage, and never takes the token from the command line', () => {
      // Act & Assess
      expect(() => bootstrapAdminArguments([])).toThrow(
        /^missing --stage <stage>/
      );
      expect(() =>
        bootstrapAdminArguments(['--stage', 'prod', '--token', 'dapi0'])
      ).toThrow(/^unknown option --token/);
      expect(() =>
        bootstrapAdminArguments(['--stage', 'prod', '--expires-in-hours', 'x'])
      ).toThrow(/--expires-in-hours takes a number of hours/);
    });
  });

  it('prints the help and exits 0 without calling AWS', () => {
    // Act
    const result = run('infra/bootstrap-admin.ts', ['--help']);

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^usage: npm run bootstrap-admin -- --stage <stage>/
    );
    expect(result.stdout).toContain('-h, --help');
    expect(result.stderr).toBe('');
  });

  it('exits 2 with one line for an option it does not take', () => {
    // Act
    const result = run('infra/bootstrap-admin.ts', ['--stgae', 'x']);

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'bootstrap-admin: unknown option --stgae; npm run bootstrap-admin -- --help shows what it takes\n'
    );
  });
});
