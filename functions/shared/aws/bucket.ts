import { S3ArtifactStore } from '#adapters/s3/artifact-store.ts';
import { createS3Client } from '#adapters/s3/client.ts';
import { getOptionalStringFromEnv, getStringFromEnv } from '../config.ts';
import { needEnvironment } from '../needs.ts';
import { tracer } from '../powertools.ts';
import type { ArtifactBucket } from '../resources.ts';

/**
 * The artifact bucket's objects, through the function's one S3 client,
 * traced (`S3_FORCE_PATH_STYLE=true` for the local S3 server; the endpoint
 * from `AWS_ENDPOINT_URL_S3`).
 * @throws Error when `ARTIFACT_BUCKET_NAME` is not set.
 */
export function artifactBucketFromEnv(): ArtifactBucket {
  const bucketName = getStringFromEnv(needEnvironment.bucket);
  return {
    bucketName,
    artifacts: new S3ArtifactStore({
      client: tracer.captureAWSv3Client(
        createS3Client({
          forcePathStyle:
            getOptionalStringFromEnv('S3_FORCE_PATH_STYLE') === 'true',
        })
      ),
      bucketName,
    }),
  };
}
