import { z } from 'zod';
import {
  revokeManagedToken,
  type TokenManagementDependencies,
} from '#domain/tokens.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { emptySchema } from '#http/wire.ts';

/**
 * `DELETE /api/2.0/token-management/tokens/{token_id}`: revokes any
 * principal's token; it stops working within the authorizer's cache
 * lifetime.
 */
export const revokeTokenOperation = defineOperation({
  operation: 'revokeToken',
  summary: "Revoke any principal's token (admins)",
  output: emptySchema,
  input: z.object({ token_id: z.string().min(1) }),
  run: async (
    input,
    { deps }: OperationContext<TokenManagementDependencies>
  ) => {
    await revokeManagedToken(deps, input.token_id);
    return {};
  },
});
