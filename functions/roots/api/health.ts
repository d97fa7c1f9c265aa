import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import {
  type ApiHandler,
  type ApiResult,
  apiObservability,
  jsonResponse,
  mlflowErrors,
} from '#http/api-handler.ts';
import { defineRoot } from '#shared/root.ts';

/**
 * `GET /health`, the one route without the authorizer (MLflow serves
 * `/health` unauthenticated too). It needs nothing and answers without
 * touching the table, so load balancers and the local runtime can probe it
 * cheaply; nothing behind this public route may reach data.
 */
export const healthRoot = defineRoot({
  needs: {},
  wire: () => ({}),
  build: (): ApiHandler =>
    middy<APIGatewayProxyEventV2, ApiResult, Error, Context>()
      .use(apiObservability())
      .use(mlflowErrors())
      .handler(async () => jsonResponse({ status: 'OK' })),
});
