import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import {
  deleteRegisteredModelAlias,
  getModelVersionByAlias,
  setRegisteredModelAlias,
} from '#domain/registry/models.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import { modelVersionJson } from '#http/wire.ts';

export const setRegisteredModelAliasOperation = defineOperation({
  operation: 'setRegisteredModelAlias',
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
  input: z.object({ name: fields.string(), alias: fields.string() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    await deleteRegisteredModelAlias(deps, input);
    return {};
  },
});

export const getModelVersionByAliasOperation = defineOperation({
  operation: 'getModelVersionByAlias',
  input: z.object({ name: fields.string(), alias: fields.string() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => ({
    model_version: modelVersionJson(await getModelVersionByAlias(deps, input)),
  }),
});
