import { z } from 'zod';
import { createGroup, type DirectoryDependencies } from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { groupJson, groupSchema, referencesField } from '#http/scim.ts';
import { fields } from '#http/validation.ts';

/** `POST /Groups {displayName, members?}`: members are principals only. */
export const createGroupOperation = defineOperation({
  operation: 'createGroup',
  summary: 'Create a group (admins)',
  output: groupSchema,
  input: z.object({
    displayName: fields.string(),
    members: referencesField().optional(),
  }),
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    const group = await createGroup(deps, {
      displayName: input.displayName,
      memberIds: input.members?.map((member) => member.value),
    });
    return groupJson(group);
  },
});
