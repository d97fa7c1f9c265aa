import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * E-mail in the local runtime: mails are `.eml` files in
 * `<data dir>/mail-outbox` (open them with any mail program), and links
 * are signed with `<data dir>/email-link-key` (0600, made on first use).
 * An SMTP relay's URL (with its password) goes in `<data dir>/smtp-url`
 * (kept 0600). `MAIL_TRANSPORT`, `MAIL_FROM` and `STAGEGATE_PUBLIC_URL`
 * set in the environment win (docs/email.md).
 */
export function emailPaths(dataDir: string) {
  const outbox = join(dataDir, 'mail-outbox');
  const linkKey = join(dataDir, 'email-link-key');
  const smtpUrl = join(dataDir, 'smtp-url');
  let relay: string | undefined;
  if (existsSync(smtpUrl)) {
    chmodSync(smtpUrl, 0o600);
    relay = readFileSync(smtpUrl, 'utf8').trim() || undefined;
  }
  return {
    outbox,
    linkKey,
    /** The variables the functions read, but the public URL (see below). */
    environment: {
      MAIL_TRANSPORT:
        process.env.MAIL_TRANSPORT ?? relay ?? pathToFileURL(outbox).href,
      MAIL_FROM: process.env.MAIL_FROM ?? 'stagegate@registry.localhost',
      EMAIL_LINK_KEY: pathToFileURL(linkKey).href,
    },
  };
}
