/** `profile set|list|use|remove`: the config file's registries. */

import { ApiError, RegistryClient } from '../client.ts';
import {
  type Config,
  loadConfig,
  maskToken,
  normalizeHost,
  type Profile,
  saveConfig,
  validateProfileName,
} from '../config.ts';
import { CliError, ConfigError, describeError, UsageError } from '../errors.ts';
import type { Context } from '../main.ts';
import { renderTable } from '../output.ts';

async function load(context: Context): Promise<Config> {
  const { config, warnings } = await loadConfig(context.configFile);
  for (const warning of warnings) context.info(warning);
  return config;
}

function requireProfile(context: Context, config: Config, name: string) {
  if (!config.profiles.has(name)) {
    const known = [...config.profiles.keys()];
    throw new ConfigError(
      `profile ${name} is not in ${context.configFile}${known.length > 0 ? `; known profiles: ${known.join(', ')}` : ''}`
    );
  }
}

/**
 * Saves a profile once its token works: `GET /Me` with it must answer, so
 * a typo in the host or a revoked token is found now, not at the next
 * command. `--no-verify` saves without asking (a registry not reachable
 * from here yet).
 */
export async function profileSet(context: Context): Promise<void> {
  const name = validateProfileName(context.arg('name'));
  const config = await load(context);
  const existing = config.profiles.get(name);
  const rawHost = context.option('host');
  let token = context.option('token');
  if (token === '-') token = (await context.io.readStdin()).trim();
  if (token === '') throw new UsageError('the token is empty', 'profile set');
  const host = rawHost === undefined ? existing?.host : normalizeHost(rawHost);
  const finalToken = token ?? existing?.token;
  if (host === undefined || finalToken === undefined) {
    throw new UsageError(
      `a new profile needs --host and --token`,
      'profile set'
    );
  }
  let who: string | undefined;
  if (!context.flag('no-verify')) {
    const client = new RegistryClient(
      {
        host,
        token: finalToken,
        profile: name,
        hostSource: `profile ${name}`,
        tokenSource: `profile ${name}`,
      },
      {
        ...(context.io.fetch ? { fetch: context.io.fetch } : {}),
        signal: context.signal,
      }
    );
    try {
      who = (await client.me()).userName;
    } catch (error) {
      const { message } = describeError(error);
      throw new CliError(
        error instanceof ApiError && error.status === 401
          ? `the registry at ${host} refused the token; profile ${name} was not saved`
          : `${message}; profile ${name} was not saved (--no-verify saves it without checking)`,
        { cause: error }
      );
    }
  }
  const profile: Profile = { host, token: finalToken };
  const profiles = new Map(config.profiles).set(name, profile);
  const isDefault = config.default === undefined || config.default === name;
  await saveConfig(context.configFile, {
    profiles,
    default: config.default ?? name,
  });
  context.emit(
    { name, host, user_name: who, default: isDefault },
    () =>
      `saved profile ${name} (${host}${who ? `, as ${who}` : ''})${isDefault ? ', the default' : ''} in ${context.configFile}`
  );
}

export async function profileList(context: Context): Promise<void> {
  const config = await load(context);
  const entries = [...config.profiles].sort(([a], [b]) => (a < b ? -1 : 1));
  context.emit(
    {
      profiles: entries.map(([name, p]) => ({
        name,
        host: p.host,
        token: maskToken(p.token),
        default: name === config.default,
      })),
    },
    () => {
      if (entries.length === 0) {
        context.info(
          `no profiles in ${context.configFile}; add one with stagegate profile set <name> --host <url> --token <token>`
        );
        return undefined;
      }
      return renderTable(
        ['', 'NAME', 'HOST', 'TOKEN'],
        entries.map(([profileName, p]) => [
          profileName === config.default ? '*' : '',
          profileName,
          p.host,
          maskToken(p.token),
        ])
      );
    }
  );
}

export async function profileUse(context: Context): Promise<void> {
  const name = context.arg('name');
  const config = await load(context);
  requireProfile(context, config, name);
  await saveConfig(context.configFile, { ...config, default: name });
  context.print(`profile ${name} is now the default`);
}

export async function profileRemove(context: Context): Promise<void> {
  const name = context.arg('name');
  const config = await load(context);
  requireProfile(context, config, name);
  const profiles = new Map(config.profiles);
  profiles.delete(name);
  const wasDefault = config.default === name;
  await saveConfig(context.configFile, {
    profiles,
    default: wasDefault ? undefined : config.default,
  });
  context.print(
    `removed profile ${name}${wasDefault ? '; there is no default profile now (stagegate profile use <name>)' : ''}`
  );
}
