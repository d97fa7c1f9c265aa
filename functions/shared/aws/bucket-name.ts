import { getStringFromEnv } from '../config.ts';
import { needEnvironment } from '../needs.ts';

/**
 * The artifact bucket's name alone, for a function with no S3 access (and
 * no S3 client).
 * @throws Error when `ARTIFACT_BUCKET_NAME` is not set.
 */
export function artifactBucketNameFromEnv(): string {
  return getStringFromEnv(needEnvironment.bucketName);
}
