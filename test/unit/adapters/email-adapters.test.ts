import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Server as TcpServer,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsSigner } from '#adapters/email/aws-signed.ts';
import { FileMailTransport } from '#adapters/email/file-mail-transport.ts';
import { fileLinkKey, secretLinkKey } from '#adapters/email/link-keys.ts';
import { SesMailTransport } from '#adapters/email/ses-mail-transport.ts';
import { SmtpMailTransport } from '#adapters/email/smtp-mail-transport.ts';
import { renderMail } from '#domain/email/email-mime.ts';
import { hasValidSignature } from '#local/sigv4.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-email-'));
  dirs.push(dir);
  return dir;
}

const mail = renderMail({
  id: 'f'.repeat(32),
  from: 'registry@example.com',
  to: 'alice@example.com',
  subject: 'Approval requested',
  text: 'Approve: https://x',
  html: '<p>x</p>',
  date: 1_700_000_000_000,
});

describe('FileMailTransport', () => {
  it('writes each mail whole as a private .eml file', async () => {
    // Prepare
    const dir = join(tempDir(), 'mail-outbox');
    const transport = new FileMailTransport(dir);

    // Act
    await transport.send(mail);
    await transport.send({ ...mail, id: 'e'.repeat(32) });

    // Assess
    const names = readdirSync(dir);
    expect(names).toHaveLength(2);
    expect(names.every((name) => /^\d{15}-[0-9a-f]{32}\.eml$/.test(name))).toBe(
      true
    );
    const first = join(
      dir,
      names.find((n) => n.includes('f'.repeat(32))) ?? ''
    );
    expect(readFileSync(first, 'utf8')).toBe(mail.raw);
    expect(statSync(first).mode & 0o777).toBe(0o600);
  });
});

describe('link keys', () => {
  it('makes a private key file once and reads the same key after', async () => {
    // Prepare
    const path = join(tempDir(), 'email-link-key');

    // Act
    const first = await fileLinkKey(path)();
    const again = await fileLinkKey(path)();

    // Assess
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(Buffer.from(again).equals(Buffer.from(first))).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('reads the secret once, tries again after a failure, and refuses a short one', async () => {
    // Prepare
    const answers: (string | Error)[] = [
      new Error('throttled'),
      'k'.repeat(64),
    ];
    const asked: unknown[] = [];
    const signer = {
      region: 'eu-west-1',
      send: async (call: { url: URL; headers: object; body: string }) => {
        asked.push([call.url.href, call.headers, JSON.parse(call.body)]);
        const answer = answers.shift();
        if (answer instanceof Error) throw answer;
        return { SecretString: answer };
      },
    } as unknown as AwsSigner;
    const key = secretLinkKey('arn:secret', signer);
    const short = secretLinkKey('arn:short', {
      region: 'eu-west-1',
      send: async () => ({ SecretString: 'short' }),
    } as unknown as AwsSigner);

    // Act
    await expect(key()).rejects.toThrow('throttled');
    const read = await key();
    await key();

    // Assess
    expect(Buffer.from(read).toString()).toBe('k'.repeat(64));
    const call = [
      'https://secretsmanager.eu-west-1.amazonaws.com/',
      {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
      },
      { SecretId: 'arn:secret' },
    ];
    expect(asked).toEqual([call, call]);
    await expect(short()).rejects.toThrow(/fewer than 32 bytes/);
  });
});

describe('SesMailTransport', () => {
  const credentials = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  };
  let server: Server;
  let endpoint: string;
  const calls: { path: string; body: string; signed: boolean }[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: {} };

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        calls.push({
          path: request.url ?? '',
          body: body.toString('utf8'),
          signed: hasValidSignature(
            {
              method: request.method ?? '',
              url: request.url ?? '/',
              headers: request.headers,
              body,
            },
            credentials
          ),
        });
        response.writeHead(answer.status, {
          'content-type': 'application/json',
          ...(answer.status >= 400
            ? { 'x-amzn-errortype': 'MessageRejected:http://internal' }
            : {}),
        });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve())
    );
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the raw message with SendEmail, signed', async () => {
    // Prepare
    const transport = new SesMailTransport({
      endpoint,
      region: 'eu-west-1',
      credentials: async () => credentials,
    });
    answer = { status: 200, body: { MessageId: 'm-1' } };

    // Act
    await transport.send(mail);

    // Assess
    const call = calls.at(-1);
    expect(call?.path).toBe('/v2/email/outbound-emails');
    expect(call?.signed).toBe(true);
    expect(JSON.parse(call?.body ?? '{}')).toEqual({
      FromEmailAddress: 'registry@example.com',
      Destination: { ToAddresses: ['alice@example.com'] },
      Content: { Raw: { Data: Buffer.from(mail.raw).toString('base64') } },
    });
  });

  it("throws SES's error, named", async () => {
    // Prepare
    const transport = new SesMailTransport({
      endpoint,
      region: 'eu-west-1',
      credentials: async () => credentials,
    });
    answer = {
      status: 400,
      body: { message: 'Email address is not verified.' },
    };

    // Act
    const sent = transport.send(mail);

    // Assess
    await expect(sent).rejects.toThrow(
      'MessageRejected: Email address is not verified.'
    );
  });
});

