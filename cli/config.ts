/**
 * Profiles: named registries (host + token) in one JSON file, so one machine
 * works against a local and a remote registry, and the rules that pick the
 * registry and token of a call.
 */
import { randomBytes } from 'node:crypto';
import {
  chmod,
  mkdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from './errors.ts';

export interface Profile {
  readonly host: string;
  readonly token: string;
}

export interface Config {
  /** A Map, so a profile named like an Object.prototype key is just a name. */
  readonly profiles: ReadonlyMap<string, Profile>;
  readonly default: string | undefined;
}

/** The registry and token one invocation talks to, and where each came from. */
export interface Target {
  /** An origin such as `https://registry.example.com` (the API is served at its root). */
  readonly host: string;
  readonly token: string;
  /** The profile that supplied the host or the token, if any. */
  readonly profile: string | undefined;
  /** `--host`, `STAGEGATE_HOST`, `DATABRICKS_HOST` or `profile <name>`. */
  readonly hostSource: string;
  /** `--token`, `STAGEGATE_TOKEN`, `DATABRICKS_TOKEN` or `profile <name>`. */
  readonly tokenSource: string;
}

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `$STAGEGATE_CONFIG`, else `~/.stagegate/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.STAGEGATE_CONFIG || join(homedir(), '.stagegate', 'config.json');
}

export function validateProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new ConfigError(
      `invalid profile name '${name}': use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)`
    );
  }
  return name;
}

/**
 * A registry origin from what a user typed. The scheme is required: a
 * guessed https (as the Databricks CLI assumes) made `127.0.0.1:8080`, a
 * local http registry, fail with a TLS error that named neither. A path,
 * query or credentials are refused, because the API lives at the origin
 * root.
 * @throws ConfigError for anything that is not an http(s) origin.
 */
export function normalizeHost(raw: string): string {
  const text = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new ConfigError(
      `invalid host '${raw}': give its scheme, e.g. https://${text || 'registry.example.com'} (or http:// for a local registry)`
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(
      `invalid host '${raw}': expected a URL such as https://registry.example.com`
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(
      `invalid host '${raw}': only http and https are supported`
    );
  }
  if (url.username || url.password) {
    throw new ConfigError(
      `invalid host '${raw}': put the token in --token, not in the URL`
    );
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new ConfigError(
      `invalid host '${raw}': give only the origin (${url.origin}); the registry serves its API at the root`
    );
  }
  return url.origin;
}

/**
 * Reads the config file; a missing file is an empty config.
 * @returns the config and warnings to print (such as loose file permissions).
 * @throws ConfigError when the file is not a valid config.
 */
export async function loadConfig(
  path: string
): Promise<{ config: Config; warnings: string[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return {
        config: { profiles: new Map(), default: undefined },
        warnings: [],
      };
    }
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const warnings: string[] = [];
  const mode = (await stat(path)).mode & 0o777;
  if (mode & 0o077) {
    warnings.push(
      `warning: ${path} holds tokens and is readable by others (mode ${mode.toString(8)}); run chmod 600 ${path}`
    );
  }
  return { config: parseConfig(text, path), warnings };
}

