import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler } from '#http/api-handler.ts';
import { managedArtifactsFromEnv } from '#shared/artifacts.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import { requestDependenciesFromEnv } from '#shared/request-dependencies.ts';
import { listActivitiesOperation } from './model-versions/activities.ts';
import { createModelVersionOperation } from './model-versions/create.ts';
import { deleteModelVersionOperation } from './model-versions/delete.ts';
import {
  getModelVersionDownloadUriOperation,
  getModelVersionOperation,
} from './model-versions/get.ts';
import { searchModelVersionsOperation } from './model-versions/search.ts';
import {
  deleteModelVersionTagOperation,
  setModelVersionTagOperation,
} from './model-versions/tags.ts';
import {
  transitionModelVersionStageDatabricksOperation,
  transitionModelVersionStageOperation,
} from './model-versions/transition-stage.ts';
import { updateModelVersionOperation } from './model-versions/update.ts';

const table = registryTableFromEnv();
// The request-aware dependencies: transitions and deletions made here
// close the transition requests they make stale. Versions created from an
// upload session start their asynchronous registration.
const deps = {
  ...requestDependenciesFromEnv(),
  artifacts: managedArtifactsFromEnv(table),
};

export const handler = createApiHandler({
  group: 'model-versions',
  deps,
  guard: createRouteGuard({
    identities: new DynamoDBIdentityStore(table),
    store: deps.store,
  }),
  operations: [
    createModelVersionOperation,
    getModelVersionOperation,
    getModelVersionDownloadUriOperation,
    updateModelVersionOperation,
    deleteModelVersionOperation,
    searchModelVersionsOperation,
    setModelVersionTagOperation,
    deleteModelVersionTagOperation,
    transitionModelVersionStageOperation,
    transitionModelVersionStageDatabricksOperation,
    listActivitiesOperation,
  ],
});
