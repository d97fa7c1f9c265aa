import { describe, expect, it } from 'vitest';
import { PERMISSION_TABLE } from '#domain/permissions.ts';
import { policyAllows, principalPolicy } from '#http/authorizer-policy.ts';
import { routeChecks } from '#http/route-checks.ts';
import { type RouteDefinition, routeKey, routes } from '#http/routes.ts';

const STAGE_PREFIX =
  'arn:aws:execute-api:eu-west-1:123456789012:abc123/$default';

/** The ARN API Gateway gives a call of `route`, path parameters filled in. */
function routeArn(route: RouteDefinition): string {
  return `${STAGE_PREFIX}/${route.method}${route.path.replace(/\{[^}]+\}/g, '8f3a9c')}`;
}

const nonPublic = routes.filter((route) => route.action !== 'public');

describe('route checks', () => {
  describe('routeChecks', () => {
    it('has a check for the action of every route', () => {
      // Act
      const unchecked = routes
        .filter((route) => !Object.hasOwn(routeChecks, route.action))
        .map(routeKey);

      // Assess
      expect(unchecked).toEqual([]);
    });

    it('declares no check that no route uses', () => {
      // Prepare
      const used = new Set<string>(routes.map((route) => route.action));

      // Act
      const unused = Object.keys(routeChecks).filter((a) => !used.has(a));

      // Assess
      expect(unused).toEqual([]);
    });

    it('maps every model and permissions check to an ability of PERMISSION_TABLE', () => {
      // Act
      const unknown = routes.flatMap((route) => {
        const check = routeChecks[route.action];
        return (check.kind === 'model' || check.kind === 'permissions') &&
          !Object.hasOwn(PERMISSION_TABLE, check.ability)
          ? [`${routeKey(route)} → ${check.ability}`]
          : [];
      });

      // Assess
      expect(unknown).toEqual([]);
    });

    it('reads permissions with the read ability and changes them with ModifyPermissions', () => {
      // Act & Assess
      expect(routeChecks['registry:ReadPermissions']).toEqual({
        kind: 'permissions',
        ability: 'ReadRegisteredModel',
      });
      expect(routeChecks['registry:ModifyPermissions']).toEqual({
        kind: 'permissions',
        ability: 'ModifyPermissions',
      });
    });

    it('checks admin for the action of every admin-only route, and for no other route', () => {
      // Act
      const adminOnly = routes
        .filter((route) => route.adminOnly === true)
        .map(routeKey);
      const checkedAsAdmin = routes
        .filter((route) => routeChecks[route.action].kind === 'admin')
        .map(routeKey);

      // Assess
      expect(adminOnly.length).toBeGreaterThan(0);
      expect(checkedAsAdmin).toEqual(adminOnly);
    });

    it('leaves only the health route public', () => {
      // Act
      const open = routes
        .filter((route) => routeChecks[route.action].kind === 'public')
        .map(routeKey);

      // Assess
      expect(open).toEqual(['GET /health']);
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
