import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { EndpointNotFoundError } from '#domain/errors.ts';
import { healthOperation } from '#handlers/api/health/health.ts';
import { openApiDocumentOperation } from '#handlers/api/health/openapi-document.ts';
import {
  type ApiHandler,
  type ApiResult,
  apiObservability,
  jsonResponse,
  mlflowErrors,
  type OperationContext,
} from '#http/api-handler.ts';
import { routeKey, routes } from '#http/routes.ts';
import { defineRoot } from '#shared/root.ts';

/** Public operations read nothing of the caller: there is none. */
const operations = [healthOperation, openApiDocumentOperation];
const noCaller = undefined as unknown as OperationContext<unknown>;

/**
 * The public routes, the only ones without the authorizer: `GET /health`
 * (MLflow serves it unauthenticated too) and `GET /api/openapi.json`, the
 * API reference. Neither needs nor reaches any data, so the function is
 * granted nothing and has no route guard or principal.
 */
export const healthRoot = {
  operations,
  ...defineRoot({
    needs: {},
    wire: () => ({}),
    build: (): ApiHandler => {
      const byOperation = new Map(operations.map((o) => [o.operation, o]));
      const dispatch = new Map(
        routes
          .filter((route) => route.group === 'health')
          .map((route) => [routeKey(route), byOperation.get(route.operation)])
      );
      return middy<APIGatewayProxyEventV2, ApiResult, Error, Context>()
        .use(apiObservability())
        .use(mlflowErrors())
        .handler(async (event) => {
          const operation = dispatch.get(event.routeKey);
          if (!operation) {
            throw new EndpointNotFoundError(
              `No API endpoint for ${event.requestContext.http.method} ${event.rawPath}`
            );
          }
          return jsonResponse(await operation.execute({}, noCaller));
        });
    },
  }),
};
