import { z } from 'zod';
import { deleteToken, type TokenDependencies } from '#domain/tokens.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { emptySchema } from '#http/wire.ts';

export const deleteTokenOperation = defineOperation({
  operation: 'deleteToken',
  summary: "Revoke one of the caller's tokens",
  output: emptySchema,
  input: z.object({ token_id: fields.string() }),
  run: async (
    input,
    { deps, principal }: OperationContext<TokenDependencies>
  ) => {
    await deleteToken(deps, principal, input.token_id);
    return {};
  },
});
