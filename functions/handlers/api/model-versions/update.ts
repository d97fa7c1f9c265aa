import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { updateModelVersion } from '#domain/registry/versions.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import { modelVersionJson, modelVersionSchema } from '#http/wire.ts';

export const updateModelVersionOperation = defineOperation({
  operation: 'updateModelVersion',
  summary: "Update a model version's description",
  output: z.object({ model_version: modelVersionSchema }),
  input: z.object({
    name: fields.string(),
    version: versionField(),
    description: fields.optionalString(),
  }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => ({
    model_version: modelVersionJson(await updateModelVersion(deps, input)),
  }),
});
