import { cleanupRoot } from '#roots/jobs/cleanup.ts';
import { artifactBucketFromEnv } from '#shared/aws/bucket.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { approvalWorkflowFromEnv } from '#shared/aws/workflow.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(cleanupRoot, {
  table: registryTableFromEnv,
  bucket: artifactBucketFromEnv,
  workflow: approvalWorkflowFromEnv,
});
