import { describe, expect, it } from 'vitest';
import { hashToken } from '#domain/tokens.ts';
import {
  type AuthorizerContext,
  authorizerContextFor,
} from '#http/auth-context.ts';
import { tokensRoot } from '#roots/api/tokens.ts';
import {
  createTestContext,
  createTestEvent,
  DEFAULT_AUTHORIZER_CONTEXT,
} from '#test/support/events.ts';
import { alice, bob as bobPrincipal, identitiesWith } from './fixtures.ts';

const NOW = 1_700_000_000_000;
const bob: AuthorizerContext = authorizerContextFor(bobPrincipal);

async function setup() {
  const identities = await identitiesWith(alice, bobPrincipal);
  const handler = tokensRoot.build({ identities, now: () => NOW });
  const call = async (options: Parameters<typeof createTestEvent>[0]) => {
    const response = await handler(
      createTestEvent(options),
      createTestContext()
    );
    return {
      status: response.statusCode,
      body: JSON.parse(response.body ?? '') as Record<string, unknown>,
    };
  };
  return {
    identities,
    create: (body: unknown, authorizer?: AuthorizerContext) =>
      call({
        method: 'POST',
        path: '/api/2.0/token/create',
        body: JSON.stringify(body),
        authorizer,
      }),
    list: (authorizer?: AuthorizerContext) =>
      call({ method: 'GET', path: '/api/2.0/token/list', authorizer }),
    delete: (body: unknown, authorizer?: AuthorizerContext) =>
      call({
        method: 'POST',
        path: '/api/2.0/token/delete',
        body: JSON.stringify(body),
        authorizer,
      }),
  };
}

describe('tokens handler', () => {
  describe('POST /token/create', () => {
    it('answers the value once and the Databricks token_info', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.create({
        comment: 'laptop',
        lifetime_seconds: 3600,
      });

      // Assess
      expect(response).toStrictEqual({
        status: 200,
        body: {
          token_value: expect.stringMatching(/^dapi[0-9a-f]{32}$/),
          token_info: {
            token_id: expect.stringMatching(/^[0-9a-f]{32}$/),
            creation_time: NOW,
            expiry_time: NOW + 3_600_000,
            comment: 'laptop',
          },
        },
      });
      const value = response.body.token_value as string;
      expect(
        await api.identities.getTokenByHash(hashToken(value))
      ).toMatchObject({ principalId: DEFAULT_AUTHORIZER_CONTEXT.principalId });
    });

    it('accepts lifetime_seconds as a numeric string', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.create({ lifetime_seconds: '60' });

      // Assess
      expect(response.body.token_info).toMatchObject({
        expiry_time: NOW + 60_000,
        comment: '',
      });
    });

    it('answers a token without expiry when no lifetime is given', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.create({});

      // Assess
      expect(response.body.token_info).toMatchObject({ expiry_time: -1 });
    });

    it('answers 400 for a lifetime over one year', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.create({ lifetime_seconds: 31_536_001 });

      // Assess
      expect(response).toStrictEqual({
        status: 400,
        body: {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: 'lifetime_seconds must be at most 31536000.',
        },
      });
    });
  });

  describe('GET /token/list', () => {
    it("lists the caller's tokens without their values", async () => {
      // Prepare
      const api = await setup();
      const mine = await api.create({ comment: 'mine' });
      await api.create({ comment: "bob's" }, bob);

      // Act
      const response = await api.list();

      // Assess
      expect(response).toStrictEqual({
        status: 200,
        body: { token_infos: [mine.body.token_info] },
      });
      expect(JSON.stringify(response.body)).not.toContain(
        mine.body.token_value as string
      );
    });
  });

  describe('POST /token/delete', () => {
    it("deletes the caller's token", async () => {
      // Prepare
      const api = await setup();
      const created = await api.create({});
      const { token_id } = created.body.token_info as { token_id: string };

      // Act
      const response = await api.delete({ token_id });

      // Assess
      expect(response).toStrictEqual({ status: 200, body: {} });
      expect((await api.list()).body).toStrictEqual({ token_infos: [] });
    });

    it("answers 404 for another principal's token and keeps it", async () => {
      // Prepare
      const api = await setup();
      const created = await api.create({});
      const { token_id } = created.body.token_info as { token_id: string };

      // Act
      const response = await api.delete({ token_id }, bob);

      // Assess
      expect(response).toStrictEqual({
        status: 404,
        body: {
          error_code: 'RESOURCE_DOES_NOT_EXIST',
          message: `Token with id ${token_id} not found.`,
        },
      });
      expect((await api.list()).body.token_infos).toHaveLength(1);
    });

    it('answers 400 when token_id is missing', async () => {
      // Prepare
      const api = await setup();

      // Act
      const response = await api.delete({});

      // Assess
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining("required parameter 'token_id'"),
      });
    });
  });
});
