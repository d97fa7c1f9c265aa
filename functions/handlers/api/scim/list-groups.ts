import { type DirectoryDependencies, listGroups } from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import {
  groupJson,
  groupSchema,
  listQuery,
  listResponseJson,
  listResponseSchema,
} from '#http/scim.ts';
import { groupQuery } from '#http/scim-list.ts';

/** `GET /Groups?filter=&startIndex=&count=`: groups with their members. */
export const listGroupsOperation = defineOperation({
  operation: 'listGroups',
  summary: 'List groups (admins)',
  output: listResponseSchema(groupSchema),
  input: listQuery,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    return listResponseJson(
      await listGroups(deps, groupQuery(input)),
      groupJson
    );
  },
});
