import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileSlackSecret,
  parseSlackSecret,
  SecretsExtensionSlackSecret,
  SLACK_API_URL,
} from '#adapters/slack/slack-secret.ts';
import { SlackWebApi } from '#adapters/slack/slack-web-api.ts';
import { SlackApiError } from '#ports/slack.ts';

describe('parseSlackSecret', () => {
  it("reads the bot token and signing secret, with Slack's API by default", () => {
    expect(
      parseSlackSecret('{"bot_token":"xoxb-1","signing_secret":"s"}')
    ).toEqual({
      botToken: 'xoxb-1',
      signingSecret: 's',
      apiUrl: SLACK_API_URL,
    });
    expect(
      parseSlackSecret(
        '{"bot_token":"xoxb-1","signing_secret":"s","api_url":"http://127.0.0.1:9/api"}'
      )?.apiUrl
    ).toBe('http://127.0.0.1:9/api');
  });

  it.each([
    ['a generated placeholder', 'x7!Kq#…'],
    ['JSON that is not an object', '"x"'],
    ['a missing signing secret', '{"bot_token":"xoxb-1"}'],
    ['an empty bot token', '{"bot_token":"","signing_secret":"s"}'],
  ])('reads %s as "not set up"', (_what, text) => {
    expect(parseSlackSecret(text)).toBeUndefined();
  });
});

describe('FileSlackSecret', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'slack-secret-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a private file, again when it changes, and nothing when it is missing', async () => {
    const path = join(dir, 'slack.json');
    const source = new FileSlackSecret(path);
    expect(await source.get()).toBeUndefined();
    writeFileSync(path, '{"bot_token":"a","signing_secret":"s"}', {
      mode: 0o600,
    });
    expect((await source.get())?.botToken).toBe('a');
    writeFileSync(path, '{"bot_token":"bb","signing_secret":"s"}');
    const later = new Date(Date.now() + 5_000);
    const { utimesSync } = await import('node:fs');
    utimesSync(path, later, later);
    expect((await source.get())?.botToken).toBe('bb');
  });

  it('refuses a file other accounts may read', async () => {
    const path = join(dir, 'open.json');
    writeFileSync(path, '{"bot_token":"a","signing_secret":"s"}');
    chmodSync(path, 0o644);
    await expect(new FileSlackSecret(path).get()).rejects.toThrow(/chmod 600/);
  });
});

describe('SlackWebApi', () => {
  let server: Server;
  let base: string;
  const seen: { path: string; auth?: string; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        seen.push({
          path: request.url ?? '',
          auth: request.headers.authorization,
          body,
        });
        const answers: Record<string, unknown> = {
          '/api/chat.postMessage': { ok: true, channel: 'C1', ts: '1.2' },
          '/api/chat.update': { ok: false, error: 'message_not_found' },
          '/extension/secretsmanager/get?secretId=x': {
            SecretString: '{"bot_token":"xoxb-e","signing_secret":"s"}',
          },
          '/api/users.info': {
            ok: true,
            user: {
              id: 'U1',
              is_email_confirmed: true,
              profile: { email: 'a@example.com' },
            },
          },
        };
        const answer = answers[request.url ?? ''];
        response.writeHead(answer || request.url === '/hook' ? 200 : 500, {
          'content-type': 'application/json',
        });
        response.end(JSON.stringify(answer ?? {}));
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve)
    );
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const api = () =>
    new SlackWebApi({ botToken: 'xoxb-secret', apiUrl: `${base}/api/` });

  it('posts with the bot token and answers where the message is', async () => {
    expect(await api().postMessage('C1', { text: 't', blocks: [] })).toEqual({
      channel: 'C1',
      ts: '1.2',
    });
    expect(seen.at(-1)?.auth).toBe('Bearer xoxb-secret');
  });

  it("reads a user's verified e-mail", async () => {
    expect(await api().userInfo('U1')).toEqual({
      id: 'U1',
      email: 'a@example.com',
      emailConfirmed: true,
      deleted: false,
      isBot: false,
    });
    expect(seen.at(-1)?.body).toBe('user=U1');
  });

  it("surfaces Slack's error, never the token", async () => {
    const failure = api().updateMessage(
      { channel: 'C1', ts: '1.2' },
      { text: 't', blocks: [] }
    );
    await expect(failure).rejects.toThrow(SlackApiError);
    await expect(failure).rejects.toThrow('message_not_found');
    await expect(api().openView('t', {})).rejects.not.toThrow('xoxb');
  });

  it('reads the secret through the Parameters and Secrets extension, with the session token', async () => {
    const source = new SecretsExtensionSlackSecret({
      secretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:slack',
      endpoint: base,
    });
    await expect(source.get()).rejects.toThrow(
      'Reading the Slack secret failed with HTTP 500.'
    );
    expect(seen.at(-1)?.path).toBe(
      '/secretsmanager/get?secretId=arn%3Aaws%3Asecretsmanager%3Aeu-west-1%3A1%3Asecret%3Aslack'
    );
    const answering = new SecretsExtensionSlackSecret({
      secretId: 'x',
      endpoint: `${base}/extension`,
    });
    expect(await answering.get()).toEqual({
      botToken: 'xoxb-e',
      signingSecret: 's',
      apiUrl: SLACK_API_URL,
    });
  });

  it("answers only to Slack's hooks host or the configured API's origin", async () => {
    await api().respond(`${base}/hook`, 'no');
    expect(JSON.parse(seen.at(-1)?.body ?? '{}')).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'no',
    });
    await expect(
      api().respond('http://169.254.169.254/latest', 'x')
    ).rejects.toThrow('not a Slack response URL');
    await expect(api().respond('not a url', 'x')).rejects.toThrow(
      SlackApiError
    );
  });
});
