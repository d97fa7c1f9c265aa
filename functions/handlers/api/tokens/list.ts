import { z } from 'zod';
import { listTokens, type TokenDependencies } from '#domain/tokens.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { tokenInfoJson } from '#http/wire.ts';

export const listTokensOperation = defineOperation({
  operation: 'listTokens',
  input: z.object({}),
  run: async (
    _input,
    { deps, principal }: OperationContext<TokenDependencies>
  ) => {
    const tokens = await listTokens(deps, principal);
    return { token_infos: tokens.map(tokenInfoJson) };
  },
});
