import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { createRegisteredModel } from '#domain/registry/models.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { registeredModelJson, registeredModelSchema } from '#http/wire.ts';

export const createRegisteredModelOperation = defineOperation({
  operation: 'createRegisteredModel',
  summary: 'Create a registered model',
  output: z.object({ registered_model: registeredModelSchema }),
  input: z.object({
    name: fields.string(),
    description: fields.optionalString(),
    tags: fields.tags().optional(),
  }),
  run: async (
    input,
    { deps, principal }: OperationContext<RegistryDependencies>
  ) => {
    const model = await createRegisteredModel(deps, principal, input);
    return { registered_model: registeredModelJson(model) };
  },
});
