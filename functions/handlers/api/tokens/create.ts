import { z } from 'zod';
import { createToken, type TokenDependencies } from '#domain/tokens.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { tokenInfoJson, tokenInfoSchema } from '#http/wire.ts';

/** Databricks `POST /api/2.0/token/create`: the value is shown only here. */
export const createTokenOperation = defineOperation({
  operation: 'createToken',
  summary: 'Create a token for the caller',
  output: z.object({ token_value: z.string(), token_info: tokenInfoSchema }),
  input: z.object({
    lifetime_seconds: fields.int64().optional(),
    comment: fields.optionalString(),
  }),
  run: async (
    input,
    { deps, principal }: OperationContext<TokenDependencies>
  ) => {
    const created = await createToken(deps, principal, {
      lifetimeSeconds: input.lifetime_seconds,
      comment: input.comment,
    });
    return {
      token_value: created.tokenValue,
      token_info: tokenInfoJson(created.tokenInfo),
    };
  },
});
