import { dbfsRoot } from '#roots/api/dbfs.ts';
import { artifactBucketFromEnv } from '#shared/aws/bucket.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(dbfsRoot, {
  table: registryTableFromEnv,
  bucket: artifactBucketFromEnv,
});
