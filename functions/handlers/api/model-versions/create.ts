import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { createModelVersion } from '#domain/registry/versions.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { modelVersionJson, modelVersionSchema } from '#http/wire.ts';

export const createModelVersionOperation = defineOperation({
  operation: 'createModelVersion',
  summary: 'Create a model version',
  output: z.object({ model_version: modelVersionSchema }),
  input: z.object({
    name: fields.string(),
    source: fields.string(),
    run_id: fields.optionalString(),
    run_link: fields.optionalString(),
    description: fields.optionalString(),
    tags: fields.tags().optional(),
  }),
  run: async (
    input,
    { deps, principal }: OperationContext<RegistryDependencies>
  ) => ({
    model_version: modelVersionJson(
      await createModelVersion(deps, principal, {
        name: input.name,
        source: input.source,
        runId: input.run_id,
        runLink: input.run_link,
        description: input.description,
        tags: input.tags,
      })
    ),
  }),
});
