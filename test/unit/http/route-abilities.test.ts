import { describe, expect, it } from 'vitest';
import { ABILITIES } from '#domain/authorization.ts';
import { PERMISSION_TABLE } from '#domain/permissions.ts';
import { policyAllows, principalPolicy } from '#http/authorizer-policy.ts';
import {
  isAdminRoute,
  type RouteDefinition,
  routeKey,
  routes,
} from '#http/routes.ts';

const STAGE_PREFIX =
  'arn:aws:execute-api:eu-west-1:123456789012:abc123/$default';

/** The ARN API Gateway gives a call of `route`, path parameters filled in. */
function routeArn(route: RouteDefinition): string {
  return `${STAGE_PREFIX}/${route.method}${route.path.replace(/\{[^}]+\}/g, '8f3a9c')}`;
}

const nonPublic = routes.filter((route) => route.action !== 'public');

describe('route abilities', () => {
  describe('routes', () => {
    it('name an ability of the one table, or public, or client', () => {
      // Act
      const unknown = routes
        .filter(
          (route) =>
            route.action !== 'public' &&
            route.action !== 'client' &&
            !Object.hasOwn(ABILITIES, route.action)
        )
        .map(routeKey);

      // Assess
      expect(unknown).toEqual([]);
    });

    it('name every ability of the permission table that has an endpoint in the IAM-style vocabulary', () => {
      // Prepare
      const named = new Set<string>(routes.map((route) => route.action));

      // Act
      const seedAbilities = Object.keys(PERMISSION_TABLE).filter((ability) =>
        named.has(ability)
      );

      // Assess: the table's stage abilities are reached through the
      // stage-change and decision abilities, derived from the stages.
      expect(seedAbilities.every((a) => a.startsWith('registry:'))).toBe(true);
      expect(seedAbilities.length).toBeGreaterThan(5);
    });

    it('name a model by id or artifact path only for abilities asked about a model or root', () => {
      // Act
      const misplaced = routes
        .filter(
          (route) =>
            route.modelBy !== undefined &&
            (route.action === 'public' ||
              route.action === 'client' ||
              !ABILITIES[route.action].on.some(
                (kind) => kind === 'model' || kind === 'root'
              ))
        )
        .map(routeKey);

      // Assess
      expect(misplaced).toEqual([]);
    });

    it('are admin-only exactly where their ability is an admin: one', () => {
      // Act
      const adminRoutes = routes.filter(isAdminRoute).map(routeKey);
      const adminActions = routes
        .filter((route) => route.action.startsWith('admin:'))
        .map(routeKey);

      // Assess
      expect(adminRoutes.length).toBeGreaterThan(0);
      expect(adminRoutes).toEqual(adminActions);
    });

    it("leave only the health probe, the e-mail link page (its link is the credential), the API reference and Slack's signed callback public", () => {
      // Act
      const open = routes
        .filter((route) => route.action === 'public')
        .map(routeKey);

      // Assess
      expect(open).toEqual([
        'GET /health',
        'GET /callbacks/email/decision',
        'POST /callbacks/email/decision',
        'GET /api/openapi.json',
        'POST /callbacks/slack/interactions',
      ]);
    });
  });

  describe('authorizer policy over the route table', () => {
    it('allows a non-admin every route, from whichever route it was issued for', () => {
      // Act
      const denied = nonPublic.flatMap((issuedFor) => {
        const policy = principalPolicy(
          routeArn(issuedFor),
          { id: '42' },
          {}
        ).policyDocument;
        return nonPublic
          .filter((route) => !policyAllows(policy, routeArn(route)))
          .map((route) => `${routeKey(issuedFor)} → ${routeKey(route)}`);
      });

      // Assess
      expect(denied).toEqual([]);
    });

    it('allows an admin every route', () => {
      // Prepare
      const [anyRoute] = nonPublic;
      if (!anyRoute) throw new Error('no routes');
      const policy = principalPolicy(
        routeArn(anyRoute),
        { id: '1' },
        {}
      ).policyDocument;

      // Act
      const denied = nonPublic
        .filter((route) => !policyAllows(policy, routeArn(route)))
        .map(routeKey);

      // Assess
      expect(denied).toEqual([]);
    });
  });
});
