import type { SlackMessage, SlackView } from '#domain/slack/messages.ts';
import {
  type SlackApi,
  SlackApiError,
  type SlackCredentials,
  type SlackMessageLocation,
  type SlackUser,
} from '#ports/slack.ts';

/** One Web API call's bound; `views.open` has less (its trigger lasts 3 s). */
const CALL_TIMEOUT_MS = 5_000;
const VIEW_TIMEOUT_MS = 2_500;

/** Slack's own host of `response_url`s. */
const RESPONSE_HOST = 'hooks.slack.com';

/**
 * {@link SlackApi} over Slack's Web API (`<apiUrl>/<method>`, the bot token
 * as a bearer), with `fetch`. The base URL is the credentials' `apiUrl`, so
 * a stand-in can take Slack's place. Tokens never appear in errors.
 */
export class SlackWebApi implements SlackApi {
  readonly #token: string;
  readonly #base: string;

  constructor(credentials: Pick<SlackCredentials, 'botToken' | 'apiUrl'>) {
    this.#token = credentials.botToken;
    this.#base = credentials.apiUrl.replace(/\/+$/, '');
  }

  async postMessage(
    channel: string,
    message: SlackMessage
  ): Promise<SlackMessageLocation> {
    const answer = await this.#call('chat.postMessage', {
      channel,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
    });
    if (typeof answer.channel !== 'string' || typeof answer.ts !== 'string') {
      throw new SlackApiError('chat.postMessage', 'no channel or ts');
    }
    return { channel: answer.channel, ts: answer.ts };
  }

  async updateMessage(
    location: SlackMessageLocation,
    message: SlackMessage
  ): Promise<void> {
    await this.#call('chat.update', {
      channel: location.channel,
      ts: location.ts,
      text: message.text,
      blocks: message.blocks,
    });
  }

  async userInfo(userId: string): Promise<SlackUser> {
    const answer = await this.#call(
      'users.info',
      new URLSearchParams({ user: userId })
    );
    const user = (answer.user ?? {}) as Record<string, unknown>;
    const profile = (user.profile ?? {}) as Record<string, unknown>;
    return {
      id: typeof user.id === 'string' ? user.id : userId,
      ...(typeof profile.email === 'string' ? { email: profile.email } : {}),
      emailConfirmed: user.is_email_confirmed === true,
      deleted: user.deleted === true,
      isBot: user.is_bot === true,
    };
  }

  async openView(triggerId: string, view: SlackView): Promise<void> {
    await this.#call(
      'views.open',
      { trigger_id: triggerId, view },
      VIEW_TIMEOUT_MS
    );
  }

  async respond(responseUrl: string, text: string): Promise<void> {
    if (!this.#isResponseUrl(responseUrl)) {
      throw new SlackApiError('response_url', 'not a Slack response URL');
    }
    const response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({
        response_type: 'ephemeral',
        replace_original: false,
        text,
      }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) {
      throw new SlackApiError('response_url', `HTTP ${response.status}`);
    }
  }

  /**
   * Answers go to Slack's hooks host over https, or to the configured API's
   * origin (a stand-in): never to an address a payload made up.
   */
  #isResponseUrl(value: string): boolean {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    return (
      (url.protocol === 'https:' && url.hostname === RESPONSE_HOST) ||
      url.origin === new URL(this.#base).origin
    );
  }

  async #call(
    method: string,
    body: Record<string, unknown> | URLSearchParams,
    timeoutMs = CALL_TIMEOUT_MS
  ): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(`${this.#base}/${method}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.#token}`,
          'content-type':
            body instanceof URLSearchParams
              ? 'application/x-www-form-urlencoded'
              : 'application/json; charset=utf-8',
        },
        body: body instanceof URLSearchParams ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new SlackApiError(
        method,
        error instanceof Error ? error.name : 'request failed'
      );
    }
    const text = await response.text();
    let answer: Record<string, unknown> = {};
    try {
      answer = JSON.parse(text) as Record<string, unknown>;
    } catch {
      answer = {};
    }
    if (!response.ok || answer.ok !== true) {
      throw new SlackApiError(
        method,
        typeof answer.error === 'string'
          ? answer.error
          : `HTTP ${response.status}`
      );
    }
    return answer;
  }
}
