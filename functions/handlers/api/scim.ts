import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import type { DirectoryDependencies } from '#domain/directory.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler } from '#http/api-handler.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import { createGroupOperation } from './scim/create-group.ts';
import {
  createServicePrincipalOperation,
  createUserOperation,
} from './scim/create-principal.ts';
import { deleteGroupOperation } from './scim/delete-group.ts';
import {
  deleteServicePrincipalOperation,
  deleteUserOperation,
} from './scim/delete-principal.ts';
import { getGroupOperation } from './scim/get-group.ts';
import {
  getServicePrincipalOperation,
  getUserOperation,
} from './scim/get-principal.ts';
import { listGroupsOperation } from './scim/list-groups.ts';
import {
  listServicePrincipalsOperation,
  listUsersOperation,
} from './scim/list-principals.ts';
import { getMeOperation } from './scim/me.ts';
import { patchGroupOperation } from './scim/patch-group.ts';
import {
  patchServicePrincipalOperation,
  patchUserOperation,
} from './scim/patch-principal.ts';

const identities = new DynamoDBIdentityStore(registryTableFromEnv());
const deps: DirectoryDependencies = { identities };

/** Databricks' workspace SCIM API (`/api/2.0/preview/scim/v2`). */
export const handler = createApiHandler({
  group: 'scim',
  deps,
  guard: createRouteGuard({ identities }),
  operations: [
    createUserOperation,
    listUsersOperation,
    getUserOperation,
    patchUserOperation,
    deleteUserOperation,
    createGroupOperation,
    listGroupsOperation,
    getGroupOperation,
    patchGroupOperation,
    deleteGroupOperation,
    createServicePrincipalOperation,
    listServicePrincipalsOperation,
    getServicePrincipalOperation,
    patchServicePrincipalOperation,
    deleteServicePrincipalOperation,
    getMeOperation,
  ],
});
