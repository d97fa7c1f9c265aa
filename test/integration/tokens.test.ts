import { describe, expect, it } from 'vitest';
import { call, MLFLOW } from '../support/api.ts';
import { createUserWithToken } from './support/principals.ts';

interface CreatedToken {
  token_value: string;
  token_info: {
    token_id: string;
    creation_time: number;
    expiry_time: number;
    comment: string;
  };
}

/**
 * Revocation takes effect within the authorizer's cache lifetime
 * (docs/users-and-tokens.md: 10 s by default); poll until then instead of sleeping.
 */
async function untilRefused(token: string, withinMs: number) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const response = await call('GET', `${MLFLOW}/registered-models/search`, {
      token,
      query: { max_results: 1 },
    });
    if (response.status !== 200 || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('Token API', () => {
  describe('token/create', () => {
    it('returns a working token whose value is shown only once', async () => {
      // Act
      const created = await call<CreatedToken>(
        'POST',
        '/api/2.0/token/create',
        {
          body: { comment: 'ci', lifetime_seconds: 3600 },
        }
      );
      const used = await call('GET', `${MLFLOW}/registered-models/search`, {
        token: created.body.token_value,
        query: { max_results: 1 },
      });
      const listed = await call<{ token_infos: CreatedToken['token_info'][] }>(
        'GET',
        '/api/2.0/token/list'
      );

      // Assess
      expect(created.status).toBe(200);
      expect(created.body.token_value).toMatch(/^dapi[0-9a-f]{32}$/);
      expect(created.body.token_info.comment).toBe('ci');
      expect(created.body.token_info.expiry_time).toBe(
        created.body.token_info.creation_time + 3600 * 1000
      );
      expect(used.status).toBe(200);
      const info = listed.body.token_infos.find(
        (t) => t.token_id === created.body.token_info.token_id
      );
      expect(info).toEqual(created.body.token_info);
      expect(JSON.stringify(listed.body)).not.toContain(
        created.body.token_value
      );
    });

    it('creates a token that never expires when no lifetime is given', async () => {
      // Act
      const created = await call<CreatedToken>(
        'POST',
        '/api/2.0/token/create',
        {
          body: {},
        }
      );

      // Assess
      expect(created.status).toBe(200);
      expect(created.body.token_info.expiry_time).toBe(-1);
    });

    it('creates a token that never expires for a lifetime of 0', async () => {
      // Act
      const created = await call<CreatedToken>(
        'POST',
        '/api/2.0/token/create',
        { body: { lifetime_seconds: 0 } }
      );

      // Assess
      expect(created.status).toBe(200);
      expect(created.body.token_info.expiry_time).toBe(-1);
    });

    it('refuses a negative lifetime and creates nothing', async () => {
      // Prepare: a user of its own, so no other test adds to its tokens.
      const user = await createUserWithToken();

      // Act
      const created = await call('POST', '/api/2.0/token/create', {
        token: user.token,
        body: { lifetime_seconds: -5 },
      });
      const listed = await call<{ token_infos?: { token_id: string }[] }>(
        'GET',
        '/api/2.0/token/list',
        { token: user.token }
      );

      // Assess
      expect(created.status).toBe(400);
      expect(created.body).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('lifetime_seconds'),
      });
      expect(listed.body.token_infos?.map((t) => t.token_id)).toEqual([
        user.tokenId,
      ]);
    });

    it('refuses a lifetime that is not an integer', async () => {
      // Act
      const created = await call('POST', '/api/2.0/token/create', {
        body: { lifetime_seconds: 'soon' },
      });

      // Assess
      expect(created.status).toBe(400);
      expect(created.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('stops accepting an expired token', async () => {
      // Prepare
      const created = await call<CreatedToken>(
        'POST',
        '/api/2.0/token/create',
        {
          body: { lifetime_seconds: 1 },
        }
      );

      // Act
      const refused = await untilRefused(created.body.token_value, 5000);

      // Assess
      expect(refused.status).toBe(401);
      expect(refused.body.error_code).toBe('UNAUTHENTICATED');
    });
  });

  describe('token/delete', () => {
    it('revokes the token within the documented bound', async () => {
      // Prepare
      const created = await call<CreatedToken>(
        'POST',
        '/api/2.0/token/create',
        {
          body: { comment: 'to revoke' },
        }
      );

      // Act
      const deleted = await call('POST', '/api/2.0/token/delete', {
        body: { token_id: created.body.token_info.token_id },
      });
      const refused = await untilRefused(created.body.token_value, 12_000);
      const listed = await call<{ token_infos: CreatedToken['token_info'][] }>(
        'GET',
        '/api/2.0/token/list'
      );

      // Assess
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({});
      expect(refused.status).toBe(401);
      expect(
        listed.body.token_infos.some(
          (t) => t.token_id === created.body.token_info.token_id
        )
      ).toBe(false);
    });

    it('answers 404 for a token id the caller does not own', async () => {
      // Act
      const deleted = await call('POST', '/api/2.0/token/delete', {
        body: { token_id: 'ffffffffffffffffffffffffffffffff' },
      });

      // Assess
      expect(deleted.status).toBe(404);
      expect(deleted.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });
  });
});
