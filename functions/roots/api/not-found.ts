import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { EndpointNotFoundError } from '#domain/errors.ts';
import {
  type ApiHandler,
  type ApiResult,
  apiObservability,
  mlflowErrors,
} from '#http/api-handler.ts';
import { principalFromEvent } from '#http/auth-context.ts';
import { defineRoot } from '#shared/root.ts';

/**
 * The `$default` route: any path or method the route table does not serve.
 * Answers MLflow's JSON ENDPOINT_NOT_FOUND (never an HTML 404 or a redirect:
 * the MLflow client only falls back on the JSON code, and the Databricks SDK
 * hangs on redirects). Unauthenticated callers get 401 first, so probing
 * does not reveal which routes exist.
 */
export const notFoundRoot = defineRoot({
  needs: {},
  wire: () => ({}),
  build: (): ApiHandler =>
    middy<APIGatewayProxyEventV2, ApiResult, Error, Context>()
      .use(apiObservability())
      .use(mlflowErrors())
      .handler(async (event) => {
        principalFromEvent(event);
        throw new EndpointNotFoundError(
          `No API endpoint for ${event.requestContext.http.method} ${event.rawPath}`
        );
      }),
});
