import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import type { DirectoryDependencies } from '#domain/directory.ts';
import { createGroupOperation } from '#handlers/api/scim/create-group.ts';
import {
  createServicePrincipalOperation,
  createUserOperation,
} from '#handlers/api/scim/create-principal.ts';
import { deleteGroupOperation } from '#handlers/api/scim/delete-group.ts';
import {
  deleteServicePrincipalOperation,
  deleteUserOperation,
} from '#handlers/api/scim/delete-principal.ts';
import { getGroupOperation } from '#handlers/api/scim/get-group.ts';
import {
  getServicePrincipalOperation,
  getUserOperation,
} from '#handlers/api/scim/get-principal.ts';
import { listGroupsOperation } from '#handlers/api/scim/list-groups.ts';
import {
  listServicePrincipalsOperation,
  listUsersOperation,
} from '#handlers/api/scim/list-principals.ts';
import { getMeOperation } from '#handlers/api/scim/me.ts';
import { patchGroupOperation } from '#handlers/api/scim/patch-group.ts';
import {
  patchServicePrincipalOperation,
  patchUserOperation,
} from '#handlers/api/scim/patch-principal.ts';
import {
  defineApiRoot,
  type GuardDependencies,
  registryTableNeed,
} from '../api-root.ts';

export type ScimDependencies = DirectoryDependencies & GuardDependencies;

/** Databricks' workspace SCIM API (`/api/2.0/preview/scim/v2`). */
export const scimRoot = defineApiRoot<ScimDependencies>()({
  group: 'scim',
  needs: { table: registryTableNeed },
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
  wire: ({ table }) => {
    const identities = new DynamoDBIdentityStore(table);
    return { identities };
  },
});
