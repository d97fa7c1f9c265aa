import { randomBytes } from 'node:crypto';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import type { RegistryDependencies } from '#domain/registry-service.ts';
import { createApiHandler } from '#http/api-handler.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import { createRegisteredModelOperation } from './registered-models/create.ts';
import { getRegisteredModelOperation } from './registered-models/get.ts';
import { searchRegisteredModelsOperation } from './registered-models/search.ts';

const table = registryTableFromEnv();

const deps: RegistryDependencies = {
  store: new DynamoDBModelRegistryStore(table),
  now: () => Date.now(),
  newId: () => randomBytes(16).toString('hex'),
};

export const handler = createApiHandler({
  group: 'registered-models',
  deps,
  operations: [
    createRegisteredModelOperation,
    getRegisteredModelOperation,
    searchRegisteredModelsOperation,
  ],
});
