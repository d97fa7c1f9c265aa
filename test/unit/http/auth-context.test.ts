import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '#domain/errors.ts';
import { BOOTSTRAP_ADMIN, type Principal } from '#domain/principal.ts';
import {
  type AuthorizerContext,
  authorizerContextFor,
  principalFromEvent,
  unauthenticatedContext,
} from '#http/auth-context.ts';
import { createTestEvent } from '#test/support/events.ts';

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectUnauthenticated(act: () => unknown, message: string): void {
  const error = thrownBy(act);
  expect(error).toBeInstanceOf(UnauthenticatedError);
  expect(error).toHaveProperty('code', 'UNAUTHENTICATED');
  expect(error).toHaveProperty('message', message);
}

const robot: Principal = {
  id: 'sp-7',
  userName: 'ci-robot',
  kind: 'service_principal',
  isAdmin: false,
  groups: [],
};

describe('auth context', () => {
  describe('authorizerContextFor', () => {
    it('holds only flat values, joining the groups', () => {
      // Act
      const context = authorizerContextFor({
        ...BOOTSTRAP_ADMIN,
        groups: ['admins', 'risk'],
      });

      // Assess
      expect(context).toStrictEqual({
        principalId: '1',
        userName: 'admin',
        kind: 'user',
        isAdmin: true,
        groups: 'admins,risk',
      });
    });
  });

  describe('principalFromEvent', () => {
    it.each([
      [
        'an admin with groups',
        { ...BOOTSTRAP_ADMIN, groups: ['admins', 'risk'] },
      ],
      ['a service principal without groups', robot],
    ])('recovers %s from the authorizer context', (_label, principal) => {
      // Prepare
      const event = createTestEvent({
        authorizer: authorizerContextFor(principal),
      });

      // Act & Assess
      expect(principalFromEvent(event)).toStrictEqual(principal);
    });

    it.each([
      ['true', true],
      ['false', false],
    ])('reads the stringified boolean %j', (isAdmin, expected) => {
      // Prepare
      const event = createTestEvent({
        authorizer: { ...authorizerContextFor(BOOTSTRAP_ADMIN), isAdmin },
      });

      // Act & Assess
      expect(principalFromEvent(event).isAdmin).toBe(expected);
    });

    it('refuses an event without an authorizer context', () => {
      // Prepare
      const event = createTestEvent({ authorizer: null });

      // Act & Assess
      expectUnauthenticated(
        () => principalFromEvent(event),
        'Credential was not sent or was invalid.'
      );
    });

    it("refuses with the authorizer's reason when it set authError", () => {
      // Prepare
      const event = createTestEvent({
        authorizer: unauthenticatedContext('Access token has expired.'),
      });

      // Act & Assess
      expectUnauthenticated(
        () => principalFromEvent(event),
        'Access token has expired.'
      );
    });

    it('lets authError win over principal fields', () => {
      // Prepare
      const event = createTestEvent({
        authorizer: {
          ...authorizerContextFor(BOOTSTRAP_ADMIN),
          authError: 'Invalid access token.',
        },
      });

      // Act & Assess
      expectUnauthenticated(
        () => principalFromEvent(event),
        'Invalid access token.'
      );
    });

    it.each<[string, AuthorizerContext]>([
      ['no principal id', { userName: 'a', kind: 'user' }],
      [
        'a numeric principal id',
        { principalId: 42, userName: 'a', kind: 'user' },
      ],
      ['no user name', { principalId: '42', kind: 'user' }],
      ['an unknown kind', { principalId: '42', userName: 'a', kind: 'robot' }],
    ])('refuses a context with %s', (_label, context) => {
      // Prepare
      const event = createTestEvent({ authorizer: context });

      // Act & Assess
      expectUnauthenticated(
        () => principalFromEvent(event),
        'Credential was not sent or was invalid.'
      );
    });
  });
});
