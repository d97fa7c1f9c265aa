import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBUploadSessionStore } from '#adapters/dynamodb/upload-session-store.ts';
import type { ArtifactsApiDependencies } from '#handlers/api/artifacts/dependencies.ts';
import {
  downloadArtifactOperation,
  getModelVersionSignedDownloadUriOperation,
  listArtifactsOperation,
  listModelVersionArtifactsOperation,
  listModelVersionFilesOperation,
} from '#handlers/api/artifacts/downloads.ts';
import {
  completeUploadSessionOperation,
  createUploadSessionOperation,
  signUploadUrlsOperation,
} from '#handlers/api/artifacts/uploads.ts';
import { artifactUrlTtlFromEnv } from '#shared/artifacts.ts';
import { newId, now } from '#shared/system.ts';
import {
  defineApiRoot,
  type GuardDependencies,
  registryTableNeed,
} from '../api-root.ts';

export type ArtifactsRootDependencies = ArtifactsApiDependencies &
  GuardDependencies;

/**
 * Upload sessions (presigned PUTs into the temporary prefix) and downloads
 * (MLflow's artifact endpoints, Databricks' `list-artifacts` and
 * `get-signed-download-uri`, and the files extension: presigned GETs of the
 * managed prefix). No artifact byte passes through this function.
 */
export const artifactsRoot = defineApiRoot<ArtifactsRootDependencies>()({
  group: 'artifacts',
  // Presigned PUTs (single and multipart) and HEADs under the temporary
  // prefix; presigned GETs, HEADs and listings of the managed prefix.
  needs: {
    table: registryTableNeed,
    bucket: [
      { prefix: 'temporary', access: 'upload', list: false },
      { prefix: 'managed', access: 'read', list: true },
    ],
  },
  operations: [
    createUploadSessionOperation,
    signUploadUrlsOperation,
    completeUploadSessionOperation,
    listArtifactsOperation,
    downloadArtifactOperation,
    listModelVersionFilesOperation,
    listModelVersionArtifactsOperation,
    getModelVersionSignedDownloadUriOperation,
  ],
  wire: ({ table, bucket }) => ({
    store: new DynamoDBModelRegistryStore(table),
    uploads: new DynamoDBUploadSessionStore(table),
    transfers: bucket.artifacts,
    bucketName: bucket.bucketName,
    urlTtlSeconds: artifactUrlTtlFromEnv(),
    now,
    newId,
    identities: new DynamoDBIdentityStore(table),
  }),
});
