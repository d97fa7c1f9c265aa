import { z } from 'zod';
import { type DirectoryDependencies, getMe } from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { meJson, meSchema } from '#http/scim.ts';

/** `GET /Me`: any authenticated principal, its own record as stored now. */
export const getMeOperation = defineOperation({
  operation: 'getMe',
  summary: 'Get the caller',
  output: meSchema,
  input: z.object({}),
  run: async (
    _input,
    { deps, principal }: OperationContext<DirectoryDependencies>
  ) => meJson(await getMe(deps, principal)),
});
