import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type Config,
  configPath,
  loadConfig,
  maskToken,
  normalizeHost,
  resolveTarget,
  saveConfig,
} from '../../../cli/config.ts';
import { ConfigError } from '../../../cli/errors.ts';
import { runCli } from './support/run-cli.ts';

const LOCAL = 'http://127.0.0.1:8080';
const REMOTE = 'https://registry.example.com';
const LOCAL_TOKEN = 'dapi11111111111111111111111111111111';
const REMOTE_TOKEN = 'dapi22222222222222222222222222222222';
const CREDENTIAL_VARIABLES = [
  'STAGEGATE_HOST',
  'STAGEGATE_TOKEN',
  'DATABRICKS_HOST',
  'DATABRICKS_TOKEN',
];

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stagegate-cli-config-'));
  file = join(dir, 'nested', 'config.json');
  for (const name of CREDENTIAL_VARIABLES) vi.stubEnv(name, undefined);
});

afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

const twoProfiles: Config = {
  profiles: new Map([
    ['local', { host: LOCAL, token: LOCAL_TOKEN }],
    ['remote', { host: REMOTE, token: REMOTE_TOKEN }],
  ]),
  default: 'local',
};

async function resolveFromFile(options: Parameters<typeof resolveTarget>[1]) {
  const { config } = await loadConfig(file);
  return resolveTarget(config, options, file);
}

describe('configPath', () => {
  it('honours STAGEGATE_CONFIG, else ~/.stagegate/config.json', () => {
    // Prepare
    vi.stubEnv('STAGEGATE_CONFIG', '/etc/sg.json');

    // Act & Assess
    expect(configPath()).toBe('/etc/sg.json');
    vi.stubEnv('STAGEGATE_CONFIG', undefined);
    expect(configPath()).toMatch(/\.stagegate\/config\.json$/);
  });
});

describe('saveConfig and loadConfig', () => {
  it('round-trips profiles in a file only its owner can read', async () => {
    // Act
    await saveConfig(file, twoProfiles);
    const { config, warnings } = await loadConfig(file);

    // Assess
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    expect(config).toEqual(twoProfiles);
    expect(warnings).toEqual([]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      profiles: {
        local: { host: LOCAL, token: LOCAL_TOKEN },
        remote: { host: REMOTE, token: REMOTE_TOKEN },
      },
      default: 'local',
    });
  });

  it('reads a missing file as no profiles', async () => {
    // Act
    const { config } = await loadConfig(join(dir, 'absent.json'));

    // Assess
    expect(config).toEqual({ profiles: new Map(), default: undefined });
  });

  it('warns about a config file others can read', async () => {
    // Prepare
    const loose = join(dir, 'loose.json');
    writeFileSync(loose, '{"profiles":{}}', { mode: 0o644 });

    // Act
    const { warnings } = await loadConfig(loose);

    // Assess
    expect(warnings).toEqual([
      expect.stringMatching(/readable by others .*chmod 600/),
    ]);
  });

  it('refuses a file that is not a config, naming it', async () => {
    // Prepare
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"profiles":{"a":{"host":1}}}', { mode: 0o600 });

    // Act
    const result = loadConfig(broken);

    // Assess
    await expect(result).rejects.toThrow(ConfigError);
    await expect(result).rejects.toThrow(
      `${broken} is not a stagegate config: profile a needs a host and a token`
    );
  });
});