/**
 * An SMTP server that speaks just enough (no TLS): records each command
 * and the message, and answers RCPT for `refused@example.com` with 550.
 */
function fakeSmtp(options: { offerAuth?: boolean } = {}) {
  const commands: string[] = [];
  const messages: string[] = [];
  const server: TcpServer = createTcpServer((socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    let data: string[] | undefined;
    socket.write('220 fake ESMTP\r\n');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\r\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (data) {
          if (line === '.') {
            messages.push(data.join('\r\n'));
            data = undefined;
            socket.write('250 queued\r\n');
          } else {
            data.push(line);
          }
          continue;
        }
        commands.push(line);
        if (line.startsWith('EHLO')) {
          socket.write(
            `250-fake\r\n250-SIZE 1000000\r\n250 ${options.offerAuth ? 'AUTH PLAIN' : '8BITMIME'}\r\n`
          );
        } else if (line.startsWith('RCPT') && line.includes('refused@')) {
          socket.write('550 5.1.1 no such user\r\n');
        } else if (line === 'DATA') {
          data = [];
          socket.write('354 go ahead\r\n');
        } else if (line === 'QUIT') {
          socket.end('221 bye\r\n');
        } else {
          socket.write('250 ok\r\n');
        }
      }
    });
  });
  return { server, commands, messages };
}

describe('SmtpMailTransport', () => {
  let smtp: ReturnType<typeof fakeSmtp>;
  let port: number;

  beforeAll(async () => {
    smtp = fakeSmtp({ offerAuth: true });
    await new Promise<void>((resolve) =>
      smtp.server.listen(0, '127.0.0.1', () => resolve())
    );
    port = (smtp.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => smtp.server.close(resolve));
  });

  it("relays the message, dot-stuffed, to the envelope's recipient", async () => {
    // Prepare
    const transport = new SmtpMailTransport(`smtp://127.0.0.1:${port}`);
    const dotted = { ...mail, raw: `${mail.raw}\r\n.hidden line\r\n` };

    // Act
    await transport.send(dotted);

    // Assess
    expect(smtp.commands.slice(-5)).toEqual([
      expect.stringMatching(/^EHLO /),
      'MAIL FROM:<registry@example.com>',
      'RCPT TO:<alice@example.com>',
      'DATA',
      'QUIT',
    ]);
    expect(smtp.messages.at(-1)).toBe(
      `${mail.raw.replace(/\r\n$/, '')}\r\n\r\n..hidden line`
    );
  });

  it('throws the refusal, and never sends credentials without TLS', async () => {
    // Prepare
    const plain = new SmtpMailTransport(`smtp://127.0.0.1:${port}`);
    const withPassword = new SmtpMailTransport(
      `smtp://user:s3cret-pass@127.0.0.1:${port}`
    );
    const before = smtp.commands.length;

    // Act
    const refused = await plain
      .send({ ...mail, to: 'refused@example.com' })
      .catch((error: Error) => error);
    const clear = await withPassword.send(mail).catch((error: Error) => error);

    // Assess
    expect(refused).toEqual(
      new Error('The SMTP server refused RCPT: 550 5.1.1 no such user')
    );
    expect(clear).toEqual(
      new Error(
        'The SMTP server offers no STARTTLS: credentials are not sent in the clear.'
      )
    );
    const sent = smtp.commands.slice(before).join('\n');
    expect(sent).not.toContain('AUTH');
    expect(sent).not.toContain('s3cret');
  });

  it('fails within its time when nobody answers', async () => {
    // Prepare
    const silent = createTcpServer(() => undefined);
    await new Promise<void>((resolve) =>
      silent.listen(0, '127.0.0.1', () => resolve())
    );
    const transport = new SmtpMailTransport(
      `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      { timeoutMs: 200 }
    );

    // Act
    const sent = transport.send(mail);

    // Assess
    await expect(sent).rejects.toThrow(/did not answer greeting in time/);
    await new Promise((resolve) => silent.close(resolve));
  });
});
