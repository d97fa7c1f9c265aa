import { z } from 'zod';
import { defineOperation } from '#http/api-handler.ts';

/**
 * `GET /api/openapi.json`: this API's reference, an OpenAPI 3.1 document,
 * without a token. It is the committed `docs/openapi.json`, generated from
 * the route table and the operations' schemas (`npm run openapi`; a unit
 * test fails when the two differ), bundled into the function.
 */
export const openApiDocumentOperation = defineOperation({
  operation: 'getOpenApiDocument',
  summary: 'This API reference, an OpenAPI 3.1 document (no token needed)',
  input: z.object({}),
  output: z
    .record(z.string(), z.unknown())
    .meta({ description: 'The OpenAPI 3.1 document.' }),
  run: async () =>
    (
      await import('../../../../docs/openapi.json', {
        with: { type: 'json' },
      })
    ).default,
});
