import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { getRegisteredModel } from '#domain/registry/models.ts';
import { settingsOf, settingsOfModel } from '#domain/registry/requests.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import {
  registeredModelDatabricksJson,
  registeredModelDatabricksSchema,
} from '#http/wire.ts';
import type { TransitionRequestStore } from '#ports/transition-request-store.ts';

type Dependencies = RegistryDependencies & {
  readonly requests?: Pick<TransitionRequestStore, 'getSettings'>;
};

/**
 * Databricks' get: the model with its stable `id`, the caller's level and
 * (extension) the protected-stage policy in force for it.
 */
export const getRegisteredModelDatabricksOperation = defineOperation({
  operation: 'getRegisteredModelDatabricks',
  summary:
    "Get a registered model with its stable id, the caller's permission level and its stage policy",
  output: z.object({
    registered_model_databricks: registeredModelDatabricksSchema,
  }),
  input: z.object({ name: fields.string() }),
  run: async (input, { deps, access }: OperationContext<Dependencies>) => {
    const { requests } = deps;
    if (!requests) throw new Error('This function has no request store.');
    const view = await getRegisteredModel(deps, input.name, access.model);
    return {
      registered_model_databricks: registeredModelDatabricksJson(
        view,
        access.level,
        await (access.model
          ? settingsOfModel({ requests }, access.model)
          : settingsOf({ requests }, view.model.id))
      ),
    };
  },
});
