import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { updateRegisteredModel } from '#domain/registry/models.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { registeredModelJson, registeredModelSchema } from '#http/wire.ts';

export const updateRegisteredModelOperation = defineOperation({
  operation: 'updateRegisteredModel',
  summary: "Update a registered model's description",
  output: z.object({ registered_model: registeredModelSchema }),
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
