import type { OutgoingMail } from '#ports/mail-transport.ts';

/** A mail as the registry composes it, before rendering. */
export interface MailContent {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Epoch milliseconds. */
  readonly date: number;
}

/**
 * What the registry mails to: a plain address (`local@domain`), the form
 * a user name takes when it is an e-mail (SCIM `emails`). Anything else
 * (display names, lists, quoted parts, line breaks) is not an address.
 */
const ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

export function isMailAddress(value: string): boolean {
  return value.length <= 254 && ADDRESS.test(value);
}

/**
 * The message as RFC 5322 text: `multipart/alternative` with a plain-text
 * and an HTML part, each base64 (so the message is 7-bit, with short
 * lines, through any transport); the subject as an RFC 2047 word when it
 * is not plain ASCII.
 * @throws Error when `from` or `to` is not an address.
 */
export function renderMail(mail: MailContent): OutgoingMail {
  for (const address of [mail.from, mail.to]) {
    if (!isMailAddress(address)) throw new Error(`Not a mail address.`);
  }
  const boundary = `=_stagegate_${mail.id}`;
  const domain = mail.from.slice(mail.from.lastIndexOf('@') + 1);
  const lines = [
    `From: ${mail.from}`,
    `To: ${mail.to}`,
    `Subject: ${headerText(mail.subject)}`,
    `Date: ${new Date(mail.date).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${mail.id}@${domain}>`,
    'MIME-Version: 1.0',
    'Auto-Submitted: auto-generated',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    ...part('text/plain', mail.text),
    `--${boundary}`,
    ...part('text/html', mail.html),
    `--${boundary}--`,
    '',
  ];
  return { id: mail.id, from: mail.from, to: mail.to, raw: lines.join('\r\n') };
}

function part(type: string, body: string): string[] {
  const encoded = Buffer.from(body, 'utf8').toString('base64');
  return [
    `Content-Type: ${type}; charset=utf-8`,
    'Content-Transfer-Encoding: base64',
    '',
    ...(encoded.match(/.{1,76}/g) ?? []),
  ];
}

/** A header's text: one line, RFC 2047 encoded unless printable ASCII. */
function headerText(value: string): string {
  const flat = value.replace(/[\r\n\t]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(flat) && flat.length <= 900) return flat;
  // Encoded words of at most 75 characters, split between characters.
  const words: string[] = [];
  let chunk = '';
  for (const character of flat) {
    if (Buffer.byteLength(chunk + character) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += character;
  }
  if (chunk !== '') words.push(chunk);
  return words
    .map((word) => `=?UTF-8?B?${Buffer.from(word).toString('base64')}?=`)
    .join('\r\n ');
}

/** Text for HTML: the five characters that matter escaped. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
