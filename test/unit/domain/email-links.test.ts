import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LINK_TTL_MS,
  type EmailLink,
  linkExpiry,
  signLink,
  verifyLink,
} from '#domain/email/email-links.ts';
import {
  escapeHtml,
  isMailAddress,
  renderMail,
} from '#domain/email/email-mime.ts';

const KEY = Buffer.alloc(32, 1);
const NOW = 1_700_000_000_000;
const LINK: EmailLink = {
  mailId: '0123456789abcdef0123456789abcdef',
  requestId: 'fedcba9876543210fedcba9876543210',
  approverId: '1234567890123456',
  decision: 'approve',
  expiresAt: NOW + 1000,
};

describe('signLink / verifyLink', () => {
  it('answers the link it signed, until it expires', () => {
    // Act
    const token = signLink(KEY, LINK);

    // Assess
    expect(token).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(verifyLink(KEY, token, NOW)).toEqual({ ok: true, link: LINK });
    expect(verifyLink(KEY, token, NOW + 1000)).toEqual({
      ok: false,
      refusal: 'expired',
    });
  });

  it.each([
    ['the request', (parts: string[]) => (parts[2] = 'a'.repeat(32))],
    ['the approver', (parts: string[]) => (parts[3] = '6543210987654321')],
    ['the decision', (parts: string[]) => (parts[4] = 'r')],
    ['the expiry', (parts: string[]) => (parts[5] = 'zzzzzzzz')],
    ['the mail', (parts: string[]) => (parts[1] = 'b'.repeat(32))],
  ])('refuses a link whose %s was changed as tampered', (_field, change) => {
    // Prepare
    const parts = signLink(KEY, LINK).split('.');
    change(parts);

    // Act
    const verified = verifyLink(KEY, parts.join('.'), NOW);

    // Assess
    expect(verified).toEqual({ ok: false, refusal: 'tampered' });
  });

  it('refuses a link signed with another key as tampered', () => {
    expect(verifyLink(Buffer.alloc(32, 2), signLink(KEY, LINK), NOW)).toEqual({
      ok: false,
      refusal: 'tampered',
    });
  });

  it.each([
    '',
    'v1',
    'v2.a.b.c.a.1.sig',
    'v1.a.b.c.x.1.sig',
    'v1.a.b.c d.a.1.sig',
    'v1.a.b.c.a.!!.sig',
    `v1.${'a'.repeat(600)}`,
  ])('refuses %j as malformed', (token) => {
    expect(verifyLink(KEY, token, NOW)).toEqual({
      ok: false,
      refusal: 'malformed',
    });
  });

  it('will not sign with a short key or an id that does not fit a link', () => {
    expect(() => signLink(Buffer.alloc(16), LINK)).toThrow(/at least 32/);
    expect(() => signLink(KEY, { ...LINK, approverId: 'a.b' })).toThrow(
      /Not a link id/
    );
  });
});

describe('linkExpiry', () => {
  it('lasts 72 hours by default, never past the request', () => {
    expect(linkExpiry(NOW, NOW + 10 * DEFAULT_LINK_TTL_MS)).toBe(
      NOW + 72 * 3600 * 1000
    );
    expect(linkExpiry(NOW, NOW + 3600 * 1000)).toBe(NOW + 3600 * 1000);
    expect(linkExpiry(NOW, NOW + DEFAULT_LINK_TTL_MS, 1000)).toBe(NOW + 1000);
  });
});

describe('renderMail', () => {
  const mail = {
    id: 'abc',
    from: 'registry@example.com',
    to: 'alice@example.com',
    subject: 'Approval requested: fraud version 1 to Staging',
    text: 'Approve: https://x/?link=a.b',
    html: '<p>hi</p>',
    date: NOW,
  };

  it('renders a 7-bit multipart message with both parts in base64', () => {
    // Act
    const { raw } = renderMail(mail);

    // Assess
    expect(raw).toContain('From: registry@example.com\r\n');
    expect(raw).toContain('To: alice@example.com\r\n');
    expect(raw).toContain('Message-ID: <abc@example.com>\r\n');
    expect(raw).toContain('Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n');
    expect(raw).toContain(
      `\r\n${Buffer.from(mail.text).toString('base64')}\r\n`
    );
    expect(raw).toMatch(/^[\x20-\x7e\r\n]*$/);
    expect(raw.split('\r\n').every((line) => line.length <= 998)).toBe(true);
  });

  it('encodes a subject that is not plain ASCII, and keeps it one header', () => {
    // Act
    const { raw } = renderMail({
      ...mail,
      subject: 'Modèle « fraude »\r\nBcc: evil@example.com',
    });

    // Assess
    const subject = /\r\nSubject: (.*?)\r\n(?! )/s.exec(raw)?.[1] ?? '';
    expect(subject).toMatch(/^=\?UTF-8\?B\?/);
    const decoded = subject.replace(
      /=\?UTF-8\?B\?([^?]*)\?=\s*/g,
      (_m, b64: string) => Buffer.from(b64, 'base64').toString('utf8')
    );
    expect(decoded).toBe('Modèle « fraude » Bcc: evil@example.com');
    expect(raw).not.toMatch(/\r\nBcc:/);
  });

  it('refuses anything but plain addresses', () => {
    expect(() => renderMail({ ...mail, to: 'a@b.c\r\nBcc: x@y.z' })).toThrow();
    expect(isMailAddress('alice@example.com')).toBe(true);
    expect(isMailAddress('admin')).toBe(false);
    expect(isMailAddress('Alice <alice@example.com>')).toBe(false);
    expect(isMailAddress('alice@localhost')).toBe(false);
  });
});

describe('escapeHtml', () => {
  it('escapes what could end text or an attribute', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;'
    );
  });
});
