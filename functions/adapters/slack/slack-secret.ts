import { readFile, stat } from 'node:fs/promises';
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

/**
 * The Slack secret in Secrets Manager, read through the AWS Parameters and
 * Secrets Lambda Extension (a layer of the functions that read it): a GET
 * on its local port, authenticated by the function's session token, which
 * the extension answers from its cache (5 minutes) or with the function's
 * own `GetSecretValue` permission on this one secret. No SDK client.
 */
export class SecretsExtensionSlackSecret implements SlackSecretSource {
  readonly #secretId: string;
  readonly #endpoint: string;

  constructor(options: {
    secretId: string;
    /** @default http://localhost:$PARAMETERS_SECRETS_EXTENSION_HTTP_PORT (2773) */
    endpoint?: string;
  }) {
    this.#secretId = options.secretId;
    this.#endpoint =
      options.endpoint ??
      `http://localhost:${process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? '2773'}`;
  }

  async get(): Promise<SlackCredentials | undefined> {
    const response = await fetch(
      `${this.#endpoint}/secretsmanager/get?secretId=${encodeURIComponent(this.#secretId)}`,
      {
        headers: {
          'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '',
        },
        signal: AbortSignal.timeout(5_000),
      }
    );
    const text = await response.text();
    if (!response.ok) {
      // Never the body: it could carry the value.
      throw new Error(
        `Reading the Slack secret failed with HTTP ${response.status}.`
      );
    }
    let answer: { SecretString?: unknown };
    try {
      answer = JSON.parse(text) as { SecretString?: unknown };
    } catch {
      return undefined;
    }
    return typeof answer.SecretString === 'string'
      ? parseSlackSecret(answer.SecretString)
      : undefined;
  }
}
