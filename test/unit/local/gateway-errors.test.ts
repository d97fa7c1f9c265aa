import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LambdaHandler, LocalGateway } from '#local/gateway.ts';
import { repositoryRoot } from '#local/paths.ts';
import { authorizerRoot } from '#roots/authorizer.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';
import { MemoryIpAccessStore } from '#test/support/memory-ip-access-store.ts';

/**
 * The gateway's own answers, the ones no handler writes: each must be the
 * MLflow error shape `{error_code, message}` with a JSON content type. No
 * route here reaches a table: the authorizer (built on in-memory stores)
 * answers a request without a token from the header alone.
 */

let gateway: LocalGateway;
let base: string;
let port: number;

beforeAll(async () => {
  vi.stubEnv('REGISTRY_TABLE_NAME', 'gateway-errors-test');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  const authorizer = authorizerRoot.build({
    identities: new MemoryIdentityStore(),
    ipAccess: new MemoryIpAccessStore(),
    signingKeys: { find: async () => undefined },
    now: Date.now,
    cacheTtlMs: 0,
  }) as unknown as LambdaHandler;
  gateway = new LocalGateway({
    load: async (entry) =>
      entry === 'functions/handlers/authorizer.ts'
        ? authorizer
        : (
            (await import(
              pathToFileURL(`${repositoryRoot}/${entry}`).href
            )) as {
              handler: LambdaHandler;
            }
          ).handler,
  });
  port = await gateway.listen(0);
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await gateway.close();
  vi.unstubAllEnvs();
});

/** One raw HTTP/1.1 exchange: what the server wrote until it closed. */
function exchange(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parseRaw(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    })
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('LocalGateway', () => {
  describe('its own error answers', () => {
    it('answers a body over 10 MB with 413 in the MLflow shape', async () => {
      // Act
      const response = await fetch(
        `${base}/api/2.0/mlflow/registered-models/create`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
        }
      );

      // Assess
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          'The request body has 10485761 bytes; at most 10485760 are accepted.',
      });
    });

    it('answers headers over the limit with 431 in the MLflow shape', async () => {
      // Act
      const answer = parseRaw(
        await exchange(
          `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`
        )
      );

      // Assess
      expect(answer.status).toBe(431);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(JSON.parse(answer.body)).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('request headers are larger than'),
      });
      expect(Number(answer.headers['content-length'])).toBe(
        Buffer.byteLength(answer.body)
      );
    });

    it('answers a malformed request with 400 in the MLflow shape', async () => {
      // Act
      const answer = parseRaw(await exchange('NOT HTTP AT ALL\r\n\r\n'));

      // Assess
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(JSON.parse(answer.body)).toEqual({
        error_code: 'BAD_REQUEST',
        message: expect.any(String),
      });
    });

    it('answers HEAD with the status, type and length of the JSON error, as GET shows it', async () => {
      // Act
      const head = parseRaw(
        await exchange(
          'HEAD /api/2.0/mlflow/no-such-route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
        )
      );
      const get = await fetch(`${base}/api/2.0/mlflow/no-such-route`);
      const getBody = await get.text();

      // Assess
      expect(head.status).toBe(get.status);
      expect(head.status).toBe(401);
      expect(head.body).toBe('');
      expect(head.headers['content-type']).toBe('application/json');
      expect(Number(head.headers['content-length'])).toBe(
        Buffer.byteLength(getBody)
      );
      expect(JSON.parse(getBody)).toEqual({
        error_code: 'UNAUTHENTICATED',
        message: expect.any(String),
      });
    });
  });
});
