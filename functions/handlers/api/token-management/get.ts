import { z } from 'zod';
import {
  getManagedToken,
  type TokenManagementDependencies,
} from '#domain/tokens.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { managedTokenInfoJson, managedTokenInfoSchema } from '#http/scim.ts';

/** `GET /api/2.0/token-management/tokens/{token_id}`. */
export const getTokenInfoOperation = defineOperation({
  operation: 'getTokenInfo',
  summary: 'Get a token (admins)',
  output: z.object({ token_info: managedTokenInfoSchema }),
  input: z.object({ token_id: z.string().min(1) }),
  run: async (
    input,
    { deps }: OperationContext<TokenManagementDependencies>
  ) => {
    return {
      token_info: managedTokenInfoJson(
        await getManagedToken(deps, input.token_id)
      ),
    };
  },
});
