import { DynamoDBAccessReads } from '#adapters/dynamodb/access-reads.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import {
  getPermissionLevelsOperation,
  getPermissionsOperation,
  type PermissionsDependencies,
  setPermissionsOperation,
  updatePermissionsOperation,
} from '#handlers/api/permissions/registered-models.ts';
import {
  defineApiRoot,
  type GuardDependencies,
  registryTableNeed,
} from '../api-root.ts';

export type PermissionsApiDependencies = PermissionsDependencies &
  GuardDependencies;

/** Databricks' permissions API for registered models and the registry root. */
export const permissionsRoot = defineApiRoot<PermissionsApiDependencies>()({
  group: 'permissions',
  needs: { table: registryTableNeed },
  operations: [
    getPermissionsOperation,
    setPermissionsOperation,
    updatePermissionsOperation,
    getPermissionLevelsOperation,
  ],
  wire: ({ table }) => ({
    store: new DynamoDBModelRegistryStore(table),
    identities: new DynamoDBIdentityStore(table),
    reads: new DynamoDBAccessReads(table),
  }),
});
