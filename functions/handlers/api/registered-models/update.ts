import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { updateRegisteredModel } from '#domain/registry/models.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { registeredModelJson } from '#http/wire.ts';

export const updateRegisteredModelOperation = defineOperation({
  operation: 'updateRegisteredModel',
  input: z.object({
    name: fields.string(),
    description: fields.optionalString(),
  }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => ({
    registered_model: registeredModelJson(
      await updateRegisteredModel(deps, input)
    ),
  }),
});