describe('resolveTarget', () => {
  beforeEach(async () => {
    await saveConfig(file, twoProfiles);
  });

  it('uses the default profile when nothing else is given', async () => {
    // Act
    const target = await resolveFromFile({});

    // Assess
    expect(target).toEqual({
      host: LOCAL,
      token: LOCAL_TOKEN,
      profile: 'local',
      hostSource: 'profile local',
      tokenSource: 'profile local',
    });
  });

  it('uses --profile over the default profile', async () => {
    // Act
    const target = await resolveFromFile({ profile: 'remote' });

    // Assess
    expect(target.host).toBe(REMOTE);
    expect(target.token).toBe(REMOTE_TOKEN);
    expect(target.profile).toBe('remote');
  });

  it('uses STAGEGATE_HOST and STAGEGATE_TOKEN over any profile', async () => {
    // Prepare
    vi.stubEnv('STAGEGATE_HOST', 'http://10.0.0.1:9000');
    vi.stubEnv('STAGEGATE_TOKEN', 'dapi-env');

    // Act
    const target = await resolveFromFile({ profile: 'remote' });

    // Assess
    expect(target).toMatchObject({
      host: 'http://10.0.0.1:9000',
      token: 'dapi-env',
      profile: undefined,
      hostSource: 'STAGEGATE_HOST',
      tokenSource: 'STAGEGATE_TOKEN',
    });
  });

  it('falls back to DATABRICKS_HOST and DATABRICKS_TOKEN', async () => {
    // Prepare
    vi.stubEnv('DATABRICKS_HOST', 'https://adb-123.azuredatabricks.net');
    vi.stubEnv('DATABRICKS_TOKEN', 'dapi-databricks');

    // Act
    const target = await resolveFromFile({});

    // Assess
    expect(target).toMatchObject({
      host: 'https://adb-123.azuredatabricks.net',
      token: 'dapi-databricks',
      hostSource: 'DATABRICKS_HOST',
      tokenSource: 'DATABRICKS_TOKEN',
    });
  });

  it('prefers the STAGEGATE_ variables over the DATABRICKS_ ones', async () => {
    // Prepare
    vi.stubEnv('DATABRICKS_HOST', REMOTE);
    vi.stubEnv('DATABRICKS_TOKEN', 'dapi-databricks');
    vi.stubEnv('STAGEGATE_HOST', LOCAL);
    vi.stubEnv('STAGEGATE_TOKEN', 'dapi-stagegate');

    // Act
    const target = await resolveFromFile({});

    // Assess
    expect(target.host).toBe(LOCAL);
    expect(target.token).toBe('dapi-stagegate');
  });

  it('uses --host and --token over the environment', async () => {
    // Prepare
    vi.stubEnv('STAGEGATE_HOST', LOCAL);
    vi.stubEnv('STAGEGATE_TOKEN', 'dapi-env');

    // Act
    const target = await resolveFromFile({
      host: `${REMOTE}/`,
      token: 'dapi-flag',
    });

    // Assess
    expect(target).toMatchObject({
      host: REMOTE,
      token: 'dapi-flag',
      hostSource: '--host',
      tokenSource: '--token',
    });
  });

  it("takes a profile's token for --host only when it is the profile's host", async () => {
    // Act
    const same = await resolveFromFile({ host: LOCAL });
    const other = resolveFromFile({ host: 'http://elsewhere:1234' });

    // Assess: the default profile's token is never sent to another host
    expect(same).toMatchObject({
      token: LOCAL_TOKEN,
      hostSource: '--host',
      tokenSource: 'profile local',
    });
    await expect(other).rejects.toThrow('no token for http://elsewhere:1234');
  });

  it('does not send a DATABRICKS_TOKEN to a host other than DATABRICKS_HOST', async () => {
    // Prepare
    vi.stubEnv('DATABRICKS_HOST', REMOTE);
    vi.stubEnv('DATABRICKS_TOKEN', 'dapi-databricks');

    // Act
    const target = await resolveFromFile({ host: LOCAL });

    // Assess
    expect(target.token).toBe(LOCAL_TOKEN);
    expect(target.tokenSource).toBe('profile local');
  });

  it('names the known profiles when --profile is unknown', async () => {
    // Act
    const result = resolveFromFile({ profile: 'staging' });

    // Assess
    await expect(result).rejects.toThrow(ConfigError);
    await expect(result).rejects.toThrow(
      `profile staging is not in ${file}; known profiles: local, remote`
    );
  });

  it('says how to configure a registry when there is none', () => {
    // Act
    const resolve = () =>
      resolveTarget({ profiles: new Map(), default: undefined }, {}, file);

    // Assess
    expect(resolve).toThrow(ConfigError);
    expect(resolve).toThrow(
      /^no registry configured: run stagegate profile set/
    );
  });
});

describe('normalizeHost', () => {
  it('reduces a URL to its origin', () => {
    // Act & Assess
    expect(normalizeHost('http://127.0.0.1:8080/')).toBe(LOCAL);
    expect(normalizeHost(' https://registry.example.com ')).toBe(REMOTE);
    expect(normalizeHost('HTTPS://Registry.Example.com:443')).toBe(REMOTE);
  });

  it('refuses a host without a scheme instead of guessing one', () => {
    // Act & Assess
    for (const host of ['registry.example.com', '127.0.0.1:8080']) {
      expect(() => normalizeHost(host)).toThrow(ConfigError);
      expect(() => normalizeHost(host)).toThrow(
        `invalid host '${host}': give its scheme, e.g. https://${host} (or http:// for a local registry)`
      );
    }
  });

  it('refuses paths, credentials and other schemes', () => {
    // Act & Assess
    expect(() => normalizeHost('https://h/api')).toThrow(
      /give only the origin \(https:\/\/h\)/
    );
    expect(() => normalizeHost('https://u:p@h')).toThrow(/not in the URL/);
    expect(() => normalizeHost('ftp://h')).toThrow(/only http and https/);
  });
});

describe('maskToken', () => {
  it('shows none of the secret characters', () => {
    // Act & Assess
    expect(maskToken(LOCAL_TOKEN)).toBe('dapi********');
    expect(maskToken('s3cr3t')).toBe('********');
  });
});

/**
 * A registry's `GET /Me` for the given tokens (user names by token); any
 * other call or token is refused.
 */
function registryKnowing(tokens: Record<string, string>) {
  const calls: string[] = [];
  const fetcher = (async (
    input: string | URL | Request,
    init?: RequestInit
  ) => {
    const url = new URL(String(input));
    calls.push(`${init?.method ?? 'GET'} ${url.origin}${url.pathname}`);
    const token = new Headers(init?.headers)
      .get('authorization')
      ?.replace(/^Bearer /, '');
    const user = token === undefined ? undefined : tokens[token];
    if (url.pathname !== '/api/2.0/preview/scim/v2/Me' || !user) {
      return Response.json(
        { error_code: 'UNAUTHENTICATED', message: 'Invalid access token.' },
        { status: 401 }
      );
    }
    return Response.json({ userName: user, groups: [] });
  }) as typeof fetch;
  return { fetch: fetcher, calls };
}

