import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import {
  deleteRegisteredModelAlias,
  getModelVersionByAlias,
  setRegisteredModelAlias,
} from '#domain/registry/models.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import {
  emptySchema,
  modelVersionJson,
  modelVersionSchema,
} from '#http/wire.ts';

export const setRegisteredModelAliasOperation = defineOperation({
  operation: 'setRegisteredModelAlias',
  summary: 'Point an alias at a model version',
  output: emptySchema,
  input: z.object({
    name: fields.string(),
    alias: fields.string(),
    version: versionField(),
  }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    await setRegisteredModelAlias(deps, input);
    return {};
  },
});

export const deleteRegisteredModelAliasOperation = defineOperation({
  operation: 'deleteRegisteredModelAlias',
  summary: 'Delete an alias',
  output: emptySchema,
  input: z.object({ name: fields.string(), alias: fields.string() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    await deleteRegisteredModelAlias(deps, input);
    return {};
  },
});

export const getModelVersionByAliasOperation = defineOperation({
  operation: 'getModelVersionByAlias',
  summary: 'Get the model version an alias points to',
  output: z.object({ model_version: modelVersionSchema }),
  input: z.object({ name: fields.string(), alias: fields.string() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => ({
    model_version: modelVersionJson(await getModelVersionByAlias(deps, input)),
  }),
});
