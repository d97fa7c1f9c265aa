import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ArtifactObject, ArtifactStore } from '#ports/artifact-store.ts';

/** S3's DeleteObjects takes at most 1000 keys per call. */
const DELETE_BATCH = 1000;

/** {@link ArtifactStore} on the S3 artifact bucket. */
export class S3ArtifactStore implements ArtifactStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: { client: S3Client; bucketName: string }) {
    this.#client = options.client;
    this.#bucket = options.bucketName;
  }

  async listObjects(
    prefix: string,
    options: { limit: number; startAfter?: string | undefined }
  ): Promise<readonly ArtifactObject[]> {
    const objects: ArtifactObject[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: prefix,
          ContinuationToken: continuationToken,
          StartAfter: continuationToken ? undefined : options.startAfter,
          MaxKeys: Math.min(1000, options.limit - objects.length),
        })
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        objects.push({
          key: object.Key,
          size: object.Size ?? 0,
          lastModified: object.LastModified?.getTime() ?? 0,
        });
      }
      continuationToken = page.IsTruncated
        ? page.NextContinuationToken
        : undefined;
    } while (continuationToken && objects.length < options.limit);
    return objects;
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const result = await this.#client.send(
        new DeleteObjectsCommand({
          Bucket: this.#bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        })
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(
          `Could not delete ${failed.length} objects, first ${failed[0]?.Key}: ${failed[0]?.Code}`
        );
      }
    }
  }
}
