import { registrationWatchdogRoot } from '#roots/jobs/registration-watchdog.ts';
import { artifactBucketFromEnv } from '#shared/aws/bucket.ts';
import { registrationQueueFromEnv } from '#shared/aws/registrations.ts';
import { registryTableFromEnv } from '#shared/aws/table.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(registrationWatchdogRoot, {
  table: registryTableFromEnv,
  bucket: artifactBucketFromEnv,
  registrations: registrationQueueFromEnv,
});
