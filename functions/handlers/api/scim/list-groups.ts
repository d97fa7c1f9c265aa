import { type DirectoryDependencies, listGroups } from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { groupJson, listQuery, listResponseJson } from '#http/scim.ts';
import { groupQuery } from '#http/scim-list.ts';

/** `GET /Groups?filter=&startIndex=&count=`: groups with their members. */
export const listGroupsOperation = defineOperation({
  operation: 'listGroups',
  input: listQuery,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    return listResponseJson(
      await listGroups(deps, groupQuery(input)),
      groupJson
    );
  },
});
