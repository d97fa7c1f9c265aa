import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type EmailLink, signLink } from '#domain/email/email-links.ts';
import { pollUntil } from './requests.ts';

/**
 * The local stack's mail outbox (`<data dir>/mail-outbox`, one `.eml` per
 * mail) read as a person's mail program would, and its link key, for the
 * tests that forge links the registry could have sent.
 */

export interface Mail {
  readonly file: string;
  readonly to: string;
  readonly subject: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly text: string;
  readonly html: string;
}

function dataDir(): string {
  const dir = inject('stagegateDataDir');
  if (dir === '') throw new Error('E-mail tests need the local stack.');
  return dir;
}

/** Every mail in the outbox, in sending order. */
export function outbox(): Mail[] {
  const dir = join(dataDir(), 'mail-outbox');
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.eml'));
  } catch {
    return [];
  }
  return names
    .sort()
    .map((name) => parseMail(name, readFileSync(join(dir, name), 'utf8')));
}

/** The mails to `address` whose subject names `model`. */
export function mailsTo(address: string, model: string): Mail[] {
  return outbox().filter(
    (mail) => mail.to === address && mail.subject.includes(model)
  );
}

/**
 * Waits until `address` has `count` mails about `model` (or 10 s pass) and
 * answers them: the caller asserts on what was found.
 */
export function awaitMails(
  address: string,
  model: string,
  count = 1
): Promise<Mail[]> {
  return pollUntil(
    async () => mailsTo(address, model),
    (mails) => mails.length >= count,
    { timeoutMs: 10_000, intervalMs: 50 }
  );
}

/** A message's headers and its decoded text and HTML parts. */
export function parseMail(file: string, raw: string): Mail {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(
      line.slice(0, colon).toLowerCase(),
      line.slice(colon + 1).trim()
    );
  }
  const body = rest.join('\r\n\r\n');
  const boundary = /boundary="([^"]+)"/.exec(
    headers.get('content-type') ?? ''
  )?.[1];
  const parts = new Map<string, string>();
  for (const part of body.split(`--${boundary}`)) {
    const [partHead = '', ...partBody] = part
      .replace(/^\r\n/, '')
      .split('\r\n\r\n');
    const type = /Content-Type: ([^;\r\n]+)/i.exec(partHead)?.[1];
    if (!type) continue;
    parts.set(
      type,
      Buffer.from(partBody.join('').replace(/\s+/g, ''), 'base64').toString(
        'utf8'
      )
    );
  }
  return {
    file,
    to: headers.get('to') ?? '',
    subject: decodeSubject(headers.get('subject') ?? ''),
    headers,
    text: parts.get('text/plain') ?? '',
    html: parts.get('text/html') ?? '',
  };
}

function decodeSubject(value: string): string {
  return value.replace(
    /=\?UTF-8\?B\?([^?]*)\?=\s*/g,
    (_match, encoded: string) => Buffer.from(encoded, 'base64').toString('utf8')
  );
}

/** The Approve and Reject links of an approval mail. */
export function linksOf(mail: Mail): { approve: string; reject: string } {
  const approve = /^Approve: (\S+)$/m.exec(mail.text)?.[1];
  const reject = /^Reject: (\S+)$/m.exec(mail.text)?.[1];
  if (!approve || !reject) {
    throw new Error(`No links in the mail to ${mail.to}: ${mail.text}`);
  }
  return { approve, reject };
}

/** The `link` token of a link's URL. */
export function tokenOf(url: string): string {
  const token = new URL(url).searchParams.get('link');
  if (!token) throw new Error(`No link token in ${url}`);
  return token;
}

/** The fields a token carries (as `signLink` wrote them). */
export function fieldsOf(token: string): EmailLink {
  const [, mailId = '', requestId = '', approverId = '', code, expiry = ''] =
    token.split('.');
  return {
    mailId,
    requestId,
    approverId,
    decision: code === 'a' ? 'approve' : 'reject',
    expiresAt: Number.parseInt(expiry, 36),
  };
}

/** A link signed with the stack's own key: one the registry could send. */
export function forgeLink(link: EmailLink): string {
  const key = readFileSync(join(dataDir(), 'email-link-key'), 'utf8').trim();
  return signLink(Buffer.from(key, 'utf8'), link);
}
