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
  // stale. Versions created from an upload session, a temporary copy, an
  // allow-listed prefix or a managed version start their registration
  // (the registration function copies); creating one lists and HEADs the
  // files at its source, to pin what will be copied.
  needs: {
    table: registryTableNeed,
    transitionRequestWorkflow: 'request',
    bucket: [
      { prefix: 'temporary', access: 'read', list: true },
      { prefix: 'managed', access: 'read', list: true },
    ],
    registrations: true,
    externalSources: 'read',
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
  wire: ({ table, workflow, bucket, registrations, externalPrefixes }) => ({
    ...requestDependencies({ table, workflow }),
    artifacts: managedArtifacts({
      table,
      bucketName: bucket.bucketName,
      registrations,
      sources: bucket.artifacts,
      externalPrefixes,
    }),
    identities: new DynamoDBIdentityStore(table),
    reads: new DynamoDBAccessReads(table),
  }),
});
