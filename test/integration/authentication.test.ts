import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '#local/paths.ts';
import { call, MLFLOW, registry, uniqueName } from '../support/api.ts';

describe('Authentication', () => {
  describe('a registry route', () => {
    it('answers 401 UNAUTHENTICATED in the MLflow error format without a token', async () => {
      // Act
      const response = await call('GET', `${MLFLOW}/registered-models/get`, {
        token: null,
        query: { name: 'anything' },
      });

      // Assess
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain(
        'application/json'
      );
      expect(response.body).toEqual({
        error_code: 'UNAUTHENTICATED',
        message: expect.any(String),
      });
    });

    it('answers 401 for a token the registry never issued', async () => {
      // Act
      const response = await call('GET', `${MLFLOW}/registered-models/search`, {
        token: 'dapi00000000000000000000000000000000',
      });

      // Assess
      expect(response.status).toBe(401);
      expect(response.body.error_code).toBe('UNAUTHENTICATED');
    });

    it('answers 401 for a malformed Authorization header', async () => {
      // Act
      const response = await call('GET', `${MLFLOW}/registered-models/search`, {
        token: null,
        headers: { authorization: 'Token abc' },
      });

      // Assess
      expect(response.status).toBe(401);
      expect(response.body.error_code).toBe('UNAUTHENTICATED');
    });

    it.each([
      ['a second word after the token', (t: string) => `Bearer ${t} garbage`],
      ['a comma and more', (t: string) => `Bearer ${t}, Basic x`],
      ['two tokens', (t: string) => `Bearer ${t} ${t}`],
      ['no space after the scheme', (t: string) => `Bearer${t}`],
      [
        'a second word after Basic credentials',
        (t: string) =>
          `Basic ${Buffer.from(`token:${t}`).toString('base64')} garbage`,
      ],
    ])('answers 401 for a valid token with %s', async (_case, header) => {
      // Act
      const response = await call('GET', `${MLFLOW}/registered-models/search`, {
        token: null,
        headers: { authorization: header(registry().token) },
        query: { max_results: 1 },
      });

      // Assess
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        error_code: 'UNAUTHENTICATED',
        message: expect.any(String),
      });
    });

    it.each([
      ['Bearer <token>', (t: string) => `Bearer ${t}`],
      ['a lowercase scheme', (t: string) => `bearer ${t}`],
      ['two spaces after the scheme', (t: string) => `Bearer  ${t}`],
    ])('accepts %s', async (_case, header) => {
      // Act
      const response = await call('GET', `${MLFLOW}/registered-models/search`, {
        token: null,
        headers: { authorization: header(registry().token) },
        query: { max_results: 1 },
      });

      // Assess
      expect(response.status).toBe(200);
    });

    it('writes nothing for an unauthenticated create', async () => {
      // Prepare
      const name = uniqueName('unauth');

      // Act
      const created = await call('POST', `${MLFLOW}/registered-models/create`, {
        token: null,
        body: { name },
      });
      const fetched = await call('GET', `${MLFLOW}/registered-models/get`, {
        query: { name },
      });

      // Assess
      expect(created.status).toBe(401);
      expect(fetched.status).toBe(404);
    });

    it('accepts the token as a Basic-auth password, as MLflow clients send it', async () => {
      // Prepare
      const basic = Buffer.from(`token:${registry().token}`).toString('base64');

      // Act
      const response = await call('GET', `${MLFLOW}/registered-models/search`, {
        token: null,
        headers: { authorization: `Basic ${basic}` },
        query: { max_results: 1 },
      });

      // Assess
      expect(response.status).toBe(200);
    });
  });

  describe('the health route', () => {
    it('answers without a token', async () => {
      // Act
      const response = await call('GET', '/health', { token: null });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'OK' });
    });
  });

  describe('the API reference', () => {
    it('answers without a token with the OpenAPI document kept in docs/', async () => {
      // Prepare
      const kept = JSON.parse(
        readFileSync(join(repositoryRoot, 'docs', 'openapi.json'), 'utf8')
      ) as unknown;

      // Act
      const response = await call('GET', '/api/openapi.json', { token: null });

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain(
        'application/json'
      );
      expect(response.body).toEqual(kept);
    });

    it('is where the messages about a bad parameter point', async () => {
      // Act
      const response = await call(
        'POST',
        `${MLFLOW}/registered-models/create`,
        { body: {} }
      );

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.message).toContain('/api/openapi.json');
    });
  });

  describe('an unknown route', () => {
    it('answers 404 ENDPOINT_NOT_FOUND as JSON to an authenticated caller', async () => {
      // Act
      const response = await call('GET', `${MLFLOW}/no-such-thing`);

      // Assess
      expect(response.status).toBe(404);
      expect(response.body.error_code).toBe('ENDPOINT_NOT_FOUND');
    });

    it('answers HEAD with 404 and the headers of its JSON error', async () => {
      // Act
      const head = await call('HEAD', `${MLFLOW}/no-such-thing`);

      // Assess: HTTP gives HEAD no body; the headers are those of the error.
      expect(head.status).toBe(404);
      expect(head.headers.get('content-type')).toContain('application/json');
      expect(Number(head.headers.get('content-length'))).toBe(
        Buffer.byteLength(
          JSON.stringify({
            error_code: 'ENDPOINT_NOT_FOUND',
            message: `No API endpoint for HEAD ${MLFLOW}/no-such-thing`,
          })
        )
      );
    });

    it('answers 401 first to a caller without a token', async () => {
      // Act
      const response = await call('GET', `${MLFLOW}/no-such-thing`, {
        token: null,
      });

      // Assess
      expect(response.status).toBe(401);
      expect(response.body.error_code).toBe('UNAUTHENTICATED');
    });

    it('answers 404 for a known path with the wrong method, never a redirect', async () => {
      // Act
      const response = await call(
        'DELETE',
        `${MLFLOW}/registered-models/create`
      );

      // Assess
      expect(response.status).toBe(404);
      expect(response.body.error_code).toBe('ENDPOINT_NOT_FOUND');
    });
  });
});
