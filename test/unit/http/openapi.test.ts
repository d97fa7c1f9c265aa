import { readFileSync } from 'node:fs';
import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOperation } from '#http/api-handler.ts';
import {
  buildOpenApiDocument,
  type JsonObject,
  RouteWithoutSchemaError,
} from '#http/openapi.ts';
import { routeKey, routes } from '#http/routes.ts';
import {
  OPENAPI_FILE,
  openApiText,
  registryOpenApiDocument,
} from '#roots/openapi.ts';

const document = await registryOpenApiDocument();
const paths = document.paths as Record<string, Record<string, JsonObject>>;

/** The document's operation for a route of the route table. */
function operationOf(method: string, path: string): JsonObject | undefined {
  return paths[path.replace('{proxy+}', '{proxy}')]?.[method.toLowerCase()];
}

describe('OpenAPI document', () => {
  it('is the one kept in docs/openapi.json (run npm run openapi after a change)', () => {
    // Act
    const kept = readFileSync(OPENAPI_FILE, 'utf8');

    // Assess
    expect(kept).toBe(openApiText(document));
  });

  it('validates as OpenAPI 3.1', async () => {
    // Act
    const result = await validate(structuredClone(document) as never);

    // Assess
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.specification).toBe('OpenAPI');
    expect(document.openapi).toBe('3.1.0');
  });

  it('covers every route of the route table, and nothing else', () => {
    // Act
    const documented = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)
    );

    // Assess
    expect(documented.sort()).toEqual(
      routes
        .map((route) => routeKey(route).replace('{proxy+}', '{proxy}'))
        .sort()
    );
  });

  it('gives every route a summary and a response schema, and names its ability', () => {
    // Act
    const incomplete = routes.filter((route) => {
      const operation = operationOf(route.method, route.path);
      const responses = operation?.responses as Record<string, JsonObject>;
      const content = responses?.['200']?.content as
        | Record<string, JsonObject>
        | undefined;
      // The e-mail link page answers a page for a browser.
      const schema =
        content?.['application/json']?.schema ?? content?.['text/html']?.schema;
      return (
        !operation?.summary ||
        (schema === undefined && responses?.['302'] === undefined) ||
        (route.action !== 'public' &&
          operation['x-stagegate-ability'] !== route.action)
      );
    });

    // Assess
    expect(incomplete.map(routeKey)).toEqual([]);
  });

  it('takes GET and DELETE input from the query, the rest from a JSON body', () => {
    // Act
    const search = operationOf(
      'GET',
      '/api/2.0/mlflow/registered-models/search'
    );
    const create = operationOf(
      'POST',
      '/api/2.0/mlflow/registered-models/create'
    );
    const patch = operationOf('PATCH', '/api/2.0/preview/scim/v2/Users/{id}');

    // Assess
    expect(search?.parameters).toContainEqual(
      expect.objectContaining({ name: 'filter', in: 'query', required: false })
    );
    expect(search?.requestBody).toBeUndefined();
    expect(create?.requestBody).toMatchObject({
      required: true,
      content: {
        'application/json': {
          schema: { required: ['name'], properties: { name: {} } },
        },
      },
    });
    expect(patch?.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    ]);
  });

  it("needs no token for the public routes and OAuth's client routes only", () => {
    // Act
    const open = routes
      .filter((route) => {
        const security = operationOf(route.method, route.path)?.security;
        return Array.isArray(security) && security.length === 0;
      })
      .map(routeKey);

    // Assess
    expect(open).toEqual([
      'GET /health',
      'GET /callbacks/email/decision',
      'POST /callbacks/email/decision',
      'GET /api/openapi.json',
      'POST /callbacks/slack/interactions',
      'GET /oidc/.well-known/oauth-authorization-server',
      'POST /oidc/v1/token',
    ]);
  });

  it('fails, naming the route, when a route has no operation with schemas', () => {
    // Prepare
    const health = defineOperation({
      operation: 'health',
      summary: 'Liveness probe',
      input: z.object({}),
      output: z.object({}),
      run: async () => ({}),
    });
    const table = [
      {
        method: 'GET',
        path: '/health',
        group: 'health',
        operation: 'health',
        action: 'public',
      },
      {
        method: 'GET',
        path: '/api/2.0/stagegate/inbox',
        group: 'transition-requests',
        operation: 'listInbox',
        action: 'registry:ReadRegisteredModel',
      },
    ] as const;

    // Act
    const build = () =>
      buildOpenApiDocument([health], { version: '0', routes: table });

    // Assess
    expect(build).toThrow(RouteWithoutSchemaError);
    expect(build).toThrow(
      /GET \/api\/2\.0\/stagegate\/inbox \(operation listInbox\)/
    );
  });
});
