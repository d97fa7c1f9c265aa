import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LambdaHandler, LocalGateway } from '#local/gateway.ts';
import { repositoryRoot } from '#local/paths.ts';
import { authorizerRoot } from '#roots/authorizer.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';
import { MemoryIpAccessStore } from '#test/support/memory-ip-access-store.ts';
import { WEB_SECURITY_HEADERS, type WebAssets } from '../../../web/assets.ts';

let gateway: LocalGateway;
let base: string;

const assets: WebAssets = new Map([
  [
    '/index.html',
    {
      body: Buffer.from('<!doctype html><title>page</title>'),
      contentType: 'text/html; charset=utf-8',
      cacheControl: 'no-cache',
    },
  ],
  [
    '/assets/app-0123.js',
    {
      body: Buffer.from('console.log(1)'),
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: 'public, max-age=31536000, immutable',
    },
  ],
]);

beforeAll(async () => {
  vi.stubEnv('REGISTRY_TABLE_NAME', 'gateway-web-test');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  // The authorizer on in-memory stores: it reads the IP access lists
  // before anything else, and no table is here.
  const authorizer = authorizerRoot.build({
    identities: new MemoryIdentityStore(),
    ipAccess: new MemoryIpAccessStore(),
    signingKeys: { find: async () => undefined },
    now: Date.now,
    cacheTtlMs: 0,
  }) as unknown as LambdaHandler;
  gateway = new LocalGateway({
    web: assets,
    load: async (entry) =>
      entry === 'functions/handlers/authorizer.ts'
        ? authorizer
        : (
            (await import(
              pathToFileURL(`${repositoryRoot}/${entry}`).href
            )) as { handler: LambdaHandler }
          ).handler,
  });
  base = `http://127.0.0.1:${await gateway.listen(0)}`;
});

afterAll(async () => {
  await gateway.close();
  vi.unstubAllEnvs();
});

describe('LocalGateway', () => {
  describe('the web page', () => {
    it('serves the page at / without a token, with its security headers', async () => {
      // Act
      const response = await fetch(`${base}/`);

      // Assess
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<title>page</title>');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      for (const [name, value] of Object.entries(WEB_SECURITY_HEADERS)) {
        expect(response.headers.get(name)).toBe(value);
      }
    });

    it('serves its hashed assets, cached for good', async () => {
      const response = await fetch(`${base}/assets/app-0123.js`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/javascript');
      expect(response.headers.get('cache-control')).toContain('immutable');
    });

    it('leaves every other path to the API: an unknown one is a JSON 401 without a token, never the page', async () => {
      // Act
      const response = await fetch(`${base}/assets/missing.js`);

      // Assess
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({
        error_code: 'UNAUTHENTICATED',
      });
    }, 30_000);
  });
});
