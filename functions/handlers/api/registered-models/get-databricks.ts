import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { getRegisteredModel } from '#domain/registry/models.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import {
  registeredModelDatabricksJson,
  registeredModelDatabricksSchema,
} from '#http/wire.ts';

/** Databricks' get: the model with its stable `id` and the caller's level. */
export const getRegisteredModelDatabricksOperation = defineOperation({
  operation: 'getRegisteredModelDatabricks',
  summary:
    "Get a registered model with its stable id and the caller's permission level (Databricks)",
  output: z.object({
    registered_model_databricks: registeredModelDatabricksSchema,
  }),
  input: z.object({ name: fields.string() }),
  run: async (
    input,
    { deps, access }: OperationContext<RegistryDependencies>
  ) => {
    const view = await getRegisteredModel(
      deps,
      input.name,
      access.model?.record
    );
    return {
      registered_model_databricks: registeredModelDatabricksJson(
        view,
        access.level
      ),
    };
  },
});
