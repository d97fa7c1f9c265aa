import {
  type DirectoryDependencies,
  getGroup,
  requireAdmin,
} from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { groupJson, resourceId } from '#http/scim.ts';

export const getGroupOperation = defineOperation({
  operation: 'getGroup',
  input: resourceId,
  run: async (
    input,
    { deps, principal }: OperationContext<DirectoryDependencies>
  ) => {
    await requireAdmin(deps.directory, principal);
    return groupJson(await getGroup(deps, input.id));
  },
});
