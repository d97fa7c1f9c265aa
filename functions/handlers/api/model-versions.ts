import { modelVersionsRoot } from '#roots/api/model-versions.ts';
import { externalSourcePrefixesFromEnv } from '#shared/artifacts.ts';
import { artifactBucketFromEnv } from '#shared/aws/bucket.ts';
import { registrationQueueFromEnv } from '#shared/aws/registrations.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { approvalWorkflowFromEnv } from '#shared/aws/workflow.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(modelVersionsRoot, {
  table: registryTableFromEnv,
  workflow: approvalWorkflowFromEnv,
  bucket: artifactBucketFromEnv,
  registrations: registrationQueueFromEnv,
  externalPrefixes: externalSourcePrefixesFromEnv,
});
