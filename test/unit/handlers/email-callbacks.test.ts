import { describe, expect, it } from 'vitest';
import type { EmailDecisionDependencies } from '#domain/email/email-decisions.ts';
import { signLink } from '#domain/email/email-links.ts';
import { emailCallbacksRoot } from '#roots/api/email-callbacks.ts';
import { createTestContext, createTestEvent } from '#test/support/events.ts';
import { governanceDependencies, T0 } from '#test/support/governance.ts';
import { MemoryEmailLedger } from '#test/support/memory-email-ledger.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';

const KEY = Buffer.alloc(32, 3);
const PATH = '/callbacks/email/decision';

function handler() {
  const deps: EmailDecisionDependencies = {
    ...governanceDependencies(),
    identities: new MemoryIdentityStore(),
    ledger: new MemoryEmailLedger(),
    linkKey: async () => KEY,
  };
  return emailCallbacksRoot.build(deps);
}

function call(options: Parameters<typeof createTestEvent>[0]) {
  return handler()(
    createTestEvent({ path: PATH, authorizer: null, ...options }),
    createTestContext()
  );
}

const unknownRequest = signLink(KEY, {
  mailId: 'a'.repeat(32),
  requestId: 'b'.repeat(32),
  approverId: '1234567890123456',
  decision: 'approve',
  expiresAt: T0 + 3_600_000,
});

describe('the e-mail link page', () => {
  it('refuses input nested past the JSON depth limit with a 400, before reading it', async () => {
    // Prepare
    const deep = `${'[{"key":'.repeat(5000)}"x"${'}]'.repeat(5000)}`;

    // Act
    const answer = await call({
      method: 'POST',
      body: `{"link":"${unknownRequest}","comment":${deep}}`,
    });

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body ?? '{}')).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
    });
  });

  it('answers a browser with a page and an API client with an error body', async () => {
    // Act
    const page = await call({
      rawQueryString: `link=${unknownRequest}`,
      headers: { accept: 'text/html' },
    });
    const json = await call({ rawQueryString: `link=${unknownRequest}` });
    const form = await call({
      method: 'POST',
      body: `link=${unknownRequest}&archive_existing_versions=maybe`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const text = await call({
      method: 'POST',
      body: 'link',
      headers: { 'content-type': 'text/plain' },
    });

    // Assess
    expect(page.statusCode).toBe(409);
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    expect(page.body).toContain('This request no longer exists.');
    expect(JSON.parse(json.body ?? '{}')).toEqual({
      error_code: 'INVALID_STATE',
      message: 'This request no longer exists.',
    });
    expect(form.statusCode).toBe(400);
    expect(text.statusCode).toBe(400);
  });
});
