import {
  type DirectoryDependencies,
  patchPrincipal,
  requireAdmin,
} from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { patchRequest, servicePrincipalJson, userJson } from '#http/scim.ts';

/**
 * `PATCH /Users/{id}`: `replace` of `active`/`displayName`, `add`/`remove`
 * of `groups`, applied atomically; answers the updated user.
 */
export const patchUserOperation = defineOperation({
  operation: 'patchUser',
  input: patchRequest,
  run: async (
    input,
    { deps, principal }: OperationContext<DirectoryDependencies>
  ) => {
    await requireAdmin(deps.directory, principal);
    return userJson(
      await patchPrincipal(deps, 'user', input.id, input.Operations)
    );
  },
});

export const patchServicePrincipalOperation = defineOperation({
  operation: 'patchServicePrincipal',
  input: patchRequest,
  run: async (
    input,
    { deps, principal }: OperationContext<DirectoryDependencies>
  ) => {
    await requireAdmin(deps.directory, principal);
    return servicePrincipalJson(
      await patchPrincipal(
        deps,
        'service_principal',
        input.id,
        input.Operations
      )
    );
  },
});
