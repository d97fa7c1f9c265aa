import {
  type DirectoryDependencies,
  getPrincipalOfKind,
} from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import {
  resourceId,
  servicePrincipalJson,
  servicePrincipalSchema,
  userJson,
  userSchema,
} from '#http/scim.ts';

export const getUserOperation = defineOperation({
  operation: 'getUser',
  summary: 'Get a user (admins)',
  output: userSchema,
  input: resourceId,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    return userJson(await getPrincipalOfKind(deps, 'user', input.id));
  },
});

export const getServicePrincipalOperation = defineOperation({
  operation: 'getServicePrincipal',
  summary: 'Get a service principal (admins)',
  output: servicePrincipalSchema,
  input: resourceId,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    return servicePrincipalJson(
      await getPrincipalOfKind(deps, 'service_principal', input.id)
    );
  },
});
