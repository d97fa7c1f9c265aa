import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { getLatestVersions } from '#domain/registry/models.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { modelVersionJson, modelVersionSchema } from '#http/wire.ts';

/** Served on POST (body) and GET (query, `stages` repeated), as MLflow. */
export const getLatestVersionsOperation = defineOperation({
  operation: 'getLatestVersions',
  summary: 'Get the latest version in each requested stage',
  output: z.object({ model_versions: z.array(modelVersionSchema).optional() }),
  input: z.object({
    name: fields.string(),
    stages: fields.stringList().optional(),
  }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    const versions = await getLatestVersions(deps, input);
    return versions.length > 0
      ? { model_versions: versions.map(modelVersionJson) }
      : {};
  },
});
