import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeWebhookSender } from '#adapters/http/webhook-sender.ts';
import { WebhookDeliveryError } from '#domain/webhook.ts';

describe('NodeWebhookSender', () => {
  let server: Server;
  let port: number;
  const bodies: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        if (request.url === '/redirect') {
          response.writeHead(302, { location: 'http://127.0.0.1:1/' });
          response.end();
          return;
        }
        if (request.url === '/slow') return;
        response.writeHead(201);
        response.end('created');
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve())
    );
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const request = (path: string, timeoutMs = 2000) => ({
    url: `http://localhost:${port}${path}`,
    body: '{"a":1}',
    headers: { 'content-type': 'application/json' },
    verifyTls: true,
    timeoutMs,
  });

  it('posts the body and answers the status and body, without following redirects', async () => {
    // Prepare
    const sender = new NodeWebhookSender({ allowPrivate: true });

    // Act
    const created = await sender.post(request('/hook'));
    const redirected = await sender.post(request('/redirect'));

    // Assess
    expect(created).toEqual({ statusCode: 201, body: 'created' });
    expect(redirected.statusCode).toBe(302);
    expect(bodies).toContain('{"a":1}');
  });

  it('refuses, at connect time, a name that resolves to a loopback address', async () => {
    // Prepare
    const sender = new NodeWebhookSender({ allowPrivate: false });
    const before = bodies.length;

    // Act
    const failure = await sender.post(request('/hook')).catch((e) => e);

    // Assess
    expect(failure).toBeInstanceOf(WebhookDeliveryError);
    expect((failure as Error).message).toMatch(/private, loopback/);
    // Retrying would meet the same address: deliveries give up at once.
    expect((failure as WebhookDeliveryError).retryable).toBe(false);
    expect(bodies.length).toBe(before);
  });

  it('gives up after its timeout', async () => {
    // Prepare
    const sender = new NodeWebhookSender({ allowPrivate: true });

    // Act
    const failure = await sender.post(request('/slow', 200)).catch((e) => e);

    // Assess
    expect(failure).toBeInstanceOf(WebhookDeliveryError);
    expect((failure as Error).message).toMatch(/within 200 ms/);
    expect((failure as WebhookDeliveryError).retryable).toBe(true);
  });
});
