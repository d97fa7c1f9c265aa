import { type DirectoryDependencies, patchGroup } from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { groupJson, groupSchema, patchRequest } from '#http/scim.ts';
import { interpretGroupPatch } from '#http/scim-patch.ts';

/**
 * `PATCH /Groups/{id}`: `add`/`remove` of `members`, `replace` of
 * `displayName` (written through to every member); answers the group.
 */
export const patchGroupOperation = defineOperation({
  operation: 'patchGroup',
  summary: 'Change a group: displayName, members (admins)',
  output: groupSchema,
  input: patchRequest,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    return groupJson(
      await patchGroup(deps, input.id, interpretGroupPatch(input.Operations))
    );
  },
});
