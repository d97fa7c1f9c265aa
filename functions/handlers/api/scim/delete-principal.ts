import {
  type DirectoryDependencies,
  deletePrincipal,
} from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { resourceId } from '#http/scim.ts';
import { emptySchema } from '#http/wire.ts';

/**
 * `DELETE /Users/{id}`: also leaves its groups and revokes its tokens.
 * Databricks answers 204; we answer 200 `{}` (what every operation here
 * sends), which SCIM clients accept as success.
 */
export const deleteUserOperation = defineOperation({
  operation: 'deleteUser',
  summary: 'Delete a user and its tokens (admins)',
  output: emptySchema,
  input: resourceId,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    await deletePrincipal(deps, 'user', input.id);
    return {};
  },
});

export const deleteServicePrincipalOperation = defineOperation({
  operation: 'deleteServicePrincipal',
  summary: 'Delete a service principal and its tokens (admins)',
  output: emptySchema,
  input: resourceId,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    await deletePrincipal(deps, 'service_principal', input.id);
    return {};
  },
});
