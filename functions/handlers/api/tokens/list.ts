import { z } from 'zod';
import { listTokens, type TokenDependencies } from '#domain/tokens.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { tokenInfoJson, tokenInfoSchema } from '#http/wire.ts';

export const listTokensOperation = defineOperation({
  operation: 'listTokens',
  summary: "List the caller's tokens",
  output: z.object({ token_infos: z.array(tokenInfoSchema) }),
  input: z.object({}),
  run: async (
    _input,
    { deps, principal }: OperationContext<TokenDependencies>
  ) => {
    const tokens = await listTokens(deps, principal);
    return { token_infos: tokens.map(tokenInfoJson) };
  },
});
