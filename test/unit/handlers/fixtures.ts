import type { Principal } from '#domain/principal.ts';
import {
  deleteRegisteredModelAliasOperation,
  getModelVersionByAliasOperation,
  setRegisteredModelAliasOperation,
} from '#handlers/api/registered-models/aliases.ts';
import { createRegisteredModelOperation } from '#handlers/api/registered-models/create.ts';
import { deleteRegisteredModelOperation } from '#handlers/api/registered-models/delete.ts';
import { getRegisteredModelOperation } from '#handlers/api/registered-models/get.ts';
import { getRegisteredModelDatabricksOperation } from '#handlers/api/registered-models/get-databricks.ts';
import { getLatestVersionsOperation } from '#handlers/api/registered-models/get-latest-versions.ts';
import { renameRegisteredModelOperation } from '#handlers/api/registered-models/rename.ts';
import {
  listRegisteredModelsOperation,
  searchRegisteredModelsOperation,
} from '#handlers/api/registered-models/search.ts';
import {
  deleteRegisteredModelTagOperation,
  setRegisteredModelTagOperation,
} from '#handlers/api/registered-models/tags.ts';
import { updateRegisteredModelOperation } from '#handlers/api/registered-models/update.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';

/** The caller of `createTestEvent()`'s default authorizer context. */
export const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: ['risk'],
};

export const bob: Principal = {
  id: '43',
  userName: 'bob@example.com',
  kind: 'user',
  isAdmin: false,
  groups: [],
};

/** An identity store that knows the principals (the route guard reads them). */
export async function identitiesWith(
  ...principals: Principal[]
): Promise<MemoryIdentityStore> {
  const identities = new MemoryIdentityStore();
  for (const principal of principals) await identities.putPrincipal(principal);
  return identities;
}

/**
 * The operations of the `registered-models` group, imported one by one:
 * the group's entry file wires DynamoDB at module scope.
 */
export const registeredModelOperations = [
  createRegisteredModelOperation,
  getRegisteredModelOperation,
  getRegisteredModelDatabricksOperation,
  searchRegisteredModelsOperation,
  listRegisteredModelsOperation,
  updateRegisteredModelOperation,
  renameRegisteredModelOperation,
  deleteRegisteredModelOperation,
  getLatestVersionsOperation,
  setRegisteredModelTagOperation,
  deleteRegisteredModelTagOperation,
  setRegisteredModelAliasOperation,
  deleteRegisteredModelAliasOperation,
  getModelVersionByAliasOperation,
];
