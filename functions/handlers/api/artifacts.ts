import { artifactsRoot } from '#roots/api/artifacts.ts';
import { artifactBucketFromEnv } from '#shared/aws/bucket.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(artifactsRoot, {
  table: registryTableFromEnv,
  bucket: artifactBucketFromEnv,
});
