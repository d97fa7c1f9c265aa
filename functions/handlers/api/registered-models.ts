import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler } from '#http/api-handler.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import { requestDependenciesFromEnv } from '#shared/request-dependencies.ts';
import {
  deleteRegisteredModelAliasOperation,
  getModelVersionByAliasOperation,
  setRegisteredModelAliasOperation,
} from './registered-models/aliases.ts';
import { createRegisteredModelOperation } from './registered-models/create.ts';
import { deleteRegisteredModelOperation } from './registered-models/delete.ts';
import { getRegisteredModelOperation } from './registered-models/get.ts';
import { getRegisteredModelDatabricksOperation } from './registered-models/get-databricks.ts';
import { getLatestVersionsOperation } from './registered-models/get-latest-versions.ts';
import { renameRegisteredModelOperation } from './registered-models/rename.ts';
import {
  listRegisteredModelsOperation,
  searchRegisteredModelsOperation,
} from './registered-models/search.ts';
import {
  deleteRegisteredModelTagOperation,
  setRegisteredModelTagOperation,
} from './registered-models/tags.ts';
import { updateRegisteredModelOperation } from './registered-models/update.ts';

// The request-aware dependencies: transitions and deletions made here
// close the transition requests they make stale.
const deps = requestDependenciesFromEnv();

export const handler = createApiHandler({
  group: 'registered-models',
  deps,
  guard: createRouteGuard({
    identities: new DynamoDBIdentityStore(registryTableFromEnv()),
    store: deps.store,
  }),
  operations: [
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
  ],
});
