import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { deleteModelVersion } from '#domain/registry/versions.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import { emptySchema } from '#http/wire.ts';

export const deleteModelVersionOperation = defineOperation({
  operation: 'deleteModelVersion',
  summary: 'Delete a model version (in None or Archived)',
  output: emptySchema,
  input: z.object({ name: fields.string(), version: versionField() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    await deleteModelVersion(deps, input);
    return {};
  },
});
