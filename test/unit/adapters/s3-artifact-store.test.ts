import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '#adapters/s3/artifact-store.ts';

const BUCKET = 'stagegate-artifacts';

const mockS3Client = () => mockClient(S3Client);

function createStore(): S3ArtifactStore {
  return new S3ArtifactStore({
    client: new S3Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
    bucketName: BUCKET,
  });
}

function keys(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `tmp-external-source/${String(i).padStart(4, '0')}`
  );
}

describe('S3ArtifactStore', () => {
  let s3: ReturnType<typeof mockS3Client>;

  beforeAll(() => {
    s3 = mockS3Client();
  });

  afterEach(() => {
    s3.reset();
  });

  afterAll(() => {
    s3.restore();
  });

  describe('deleteObjects', () => {
    it('deletes 2500 keys in batches of 1000, 1000 and 500, in order', async () => {
      // Prepare
      s3.on(DeleteObjectsCommand).resolves({});
      const all = keys(2500);

      // Act
      await createStore().deleteObjects(all);

      // Assess
      const batches = s3
        .commandCalls(DeleteObjectsCommand)
        .map((call) => call.args[0].input);
      expect(
        batches.map((input) => input.Delete?.Objects?.length)
      ).toStrictEqual([1000, 1000, 500]);
      expect(
        batches.flatMap((input) => input.Delete?.Objects?.map((o) => o.Key))
      ).toStrictEqual(all);
      for (const input of batches) {
        expect(input.Bucket).toBe(BUCKET);
        expect(input.Delete?.Quiet).toBe(true);
      }
    });

    it('sends nothing for no keys', async () => {
      // Act
      await createStore().deleteObjects([]);

      // Assess
      expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    });

    it('throws naming the first key S3 could not delete, and stops', async () => {
      // Prepare
      s3.on(DeleteObjectsCommand).resolves({
        Errors: [
          {
            Key: 'tmp-external-source/0007',
            Code: 'AccessDenied',
            Message: 'Access Denied',
          },
          { Key: 'tmp-external-source/0008', Code: 'AccessDenied' },
        ],
      });

      // Act
      const attempt = createStore().deleteObjects(keys(1500));

      // Assess
      await expect(attempt).rejects.toThrow(
        'Could not delete 2 objects, first tmp-external-source/0007: AccessDenied'
      );
      expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(1);
    });
  });

  describe('listObjects', () => {
    it('follows continuation tokens until the listing ends', async () => {
      // Prepare
      s3.on(ListObjectsV2Command)
        .resolvesOnce({
          IsTruncated: true,
          NextContinuationToken: 'page-2',
          Contents: [
            { Key: 'tmp/a', Size: 10, LastModified: new Date(1_000) },
            { Key: 'tmp/b', Size: 20, LastModified: new Date(2_000) },
          ],
        })
        .resolvesOnce({
          IsTruncated: false,
          Contents: [{ Key: 'tmp/c', Size: 30, LastModified: new Date(3_000) }],
        });

      // Act
      const objects = await createStore().listObjects('tmp/', { limit: 100 });

      // Assess
      expect(objects).toStrictEqual([
        { key: 'tmp/a', size: 10, lastModified: 1_000 },
        { key: 'tmp/b', size: 20, lastModified: 2_000 },
        { key: 'tmp/c', size: 30, lastModified: 3_000 },
      ]);
      const inputs = s3
        .commandCalls(ListObjectsV2Command)
        .map((call) => call.args[0].input);
      expect(inputs).toStrictEqual([
        {
          Bucket: BUCKET,
          Prefix: 'tmp/',
          ContinuationToken: undefined,
          StartAfter: undefined,
          MaxKeys: 100,
        },
        {
          Bucket: BUCKET,
          Prefix: 'tmp/',
          ContinuationToken: 'page-2',
          StartAfter: undefined,
          MaxKeys: 98,
        },
      ]);
    });

    it('starts after the given key, then follows the continuation token', async () => {
      // Prepare
      s3.on(ListObjectsV2Command)
        .resolvesOnce({
          IsTruncated: true,
          NextContinuationToken: 'page-2',
          Contents: [{ Key: 'tmp/c', Size: 1, LastModified: new Date(1) }],
        })
        .resolvesOnce({ IsTruncated: false, Contents: [] });

      // Act
      await createStore().listObjects('tmp/', {
        limit: 10,
        startAfter: 'tmp/b',
      });

      // Assess
      const inputs = s3
        .commandCalls(ListObjectsV2Command)
        .map((call) => call.args[0].input);
      expect(inputs.map((input) => input.StartAfter)).toStrictEqual([
        'tmp/b',
        undefined,
      ]);
      expect(inputs.map((input) => input.ContinuationToken)).toStrictEqual([
        undefined,
        'page-2',
      ]);
    });

    it('stops at the limit even when more pages remain', async () => {
      // Prepare
      s3.on(ListObjectsV2Command).resolves({
        IsTruncated: true,
        NextContinuationToken: 'more',
        Contents: [
          { Key: 'tmp/a', Size: 1, LastModified: new Date(1) },
          { Key: 'tmp/b', Size: 1, LastModified: new Date(1) },
        ],
      });

      // Act
      const objects = await createStore().listObjects('tmp/', { limit: 2 });

      // Assess
      expect(objects).toHaveLength(2);
      expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(1);
    });

    it('asks for at most 1000 keys a page', async () => {
      // Prepare
      s3.on(ListObjectsV2Command).resolves({
        IsTruncated: false,
        Contents: [],
      });

      // Act
      await createStore().listObjects('tmp/', { limit: 10_000 });

      // Assess
      expect(
        s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input.MaxKeys
      ).toBe(1000);
    });

    it('returns nothing for an empty prefix listing', async () => {
      // Prepare
      s3.on(ListObjectsV2Command).resolves({ IsTruncated: false, KeyCount: 0 });

      // Act
      const objects = await createStore().listObjects('tmp/', { limit: 10 });

      // Assess
      expect(objects).toStrictEqual([]);
    });
  });
});
