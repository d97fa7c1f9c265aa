import { z } from 'zod';
import { requireAdmin } from '#domain/directory.ts';
import {
  revokeManagedToken,
  type TokenManagementDependencies,
} from '#domain/tokens.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';

/**
 * `DELETE /api/2.0/token-management/tokens/{token_id}`: revokes any
 * principal's token; it stops working within the authorizer's cache
 * lifetime.
 */
export const revokeTokenOperation = defineOperation({
  operation: 'revokeToken',
  input: z.object({ token_id: z.string().min(1) }),
  run: async (
    input,
    { deps, principal }: OperationContext<TokenManagementDependencies>
  ) => {
    await requireAdmin(deps.directory, principal);
    await revokeManagedToken(deps, input.token_id);
    return {};
  },
});
