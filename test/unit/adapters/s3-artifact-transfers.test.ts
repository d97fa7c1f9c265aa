import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { S3ArtifactStore } from '#adapters/s3/artifact-store.ts';
import { createS3Client } from '#adapters/s3/client.ts';
import { ArtifactTransferError } from '#domain/artifacts/errors.ts';

const BUCKET = 'stagegate-artifacts';
const NOW = Date.parse('2026-11-23T12:00:00Z');
const GiB = 1024 * 1024 * 1024;

function store(client: S3Client): S3ArtifactStore {
  return new S3ArtifactStore({ client, bucketName: BUCKET, now: () => NOW });
}

function clientWith(credentials: {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}): S3Client {
  return new S3Client({
    region: 'eu-west-1',
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
}

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

describe('S3ArtifactStore transfers', () => {
  // Presigning never sends: the mock only answers the other operations.
  const s3 = mockClient(S3Client);

  afterEach(() => {
    s3.reset();
    vi.unstubAllEnvs();
  });

  describe('presigning', () => {
    it('signs PUT URLs of the registry client without any checksum parameter', async () => {
      // Prepare
      vi.stubEnv('AWS_REGION', 'eu-west-1');
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');

      // Act
      const { url } = await store(
        createS3Client({ forcePathStyle: false })
      ).presignPut('tmp-external-source/u/MLmodel', 900);
      const part = await store(
        createS3Client({ forcePathStyle: false })
      ).presignUploadPart('tmp-external-source/u/big', 'mpu', 3, 900);

      // Assess
      expect(url).toContain('tmp-external-source/u/MLmodel');
      expect(url).toContain('X-Amz-Expires=900');
      expect(url).not.toMatch(/x-amz-checksum|x-amz-sdk-checksum/i);
      expect(part.url).toMatch(/partNumber=3/);
      expect(part.url).toMatch(/uploadId=mpu/);
      expect(part.url).not.toMatch(/x-amz-checksum|x-amz-sdk-checksum/i);
    });

    it("shows the pitfall it avoids: the SDK's default signs an empty body's CRC32", async () => {
      // Act
      const { url } = await store(
        new S3Client({
          region: 'eu-west-1',
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        })
      ).presignPut('k', 60);

      // Assess
      expect(url).toMatch(/x-amz-checksum-crc32=AAAAAA%3D%3D/i);
    });

    it('never outlives credentials that expire sooner', async () => {
      // Act
      const presigned = await store(
        clientWith({
          accessKeyId: 'ASIA',
          secretAccessKey: 's',
          sessionToken: 't',
          expiration: new Date(NOW + 600_000),
        })
      ).presignGet('k', 3600);

      // Assess
      expect(presigned.url).toContain('X-Amz-Expires=600');
      expect(presigned.expiresAt).toBe(NOW + 600_000);
    });

    it('caps temporary credentials of unknown end at 12 hours and SigV4 at 7 days', async () => {
      const session = await store(
        clientWith({
          accessKeyId: 'ASIA',
          secretAccessKey: 's',
          sessionToken: 't',
        })
      ).presignGet('k', 7 * 24 * 3600);
      const longTerm = await store(
        clientWith({ accessKeyId: 'AKIA', secretAccessKey: 's' })
      ).presignGet('k', 30 * 24 * 3600);
      expect(session.url).toContain('X-Amz-Expires=43200');
      expect(longTerm.url).toContain('X-Amz-Expires=604800');
    });
  });

  describe('copyObject', () => {
    it('copies the pinned version only if its ETag still matches, then reads the copy back', async () => {
      // Prepare
      s3.on(CopyObjectCommand).resolves({ CopyObjectResult: { ETag: '"e1"' } });
      s3.on(HeadObjectCommand).resolves({ ContentLength: 12, ETag: '"e1"' });

      // Act
      const copy = await store(
        new S3Client({ region: 'eu-west-1' })
      ).copyObject({
        sourceKey: 'tmp-external-source/u/dir/a b.bin',
        sourceVersionId: 'v 1',
        sourceEtag: 'e1',
        destinationKey: 'mlflow-registry/m/1/dir/a b.bin',
        size: 12,
      });

      // Assess
      expect(copy).toEqual({ size: 12, etag: 'e1' });
      expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'mlflow-registry/m/1/dir/a b.bin',
        CopySource: `${BUCKET}/tmp-external-source/u/dir/a%20b.bin?versionId=v%201`,
        CopySourceIfMatch: '"e1"',
      });
    });

    it('reports a source that changed (412) as changed', async () => {
      // Prepare
      s3.on(CopyObjectCommand).rejects(s3Error('PreconditionFailed', 412));

      // Act
      const attempt = store(new S3Client({ region: 'eu-west-1' })).copyObject({
        sourceKey: 's',
        sourceEtag: 'e',
        destinationKey: 'd',
        size: 1,
      });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ArtifactTransferError);
      await expect(attempt).rejects.toMatchObject({
        failure: 'changed',
        s3Code: 'PreconditionFailed',
      });
    });

    it('copies files above 5 GiB in ranges of the upload part size', async () => {
      // Prepare
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'copy-1' });
      s3.on(UploadPartCopyCommand).callsFake((input) => ({
        CopyPartResult: { ETag: `"p${input.PartNumber}"` },
      }));
      s3.on(CompleteMultipartUploadCommand).resolves({});
      s3.on(HeadObjectCommand).resolves({
        ContentLength: 6 * GiB,
        ETag: '"x-3"',
      });

      // Act
      await store(new S3Client({ region: 'eu-west-1' })).copyObject({
        sourceKey: 's',
        sourceEtag: 'x-3',
        destinationKey: 'd',
        size: 6 * GiB,
        partSize: 2 * GiB,
      });

      // Assess
      const ranges = s3
        .commandCalls(UploadPartCopyCommand)
        .map((call) => call.args[0].input)
        .sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0))
        .map((input) => [
          input.PartNumber,
          input.CopySourceRange,
          input.CopySourceIfMatch,
        ]);
      expect(ranges).toEqual([
        [1, `bytes=0-${2 * GiB - 1}`, '"x-3"'],
        [2, `bytes=${2 * GiB}-${4 * GiB - 1}`, '"x-3"'],
        [3, `bytes=${4 * GiB}-${6 * GiB - 1}`, '"x-3"'],
      ]);
      expect(
        s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input
          .MultipartUpload
      ).toEqual({
        Parts: [
          { PartNumber: 1, ETag: '"p1"' },
          { PartNumber: 2, ETag: '"p2"' },
          { PartNumber: 3, ETag: '"p3"' },
        ],
      });
    });
  });

  describe('headObject and listDirectory', () => {
    it('answers undefined for a missing object, whether S3 says 404 or 403', async () => {
      s3.on(HeadObjectCommand)
        .rejectsOnce(s3Error('NotFound', 404))
        .rejectsOnce(s3Error('Forbidden', 403));
      const artifacts = store(new S3Client({ region: 'eu-west-1' }));
      await expect(artifacts.headObject('a')).resolves.toBeUndefined();
      await expect(artifacts.headObject('b')).resolves.toBeUndefined();
    });

    it('lists one level with the delimiter', async () => {
      // Prepare
      s3.on(ListObjectsV2Command).resolves({
        Contents: [{ Key: 'p/a', Size: 1 }],
        CommonPrefixes: [{ Prefix: 'p/d/' }],
      });

      // Act
      const listing = await store(
        new S3Client({ region: 'eu-west-1' })
      ).listDirectory('p/', 10);

      // Assess
      expect(listing).toEqual({
        files: [{ key: 'p/a', size: 1, lastModified: 0 }],
        directories: ['p/d/'],
      });
      expect(
        s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input
      ).toMatchObject({
        Prefix: 'p/',
        Delimiter: '/',
      });
    });
  });
});
