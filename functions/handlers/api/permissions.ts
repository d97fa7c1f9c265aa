import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler } from '#http/api-handler.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import {
  getPermissionLevelsOperation,
  getPermissionsOperation,
  type PermissionsDependencies,
  setPermissionsOperation,
  updatePermissionsOperation,
} from './permissions/registered-models.ts';

const table = registryTableFromEnv();
const store = new DynamoDBModelRegistryStore(table);
const deps: PermissionsDependencies = { store };

export const handler = createApiHandler({
  group: 'permissions',
  deps,
  guard: createRouteGuard({
    identities: new DynamoDBIdentityStore(table),
    store,
  }),
  operations: [
    getPermissionsOperation,
    setPermissionsOperation,
    updatePermissionsOperation,
    getPermissionLevelsOperation,
  ],
});
