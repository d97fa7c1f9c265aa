import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import {
  deleteModelVersionTag,
  setModelVersionTag,
} from '#domain/registry/versions.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import { emptySchema } from '#http/wire.ts';

export const setModelVersionTagOperation = defineOperation({
  operation: 'setModelVersionTag',
  summary: 'Set a tag on a model version',
  output: emptySchema,
  input: z.object({
    name: fields.string(),
    version: versionField(),
    key: fields.string(),
    value: fields.string(),
  }),
  run: async (
    input,
    { deps, principal }: OperationContext<RegistryDependencies>
  ) => {
    await setModelVersionTag(deps, principal, input);
    return {};
  },
});

export const deleteModelVersionTagOperation = defineOperation({
  operation: 'deleteModelVersionTag',
  summary: 'Delete a tag of a model version',
  output: emptySchema,
  input: z.object({
    name: fields.string(),
    version: versionField(),
    key: fields.string(),
  }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    await deleteModelVersionTag(deps, input);
    return {};
  },
});
