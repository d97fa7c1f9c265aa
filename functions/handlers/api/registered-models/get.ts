import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { getRegisteredModel } from '#domain/registry/models.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { registeredModelJson, registeredModelSchema } from '#http/wire.ts';

export const getRegisteredModelOperation = defineOperation({
  operation: 'getRegisteredModel',
  summary: 'Get a registered model with its latest versions',
  output: z.object({ registered_model: registeredModelSchema }),
  input: z.object({ name: fields.string() }),
  run: async (
    input,
    { deps, access }: OperationContext<RegistryDependencies>
  ) => ({
    registered_model: registeredModelJson(
      await getRegisteredModel(deps, input.name, access.model?.record)
    ),
  }),
});
