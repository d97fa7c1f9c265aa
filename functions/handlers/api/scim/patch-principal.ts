import {
  type DirectoryDependencies,
  patchPrincipal,
} from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { patchRequest, servicePrincipalJson, userJson } from '#http/scim.ts';
import { interpretPrincipalPatch } from '#http/scim-patch.ts';

/**
 * `PATCH /Users/{id}`: `replace` of `active`/`displayName`, `add`/`remove`
 * of `groups`, applied atomically; answers the updated user.
 */
export const patchUserOperation = defineOperation({
  operation: 'patchUser',
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
