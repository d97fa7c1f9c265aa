import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MailTransport, OutgoingMail } from '#ports/mail-transport.ts';

/**
 * {@link MailTransport} into a directory of `.eml` files (the local
 * runtime's `<data dir>/mail-outbox`), one per mail, named by the time it
 * was written and its id so that a listing is in sending order; any mail
 * program opens them. Each file appears whole (written aside, then
 * renamed), so a reader never sees half a message.
 */
export class FileMailTransport implements MailTransport {
  readonly #directory: string;

  constructor(directory: string) {
    this.#directory = directory;
  }

  async send(mail: OutgoingMail): Promise<void> {
    mkdirSync(this.#directory, { recursive: true, mode: 0o700 });
    const name = `${String(Date.now()).padStart(15, '0')}-${mail.id}.eml`;
    const aside = join(this.#directory, `.${name}.tmp`);
    // The links in it act as their approver: private like the data dir.
    writeFileSync(aside, mail.raw, { mode: 0o600 });
    renameSync(aside, join(this.#directory, name));
  }
}
