import {
  type DirectoryDependencies,
  patchPrincipal,
} from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import {
  patchRequest,
  servicePrincipalJson,
  servicePrincipalSchema,
  userJson,
  userSchema,
} from '#http/scim.ts';
import { interpretPrincipalPatch } from '#http/scim-patch.ts';

/**
 * `PATCH /Users/{id}`: `replace` of `active`/`displayName`, `add`/`remove`
 * of `groups`, applied atomically; answers the updated user.
 */
export const patchUserOperation = defineOperation({
  operation: 'patchUser',
  summary: 'Change a user: active, displayName, groups (admins)',
  output: userSchema,
  input: patchRequest,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    return userJson(
      await patchPrincipal(
        deps,
        'user',
        input.id,
        interpretPrincipalPatch(input.Operations)
      )
    );
  },
});

export const patchServicePrincipalOperation = defineOperation({
  operation: 'patchServicePrincipal',
  summary: 'Change a service principal: active, displayName, groups (admins)',
  output: servicePrincipalSchema,
  input: patchRequest,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    return servicePrincipalJson(
      await patchPrincipal(
        deps,
        'service_principal',
        input.id,
        interpretPrincipalPatch(input.Operations)
      )
    );
  },
});
