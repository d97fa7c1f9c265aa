import {
  type DirectoryDependencies,
  listPrincipals,
} from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import {
  listQuery,
  listResponseJson,
  listResponseSchema,
  servicePrincipalJson,
  servicePrincipalSchema,
  userJson,
  userSchema,
} from '#http/scim.ts';
import { principalQuery } from '#http/scim-list.ts';

/** `GET /Users?filter=&startIndex=&count=`: a SCIM ListResponse. */
export const listUsersOperation = defineOperation({
  operation: 'listUsers',
  summary: 'List users (admins)',
  output: listResponseSchema(userSchema),
  input: listQuery,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    const page = await listPrincipals(
      deps,
      'user',
      principalQuery('user', input)
    );
    return listResponseJson(page, userJson);
  },
});

/** `GET /ServicePrincipals?filter=&startIndex=&count=`. */
export const listServicePrincipalsOperation = defineOperation({
  operation: 'listServicePrincipals',
  summary: 'List service principals (admins)',
  output: listResponseSchema(servicePrincipalSchema),
  input: listQuery,
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    const page = await listPrincipals(
      deps,
      'service_principal',
      principalQuery('service_principal', input)
    );
    return listResponseJson(page, servicePrincipalJson);
  },
});
