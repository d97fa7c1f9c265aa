import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import {
  type ApiResult,
  invocationLogContext,
  jsonResponse,
  mlflowErrors,
} from '#http/api-handler.ts';

/**
 * `GET /health`, the one route without the authorizer (MLflow serves
 * `/health` unauthenticated too). It answers without touching the table, so
 * load balancers and the local runtime can probe it cheaply.
 */
export const handler = middy<
  APIGatewayProxyEventV2,
  ApiResult,
  Error,
  Context
>()
  .use(mlflowErrors())
  .use(invocationLogContext())
  .handler(async () => jsonResponse({ status: 'OK' }));
