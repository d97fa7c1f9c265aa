import { type DirectoryDependencies, getGroup } from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { groupJson, groupSchema, resourceId } from '#http/scim.ts';

export const getGroupOperation = defineOperation({
  operation: 'getGroup',
  summary: 'Get a group with its members (admins)',
  output: groupSchema,
  input: resourceId,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    return groupJson(await getGroup(deps, input.id));
  },
});
