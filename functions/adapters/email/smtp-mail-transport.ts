import { connect as connectTcp, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as connectTls } from 'node:tls';
import type { MailTransport, OutgoingMail } from '#ports/mail-transport.ts';

/**
 * {@link MailTransport} to an SMTP server (RFC 5321), one connection per
 * mail: `smtp://[user:password@]host[:port]` (port 587 by default;
 * STARTTLS whenever the server offers it, and required before any
 * credentials are sent) or `smtps://…` (TLS from the start, port 465).
 * AUTH PLAIN only. No SMTP library is among the project's dependencies;
 * this is the part of the protocol a relay needs. The URL (with its
 * password) is never part of an error message.
 */
export class SmtpMailTransport implements MailTransport {
  readonly #host: string;
  readonly #port: number;
  readonly #implicitTls: boolean;
  readonly #user: string | undefined;
  readonly #password: string | undefined;
  readonly #timeoutMs: number;
  readonly #rejectUnauthorized: boolean;

  constructor(
    url: string,
    options: {
      /** Per step of the conversation. @default 10 s */
      timeoutMs?: number;
      /** Accept any certificate (tests only). @default true */
      rejectUnauthorized?: boolean;
    } = {}
  ) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
      throw new Error('An SMTP URL starts with smtp:// or smtps://.');
    }
    this.#implicitTls = parsed.protocol === 'smtps:';
    this.#host = parsed.hostname.replace(/^\[|\]$/g, '');
    this.#port =
      parsed.port === ''
        ? this.#implicitTls
          ? 465
          : 587
        : Number(parsed.port);
    this.#user =
      parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
    this.#password = decodeURIComponent(parsed.password);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#rejectUnauthorized = options.rejectUnauthorized ?? true;
  }

  async send(mail: OutgoingMail): Promise<void> {
    const smtp = await SmtpConversation.open(
      this.#implicitTls
        ? connectTls({
            host: this.#host,
            port: this.#port,
            servername: this.#host,
            rejectUnauthorized: this.#rejectUnauthorized,
          })
        : connectTcp({ host: this.#host, port: this.#port }),
      this.#timeoutMs,
      this.#implicitTls ? 'secureConnect' : 'connect'
    );
    try {
      await smtp.reply([220]);
      const name = hostname() || 'stagegate';
      let offers = await smtp.command(`EHLO ${name}`, [250]);
      let secure = this.#implicitTls;
      if (!secure && /^STARTTLS$/im.test(offers.join('\n'))) {
        await smtp.command('STARTTLS', [220]);
        await smtp.upgrade(this.#host, this.#rejectUnauthorized);
        secure = true;
        offers = await smtp.command(`EHLO ${name}`, [250]);
      }
      if (this.#user !== undefined) {
        if (!secure) {
          throw new Error(
            'The SMTP server offers no STARTTLS: credentials are not sent in the clear.'
          );
        }
        const plain = Buffer.from(
          `\0${this.#user}\0${this.#password ?? ''}`
        ).toString('base64');
        await smtp.command(`AUTH PLAIN ${plain}`, [235], 'AUTH PLAIN');
      }
      await smtp.command(`MAIL FROM:<${mail.from}>`, [250]);
      await smtp.command(`RCPT TO:<${mail.to}>`, [250, 251]);
      await smtp.command('DATA', [354]);
      // A line starting with a dot gets a second one (RFC 5321, 4.5.2).
      const data = mail.raw.replace(/\r\n$/, '').replace(/^\./gm, '..');
      await smtp.command(`${data}\r\n.`, [250], 'message');
      await smtp.command('QUIT', [221]).catch(() => undefined);
    } finally {
      smtp.close();
    }
  }
}

/** One SMTP conversation: commands and their (multi-line) replies. */
class SmtpConversation {
  #socket: Socket;
  readonly #timeoutMs: number;
  #buffer = '';
  #lines: string[] = [];
  #waiting: (() => void) | undefined;
  #failure: Error | undefined;

  private constructor(socket: Socket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    this.#listen(socket);
  }

  static open(
    socket: Socket,
    timeoutMs: number,
    ready: 'connect' | 'secureConnect'
  ): Promise<SmtpConversation> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('The SMTP server did not answer in time.'));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`Could not reach the SMTP server: ${error.message}`));
      });
      socket.once(ready, () => {
        clearTimeout(timer);
        resolve(new SmtpConversation(socket, timeoutMs));
      });
    });
  }

  #listen(socket: Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      const lines = this.#buffer.split('\r\n');
      this.#buffer = lines.pop() ?? '';
      this.#lines.push(...lines);
      this.#waiting?.();
    });
    socket.on('error', (error) => {
      this.#failure = new Error(`SMTP connection failed: ${error.message}`);
      this.#waiting?.();
    });
    socket.on('close', () => {
      this.#failure ??= new Error('The SMTP server closed the connection.');
      this.#waiting?.();
    });
  }

  /** The next reply, all its lines, checked against `expected` codes. */
  async reply(
    expected: readonly number[],
    what = 'greeting'
  ): Promise<string[]> {
    const deadline = Date.now() + this.#timeoutMs;
    const lines: string[] = [];
    for (;;) {
      const line = this.#lines.shift();
      if (line === undefined) {
        if (this.#failure) throw this.#failure;
        if (Date.now() >= deadline) {
          throw new Error(`The SMTP server did not answer ${what} in time.`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deadline - Date.now());
          this.#waiting = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#waiting = undefined;
        continue;
      }
      lines.push(line.slice(4));
      // `250-…` continues the reply; `250 …` ends it.
      if (line.charAt(3) === '-') continue;
      const code = Number(line.slice(0, 3));
      if (!expected.includes(code)) {
        throw new Error(
          `The SMTP server refused ${what}: ${line.slice(0, 200)}`
        );
      }
      return lines;
    }
  }

  /** Sends a command; `what` names it in errors (never a credential). */
  command(
    line: string,
    expected: readonly number[],
    what: string = line.split(' ')[0] ?? line
  ): Promise<string[]> {
    this.#socket.write(`${line}\r\n`);
    return this.reply(expected, what);
  }

  /** STARTTLS: the conversation goes on over TLS on the same connection. */
  upgrade(host: string, rejectUnauthorized: boolean): Promise<void> {
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('error');
    plain.removeAllListeners('close');
    return new Promise((resolve, reject) => {
      const secure = connectTls({
        socket: plain,
        servername: host,
        rejectUnauthorized,
      });
      secure.once('secureConnect', () => {
        this.#socket = secure;
        this.#buffer = '';
        this.#lines = [];
        this.#listen(secure);
        resolve();
      });
      secure.once('error', (error) =>
        reject(new Error(`SMTP STARTTLS failed: ${error.message}`))
      );
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}
