import { z } from 'zod';
import {
  listManagedTokens,
  type TokenManagementDependencies,
} from '#domain/tokens.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { managedTokenInfoJson, managedTokenInfoSchema } from '#http/scim.ts';
import { fields } from '#http/validation.ts';

/** `GET /api/2.0/token-management/tokens`: every principal's live tokens. */
export const listAllTokensOperation = defineOperation({
  operation: 'listAllTokens',
  summary: "List every principal's tokens (admins)",
  output: z.object({ token_infos: z.array(managedTokenInfoSchema) }),
  input: z.object({
    created_by_id: fields.optionalString(),
    created_by_username: fields.optionalString(),
  }),
  run: async (
    input,
    { deps }: OperationContext<TokenManagementDependencies>
  ) => {
    const tokens = await listManagedTokens(deps, {
      createdById: input.created_by_id,
      createdByUsername: input.created_by_username,
    });
    return { token_infos: tokens.map(managedTokenInfoJson) };
  },
});
