import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import {
  type TemporaryCopyDependencies,
  VersionCreatorCache,
} from '#domain/artifacts/temporary-copies.ts';
import {
  getDbfsStatusOperation,
  listDbfsOperation,
  putDbfsFileOperation,
} from '#handlers/api/dbfs/operations.ts';
import { now } from '#shared/system.ts';
import { defineApiRoot, type GuardDependencies } from '../api-root.ts';

export type DbfsDependencies = TemporaryCopyDependencies & GuardDependencies;

/**
 * The DBFS API of seed 002's temporary copies: each principal's own view
 * of `/databricks/mlflow/tmp-external-source/`, stored in the temporary
 * area of the artifact bucket. The only function through which artifact
 * bytes pass (a file per request, as the MLflow client sends them);
 * larger files go through the presigned uploads.
 */
export const dbfsRoot = defineApiRoot<DbfsDependencies>()({
  group: 'dbfs',
  // Writes, HEADs and lists the temporary area; reads the models (by name
  // index) and the root grants to tell whether the caller may add
  // versions somewhere, and the caller's principal.
  needs: {
    table: { access: 'read', indexes: ['GSI1'] },
    bucket: [{ prefix: 'temporary', access: 'upload', list: true }],
  },
  operations: [listDbfsOperation, getDbfsStatusOperation, putDbfsFileOperation],
  wire: ({ table, bucket }) => ({
    store: new DynamoDBModelRegistryStore(table),
    transfers: bucket.artifacts,
    versionCreators: new VersionCreatorCache(now),
    identities: new DynamoDBIdentityStore(table),
  }),
});
