import { S3Client } from '@aws-sdk/client-s3';

/**
 * An S3 client for the artifact bucket.
 *
 * Checksums are computed only when S3 requires them: with the SDK's default,
 * presigned PUT URLs carry the CRC32 of an empty body and real S3 rejects
 * every upload through them (reference/local-aws.md, presigned gotchas).
 *
 * `forcePathStyle` is for the local S3 server, which also needs bucket-level
 * paths without their trailing slash to verify signatures.
 */
export function createS3Client(options: { forcePathStyle: boolean }): S3Client {
  const client = new S3Client({
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  if (options.forcePathStyle) {
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { path?: string } | undefined;
        if (request?.path && /^\/[^/]+\/$/.test(request.path)) {
          request.path = request.path.slice(0, -1);
        }
        return next(args);
      },
      { step: 'build', name: 'localS3BucketPath' }
    );
  }
  return client;
}
