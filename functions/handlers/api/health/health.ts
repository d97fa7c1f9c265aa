import { z } from 'zod';
import { defineOperation } from '#http/api-handler.ts';

/**
 * `GET /health`: answers without a token and without touching the table,
 * so load balancers and the local runtime can probe it cheaply.
 */
export const healthOperation = defineOperation({
  operation: 'health',
  summary: 'Liveness probe (no token needed)',
  input: z.object({}),
  output: z.object({ status: z.literal('OK') }),
  run: async () => ({ status: 'OK' as const }),
});
