import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { deleteRegisteredModel } from '#domain/registry/models.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { emptySchema } from '#http/wire.ts';

export const deleteRegisteredModelOperation = defineOperation({
  operation: 'deleteRegisteredModel',
  summary: 'Delete a registered model with its versions',
  output: emptySchema,
  input: z.object({ name: fields.string() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    await deleteRegisteredModel(deps, input);
    return {};
  },
});