export function parseConfig(text: string, path: string): Config {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `${path} is not valid JSON: ${(error as Error).message}`
    );
  }
  const invalid = (why: string) =>
    new ConfigError(`${path} is not a stagegate config: ${why}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('expected an object');
  }
  const { profiles: rawProfiles = {}, default: rawDefault } = json as Record<
    string,
    unknown
  >;
  if (typeof rawProfiles !== 'object' || rawProfiles === null) {
    throw invalid('profiles must be an object');
  }
  const profiles = new Map<string, Profile>();
  for (const [name, value] of Object.entries(rawProfiles)) {
    const entry = value as Record<string, unknown> | null;
    if (typeof entry?.host !== 'string' || typeof entry.token !== 'string') {
      throw invalid(`profile ${name} needs a host and a token`);
    }
    profiles.set(name, { host: entry.host, token: entry.token });
  }
  if (rawDefault !== undefined && typeof rawDefault !== 'string') {
    throw invalid('default must be a profile name');
  }
  return { profiles, default: rawDefault };
}

/**
 * Writes the config readable by its owner only: a 0600 temporary file in
 * the same directory renamed over the old one, so a crash never leaves a
 * half-written file and the token is never briefly world-readable.
 */
export async function saveConfig(path: string, config: Config): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const json = {
    profiles: Object.fromEntries(config.profiles),
    ...(config.default !== undefined ? { default: config.default } : {}),
  };
  const temporary = join(dir, `.config-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, `${JSON.stringify(json, null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    // The umask cannot widen 0600, but a stricter one could narrow it.
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** A token for display: never any of its secret characters. */
export function maskToken(token: string): string {
  return token.startsWith('dapi') ? 'dapi********' : '********';
}

export interface TargetOptions {
  readonly host?: string | undefined;
  readonly token?: string | undefined;
  readonly profile?: string | undefined;
}

/**
 * Picks the registry and token of a call. The host comes from the first of
 * `--host`, `STAGEGATE_HOST`, `DATABRICKS_HOST`, the `--profile` profile,
 * the default profile. The token comes from the same order, with one rule
 * on top: a token is sent only to the host it was configured with. So
 * `STAGEGATE_TOKEN` is used only when `STAGEGATE_HOST` is unset or is that
 * host (likewise the `DATABRICKS_` pair), and a profile's token only for
 * the profile's own host; `--token` goes wherever the call goes.
 * @throws ConfigError when no host or no token applies, or the profile is unknown.
 */
export function resolveTarget(
  config: Config,
  options: TargetOptions,
  configFile: string,
  env: NodeJS.ProcessEnv = process.env
): Target {
  const profileName = options.profile ?? config.default;
  let profile: Profile | undefined;
  if (profileName !== undefined) {
    profile = config.profiles.get(profileName);
    if (!profile) {
      const known = [...config.profiles.keys()];
      throw new ConfigError(
        `profile ${profileName}${options.profile === undefined ? ' (the default)' : ''} is not in ${configFile}` +
          (known.length > 0
            ? `; known profiles: ${known.join(', ')}`
            : '; add it with stagegate profile set')
      );
    }
  }
  const fromProfile = `profile ${profileName}`;
  const hostCandidates: [string | undefined, string][] = [
    [options.host, '--host'],
    [env.STAGEGATE_HOST, 'STAGEGATE_HOST'],
    [env.DATABRICKS_HOST, 'DATABRICKS_HOST'],
    [profile?.host, fromProfile],
  ];
  const [rawHost, hostSource] = hostCandidates.find(([value]) => value) ?? [];
  if (rawHost === undefined || hostSource === undefined) {
    throw new ConfigError(
      'no registry configured: run stagegate profile set <name> --host <url> --token <token>, or set STAGEGATE_HOST and STAGEGATE_TOKEN'
    );
  }
  const host = normalizeHost(rawHost);
  const sameHost = (other: string | undefined) =>
    other === undefined || other === '' || safeNormalize(other) === host;
  const tokenCandidates: [string | undefined, string][] = [
    [options.token, '--token'],
    [
      sameHost(env.STAGEGATE_HOST) ? env.STAGEGATE_TOKEN : undefined,
      'STAGEGATE_TOKEN',
    ],
    [
      sameHost(env.DATABRICKS_HOST) ? env.DATABRICKS_TOKEN : undefined,
      'DATABRICKS_TOKEN',
    ],
    [
      profile && safeNormalize(profile.host) === host
        ? profile.token
        : undefined,
      fromProfile,
    ],
  ];
  const [token, tokenSource] = tokenCandidates.find(([value]) => value) ?? [];
  if (token === undefined || tokenSource === undefined) {
    throw new ConfigError(
      `no token for ${host}: pass --token, set STAGEGATE_TOKEN, or save one with stagegate profile set <name> --host ${host} --token <token>`
    );
  }
  const usesProfile = hostSource === fromProfile || tokenSource === fromProfile;
  return {
    host,
    token,
    profile: usesProfile ? profileName : undefined,
    hostSource,
    tokenSource,
  };
}

function safeNormalize(raw: string): string | undefined {
  try {
    return normalizeHost(raw);
  } catch {
    return undefined;
  }
}
