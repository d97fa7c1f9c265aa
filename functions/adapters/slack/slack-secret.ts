import { readFile, stat } from 'node:fs/promises';
import { AwsJsonClient, AwsServiceError } from '#adapters/aws/json-client.ts';
import type { SlackCredentials, SlackSecretSource } from '#ports/slack.ts';

/** Slack's Web API, unless the secret names a stand-in. */
export const SLACK_API_URL = 'https://slack.com/api';

/**
 * The secret's value: JSON with `bot_token` (`xoxb-…`) and
 * `signing_secret`, and optionally `api_url` (a Slack stand-in). Anything
 * else (the placeholder the stack creates, a half-filled value) is "not
 * set up".
 */
export function parseSlackSecret(text: string): SlackCredentials | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  const { bot_token: botToken, signing_secret: signingSecret } = fields;
  if (
    typeof botToken !== 'string' ||
    typeof signingSecret !== 'string' ||
    botToken === '' ||
    signingSecret === ''
  ) {
    return undefined;
  }
  const apiUrl =
    typeof fields.api_url === 'string' && /^https?:\/\//.test(fields.api_url)
      ? fields.api_url
      : SLACK_API_URL;
  return { botToken, signingSecret, apiUrl };
}

/**
 * The local runtime's Slack secret: `<data dir>/slack.json`, which must
 * be private to its owner (0600); read again whenever it changes.
 */
export class FileSlackSecret implements SlackSecretSource {
  readonly #path: string;
  #cached: { mtimeMs: number; value: SlackCredentials | undefined } | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  async get(): Promise<SlackCredentials | undefined> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(this.#path);
    } catch {
      return undefined;
    }
    if ((info.mode & 0o077) !== 0) {
      throw new Error(
        `${this.#path} is readable by other accounts: chmod 600 it (it holds the Slack bot token and signing secret).`
      );
    }
    if (this.#cached?.mtimeMs !== info.mtimeMs) {
      this.#cached = {
        mtimeMs: info.mtimeMs,
        value: parseSlackSecret(await readFile(this.#path, 'utf8')),
      };
    }
    return this.#cached.value;
  }
}

/** How long a function trusts the secret it read (a rotation's delay). */
const SECRET_TTL_MS = 5 * 60 * 1000;

/**
 * The Slack secret in Secrets Manager (`GetSecretValue`, the one call the
 * function's role may make, on this one secret), kept for five minutes.
 */
export class SecretsManagerSlackSecret implements SlackSecretSource {
  readonly #secretId: string;
  readonly #client: AwsJsonClient;
  #cached: { at: number; value: SlackCredentials | undefined } | undefined;

  constructor(options: { secretId: string; client?: AwsJsonClient }) {
    this.#secretId = options.secretId;
    this.#client =
      options.client ??
      new AwsJsonClient({
        service: {
          service: 'secretsmanager',
          targetPrefix: 'secretsmanager',
          jsonVersion: '1.1',
        },
      });
  }

  async get(): Promise<SlackCredentials | undefined> {
    const now = Date.now();
    if (this.#cached && now - this.#cached.at < SECRET_TTL_MS) {
      return this.#cached.value;
    }
    let text: string | undefined;
    try {
      const answer = await this.#client.send<{ SecretString?: string }>(
        'GetSecretValue',
        { SecretId: this.#secretId }
      );
      text = answer.SecretString;
    } catch (error) {
      // No value set yet: Slack is not set up.
      if (
        !(error instanceof AwsServiceError) ||
        error.code !== 'ResourceNotFoundException'
      ) {
        throw error;
      }
    }
    const value = text === undefined ? undefined : parseSlackSecret(text);
    this.#cached = { at: now, value };
    return value;
  }
}