describe('profile commands', () => {
  const env = () => ({ STAGEGATE_CONFIG: file });
  const registry = registryKnowing({
    [LOCAL_TOKEN]: 'admin',
    [REMOTE_TOKEN]: 'alice@example.com',
    'dapi-new': 'alice@example.com',
  });

  it('set saves the first profile as the default without printing the token', async () => {
    // Act
    const result = await runCli(
      ['profile', 'set', 'local', '--host', LOCAL, '--token', LOCAL_TOKEN],
      { env: env(), fetch: registry.fetch }
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `saved profile local (${LOCAL}, as admin), the default in ${file}\n`
    );
    expect(result.stdout + result.stderr).not.toContain(LOCAL_TOKEN);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('set reads the token from stdin for --token -', async () => {
    // Act
    await runCli(
      ['profile', 'set', 'remote', '--host', REMOTE, '--token', '-'],
      {
        env: env(),
        stdin: `${REMOTE_TOKEN}\n`,
        fetch: registry.fetch,
      }
    );
    const { config } = await loadConfig(file);

    // Assess
    expect(config.profiles.get('remote')).toEqual({
      host: REMOTE,
      token: REMOTE_TOKEN,
    });
  });

  it('set updates only the given field of an existing profile', async () => {
    // Prepare
    await saveConfig(file, twoProfiles);

    // Act
    const result = await runCli(
      ['profile', 'set', 'remote', '--token', 'dapi-new'],
      { env: env(), fetch: registry.fetch }
    );
    const { config } = await loadConfig(file);

    // Assess
    expect(result.code).toBe(0);
    expect(config.profiles.get('remote')).toEqual({
      host: REMOTE,
      token: 'dapi-new',
    });
    expect(config.default).toBe('local');
  });

  it('set checks the token with the registry and saves nothing it refuses', async () => {
    // Prepare
    const checked = registryKnowing({});

    // Act
    const result = await runCli(
      ['profile', 'set', 'local', '--host', LOCAL, '--token', 'dapi-revoked'],
      { env: env(), fetch: checked.fetch }
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `stagegate: the registry at ${LOCAL} refused the token; profile local was not saved\n`
    );
    expect(checked.calls).toEqual([`GET ${LOCAL}/api/2.0/preview/scim/v2/Me`]);
    expect(() => statSync(file)).toThrow();
  });

  it('set saves an unchecked profile with --no-verify', async () => {
    // Prepare
    const checked = registryKnowing({});

    // Act
    const result = await runCli(
      [
        'profile',
        'set',
        'later',
        '--host',
        REMOTE,
        '--token',
        REMOTE_TOKEN,
        '--no-verify',
      ],
      { env: env(), fetch: checked.fetch }
    );

    // Assess
    expect(result.code).toBe(0);
    expect(checked.calls).toEqual([]);
    expect((await loadConfig(file)).config.profiles.get('later')).toEqual({
      host: REMOTE,
      token: REMOTE_TOKEN,
    });
  });

  it('set refuses a new profile without a token (exit 2)', async () => {
    // Act
    const result = await runCli(['profile', 'set', 'x', '--host', LOCAL], {
      env: env(),
    });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('a new profile needs --host and --token');
  });

  it('list masks tokens and marks the default', async () => {
    // Prepare
    await saveConfig(file, twoProfiles);

    // Act
    const text = await runCli(['profile', 'list'], { env: env() });
    const json = await runCli(['profile', 'list', '--json'], { env: env() });

    // Assess
    expect(text.stdout).toBe(
      [
        '   NAME    HOST                          TOKEN',
        `*  local   ${LOCAL}         dapi********`,
        `   remote  ${REMOTE}  dapi********`,
        '',
      ].join('\n')
    );
    expect(json.stdout).not.toContain(LOCAL_TOKEN);
    expect(json.stdout).not.toContain(REMOTE_TOKEN);
  });

  it('use switches the default and refuses an unknown profile', async () => {
    // Prepare
    await saveConfig(file, twoProfiles);

    // Act
    const used = await runCli(['profile', 'use', 'remote'], { env: env() });
    const unknown = await runCli(['profile', 'use', 'nope'], { env: env() });
    const { config } = await loadConfig(file);

    // Assess
    expect(used.code).toBe(0);
    expect(config.default).toBe('remote');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('profile nope is not in');
  });

  it('remove deletes a profile and clears the default it was', async () => {
    // Prepare
    await saveConfig(file, twoProfiles);

    // Act
    const result = await runCli(['profile', 'remove', 'local'], { env: env() });
    const { config } = await loadConfig(file);

    // Assess
    expect(result.code).toBe(0);
    expect([...config.profiles.keys()]).toEqual(['remote']);
    expect(config.default).toBeUndefined();
  });
});
