import { describe, expect, it } from 'vitest';
import { routeKey, routes } from '#http/routes.ts';
import { endpoints } from '../../../web/src/api.ts';

describe('web page API calls', () => {
  it('names only routes of the route table, with their methods', () => {
    // Prepare
    const served = new Set(routes.map(routeKey));

    // Act
    const unknown = Object.entries(endpoints)
      .map(([name, [method, path]]) => [name, `${method} ${path}`] as const)
      .filter(([, key]) => !served.has(key));

    // Assess
    expect(unknown).toEqual([]);
  });

  it('takes no public route for a registry call (every call carries the token)', () => {
    const publicKeys = new Set(
      routes.filter((route) => route.action === 'public').map(routeKey)
    );
    expect(
      Object.values(endpoints).filter(([method, path]) =>
        publicKeys.has(`${method} ${path}`)
      )
    ).toEqual([]);
  });
});
