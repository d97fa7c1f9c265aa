import { fileURLToPath } from 'node:url';
import { FileMailTransport } from '#adapters/email/file-mail-transport.ts';
import {
  fileLinkKey,
  type LinkKeySource,
  secretLinkKey,
} from '#adapters/email/link-keys.ts';
import { SesMailTransport } from '#adapters/email/ses-mail-transport.ts';
import { SmtpMailTransport } from '#adapters/email/smtp-mail-transport.ts';
import { DEFAULT_LINK_TTL_MS } from '#domain/email/email-links.ts';
import { isMailAddress } from '#domain/email/email-mime.ts';
import type { MailTransport } from '#ports/mail-transport.ts';
import { getOptionalStringFromEnv, getStringFromEnv } from '../config.ts';
import { needEnvironment } from '../needs.ts';
import type { MailChannel } from '../resources.ts';

/**
 * The mail channel from `MAIL_TRANSPORT`: `ses` (the stack's SES
 * identity), an `smtp://` or `smtps://` URL (a relay), a `file:` URL (the
 * local runtime's `<data dir>/mail-outbox`), or `off`. With a transport, `MAIL_FROM` (the sender) and
 * `STAGEGATE_PUBLIC_URL` (where links point) must be set;
 * `EMAIL_LINK_TTL_HOURS` bounds the links' lifetime (default 72).
 * @throws Error when a variable is missing or not usable.
 */
export function mailFromEnv(): MailChannel | undefined {
  const spec = getStringFromEnv(needEnvironment.mail);
  if (spec === 'off') return undefined;
  const from = getStringFromEnv('MAIL_FROM');
  if (!isMailAddress(from)) {
    throw new Error('MAIL_FROM is not an e-mail address.');
  }
  const baseUrl = new URL(getStringFromEnv('STAGEGATE_PUBLIC_URL'))
    .toString()
    .replace(/\/$/, '');
  const hours = getOptionalStringFromEnv('EMAIL_LINK_TTL_HOURS');
  const linkTtlMs =
    hours === undefined ? DEFAULT_LINK_TTL_MS : Number(hours) * 3_600_000;
  if (!Number.isFinite(linkTtlMs) || linkTtlMs <= 0) {
    throw new Error('EMAIL_LINK_TTL_HOURS is not a positive number.');
  }
  return {
    transport: transportOf(spec),
    settings: { from, baseUrl, linkTtlMs },
  };
}

function transportOf(spec: string): MailTransport {
  if (spec === 'ses') return new SesMailTransport();
  if (spec.startsWith('file:')) {
    return new FileMailTransport(fileURLToPath(spec));
  }
  if (spec.startsWith('smtp:') || spec.startsWith('smtps:')) {
    return new SmtpMailTransport(spec);
  }
  // Never the value itself: an SMTP URL may carry a password.
  throw new Error(
    `${needEnvironment.mail} must be ses, an smtp:// or smtps:// URL, a file: URL or off (it starts with ${spec.split(':')[0]}).`
  );
}

/**
 * The link key from `EMAIL_LINK_KEY`: a Secrets Manager secret's ARN on
 * AWS; a `file:` URL (the local runtime's `<data dir>/email-link-key`,
 * 0600) locally.
 * @throws Error when `EMAIL_LINK_KEY` is not set.
 */
export function emailLinkKeyFromEnv(): LinkKeySource {
  const spec = getStringFromEnv(needEnvironment.emailLinkKey);
  return spec.startsWith('file:')
    ? fileLinkKey(fileURLToPath(spec))
    : secretLinkKey(spec);
}
