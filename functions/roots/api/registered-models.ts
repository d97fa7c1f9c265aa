import { DynamoDBAccessReads } from '#adapters/dynamodb/access-reads.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
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
import { requestDependencies } from '#shared/request-dependencies.ts';
import {
  defineApiRoot,
  type GuardDependencies,
  registryTableNeed,
} from '../api-root.ts';

export type RegisteredModelsDependencies = RegistryDependencies &
  GuardDependencies;

export const registeredModelsRoot =
  defineApiRoot<RegisteredModelsDependencies>()({
    group: 'registered-models',
    // Transitions and deletions made here close the transition requests
    // they make stale, which ends their executions.
    needs: { table: registryTableNeed, transitionRequestWorkflow: 'request' },
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
    wire: ({ table, workflow }) => ({
      ...requestDependencies({ table, workflow }),
      identities: new DynamoDBIdentityStore(table),
      reads: new DynamoDBAccessReads(table),
    }),
  });
