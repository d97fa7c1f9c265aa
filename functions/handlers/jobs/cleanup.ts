import { S3ArtifactStore } from '#adapters/s3/artifact-store.ts';
import { createS3Client } from '#adapters/s3/client.ts';
import {
  type CleanupReport,
  cleanupTemporaryArtifacts,
} from '#domain/cleanup.ts';
import { getOptionalStringFromEnv, getStringFromEnv } from '#shared/config.ts';
import { logger } from '#shared/powertools.ts';

const artifacts = new S3ArtifactStore({
  client: createS3Client({
    forcePathStyle: getOptionalStringFromEnv('S3_FORCE_PATH_STYLE') === 'true',
  }),
  bucketName: getStringFromEnv('ARTIFACT_BUCKET_NAME'),
});

/**
 * Age after which an upload under the temporary prefix counts as abandoned.
 * @default 24 hours
 */
const maxAgeMs =
  Number(getOptionalStringFromEnv('CLEANUP_MAX_AGE_HOURS') ?? '24') * 3_600_000;

/** Scheduled job (EventBridge on AWS, a timer in the local runtime). */
export async function handler(): Promise<CleanupReport> {
  const report = await cleanupTemporaryArtifacts(
    { artifacts, now: () => Date.now() },
    { maxAgeMs, maxObjectsPerRun: 10_000 }
  );
  logger.info('Temporary artifact cleanup finished', { ...report });
  return report;
}
