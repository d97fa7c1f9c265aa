import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '#domain/errors.ts';
import {
  slackSignature,
  verifySlackSignature,
} from '#domain/slack/signature.ts';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = 1_700_000_000_000;
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

function signed(overrides: {
  timestamp?: string;
  signature?: string;
  rawBody?: string;
  nowMs?: number;
}) {
  const timestamp = String(NOW / 1000);
  return {
    signingSecret: SECRET,
    timestamp,
    signature: slackSignature(SECRET, timestamp, BODY),
    rawBody: BODY,
    nowMs: NOW,
    ...overrides,
  };
}

describe('verifySlackSignature', () => {
  it("accepts Slack's v0 signature of the raw body, and answers its timestamp", () => {
    expect(verifySlackSignature(signed({}))).toBe(NOW / 1000);
  });

  it('computes the documented HMAC-SHA256 of v0:<timestamp>:<body>', () => {
    // Slack's own example (api.slack.com/authentication/verifying-requests-from-slack).
    expect(
      slackSignature(
        '8f742231b10e8888abcd99yyyzzz85a5',
        '1531420618',
        'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
      )
    ).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503'
    );
  });

  it.each([
    ['a timestamp more than 5 minutes old', { nowMs: NOW + 301_000 }],
    ['a timestamp more than 5 minutes ahead', { nowMs: NOW - 301_000 }],
    ['no timestamp', { timestamp: undefined }],
    ['a timestamp that is not a number', { timestamp: '17e8' }],
    ['no signature', { signature: undefined }],
    ['a signature of another form', { signature: 'v1=abc' }],
    [
      'a signature made with another secret',
      {
        signature: slackSignature('another', String(NOW / 1000), BODY),
      },
    ],
    ['another body', { rawBody: `${BODY}&x=1` }],
  ])('refuses %s', (_what, overrides) => {
    const act = () =>
      verifySlackSignature(signed(overrides as Parameters<typeof signed>[0]));
    expect(act).toThrow(UnauthenticatedError);
  });

  it('accepts a timestamp exactly 5 minutes old', () => {
    expect(verifySlackSignature(signed({ nowMs: NOW + 300_000 }))).toBe(
      NOW / 1000
    );
  });
});
