import { z } from 'zod';
import {
  getRegisteredModel,
  type RegistryDependencies,
} from '#domain/registry-service.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { registeredModelJson } from '#http/wire.ts';

export const getRegisteredModelOperation = defineOperation({
  operation: 'getRegisteredModel',
  input: z.object({ name: fields.string() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    const model = await getRegisteredModel(deps, input.name);
    return { registered_model: registeredModelJson(model) };
  },
});
