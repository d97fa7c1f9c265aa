import { randomBytes } from 'node:crypto';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler } from '#http/api-handler.ts';
import {
  artifactBucketFromEnv,
  artifactUrlTtlFromEnv,
} from '#shared/artifacts.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import type { ArtifactsApiDependencies } from './artifacts/dependencies.ts';
import {
  downloadArtifactOperation,
  listArtifactsOperation,
  listModelVersionFilesOperation,
} from './artifacts/downloads.ts';
import {
  completeUploadSessionOperation,
  createUploadSessionOperation,
} from './artifacts/uploads.ts';

const table = registryTableFromEnv();
const store = new DynamoDBModelRegistryStore(table);
const { artifacts, bucketName } = artifactBucketFromEnv();
const deps: ArtifactsApiDependencies = {
  store,
  uploads: new DynamoDBUploadSessionStore(table),
  transfers: artifacts,
  bucketName,
  urlTtlSeconds: artifactUrlTtlFromEnv(),
  now: () => Date.now(),
  newId: () => randomBytes(16).toString('hex'),
};

/**
 * Upload sessions (presigned PUTs into the temporary prefix) and downloads
 * (MLflow's artifact endpoints and the files extension, presigned GETs of
 * the managed prefix). No artifact byte passes through this function.
 */
export const handler = createApiHandler({
  group: 'artifacts',
  deps,
  guard: createRouteGuard({
    identities: new DynamoDBIdentityStore(table),
    store,
  }),
  operations: [
    createUploadSessionOperation,
    completeUploadSessionOperation,
    listArtifactsOperation,
    downloadArtifactOperation,
    listModelVersionFilesOperation,
  ],
});
