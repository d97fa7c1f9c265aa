import { randomBytes } from 'node:crypto';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler } from '#http/api-handler.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
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
const store = new DynamoDBModelRegistryStore(table);

const deps: RegistryDependencies = {
  store,
  now: () => Date.now(),
  newId: () => randomBytes(16).toString('hex'),
};

export const handler = createApiHandler({
  group: 'model-versions',
  deps,
  guard: createRouteGuard({
    identities: new DynamoDBIdentityStore(table),
    store,
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
