import { DynamoDBAccessReads } from '#adapters/dynamodb/access-reads.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { listActivitiesOperation } from '#handlers/api/model-versions/activities.ts';
import { createModelVersionOperation } from '#handlers/api/model-versions/create.ts';
import { deleteModelVersionOperation } from '#handlers/api/model-versions/delete.ts';
import {
  getModelVersionDownloadUriOperation,
  getModelVersionOperation,
} from '#handlers/api/model-versions/get.ts';
import { searchModelVersionsOperation } from '#handlers/api/model-versions/search.ts';
import {
  deleteModelVersionTagOperation,
  setModelVersionTagOperation,
} from '#handlers/api/model-versions/tags.ts';
import {
  transitionModelVersionStageDatabricksOperation,
  transitionModelVersionStageOperation,
} from '#handlers/api/model-versions/transition-stage.ts';
import { updateModelVersionOperation } from '#handlers/api/model-versions/update.ts';
import { managedArtifacts } from '#shared/artifacts.ts';
import { requestDependencies } from '#shared/request-dependencies.ts';
import {
  defineApiRoot,
  type GuardDependencies,
  registryTableNeed,
} from '../api-root.ts';

export type ModelVersionsDependencies = RegistryDependencies &
  GuardDependencies;

export const modelVersionsRoot = defineApiRoot<ModelVersionsDependencies>()({
  group: 'model-versions',
  // Transitions and deletions close the transition requests they make
  // stale. Versions created from an upload session start their
  // registration (the registration function copies; no S3 access here,
  // the bucket's name only recognises its sources).
  needs: {
    table: registryTableNeed,
    transitionRequestWorkflow: 'request',
    bucketName: true,
    registrations: true,
  },
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
  wire: ({ table, workflow, bucketName, registrations }) => ({
    ...requestDependencies({ table, workflow }),
    artifacts: managedArtifacts({ table, bucketName, registrations }),
    identities: new DynamoDBIdentityStore(table),
    reads: new DynamoDBAccessReads(table),
  }),
});
