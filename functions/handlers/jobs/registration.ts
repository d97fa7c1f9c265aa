import { registrationRoot } from '#roots/jobs/registration.ts';
import { externalSourcePrefixesFromEnv } from '#shared/artifacts.ts';
import { artifactBucketFromEnv } from '#shared/aws/bucket.ts';
import { registrationQueueFromEnv } from '#shared/aws/registrations.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(registrationRoot, {
  table: registryTableFromEnv,
  bucket: artifactBucketFromEnv,
  registrations: registrationQueueFromEnv,
  externalPrefixes: externalSourcePrefixesFromEnv,
});
