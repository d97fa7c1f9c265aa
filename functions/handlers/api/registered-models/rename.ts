import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { renameRegisteredModel } from '#domain/registry/models.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { registeredModelJson, registeredModelSchema } from '#http/wire.ts';

export const renameRegisteredModelOperation = defineOperation({
  operation: 'renameRegisteredModel',
  summary: 'Rename a registered model',
  output: z.object({ registered_model: registeredModelSchema }),
  input: z.object({ name: fields.string(), new_name: fields.string() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => ({
    registered_model: registeredModelJson(
      await renameRegisteredModel(deps, {
        name: input.name,
        newName: input.new_name,
      })
    ),
  }),
});
