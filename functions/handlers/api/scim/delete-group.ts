import { type DirectoryDependencies, deleteGroup } from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { resourceId } from '#http/scim.ts';
import { emptySchema } from '#http/wire.ts';

/** `DELETE /Groups/{id}`: its members leave it first; `admins` stays. */
export const deleteGroupOperation = defineOperation({
  operation: 'deleteGroup',
  summary: 'Delete a group (admins)',
  output: emptySchema,
  input: resourceId,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    await deleteGroup(deps, input.id);
    return {};
  },
});
