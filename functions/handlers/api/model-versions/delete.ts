import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { deleteModelVersion } from '#domain/registry/versions.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';

export const deleteModelVersionOperation = defineOperation({
  operation: 'deleteModelVersion',
  input: z.object({ name: fields.string(), version: versionField() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    await deleteModelVersion(deps, input);
    return {};
  },
});
