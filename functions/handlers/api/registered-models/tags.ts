import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import {
  deleteRegisteredModelTag,
  setRegisteredModelTag,
} from '#domain/registry/models.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { emptySchema } from '#http/wire.ts';

export const setRegisteredModelTagOperation = defineOperation({
  operation: 'setRegisteredModelTag',
  summary: 'Set a tag on a registered model',
  output: emptySchema,
  input: z.object({
    name: fields.string(),
    key: fields.string(),
    value: fields.string(),
  }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    await setRegisteredModelTag(deps, input);
    return {};
  },
});

export const deleteRegisteredModelTagOperation = defineOperation({
  operation: 'deleteRegisteredModelTag',
  summary: 'Delete a tag of a registered model',
  output: emptySchema,
  input: z.object({ name: fields.string(), key: fields.string() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    await deleteRegisteredModelTag(deps, input);
    return {};
  },
});
