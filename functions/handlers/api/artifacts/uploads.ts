import { z } from 'zod';
import {
  completeUploadSession,
  createUploadSession,
  type UploadTarget,
} from '#domain/artifacts/uploads.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import type { ArtifactsApiDependencies } from './dependencies.ts';

const uploadSessionSchema = z
  .object({
    upload_id: z.string(),
    files: z.array(
      z.union([
        z.object({
          path: z.string(),
          url: z.string().meta({ description: 'A presigned PUT URL.' }),
        }),
        z.object({
          path: z.string(),
          multipart_upload_id: z.string(),
          part_size: z.number().int(),
          parts: z.array(
            z.object({
              part_number: z.number().int(),
              url: z.string().meta({ description: 'A presigned PUT URL.' }),
            })
          ),
        }),
      ])
    ),
    expires_at: z.number().int().meta({
      description: 'When the first URL stops working (epoch milliseconds).',
    }),
  })
  .meta({ id: 'UploadSession' });

type Context = OperationContext<ArtifactsApiDependencies>;

/**
 * `POST /api/2.0/stagegate/uploads/create {name, files: [{path, size}],
 * expires_in_seconds?}` → presigned PUT URLs (or part URLs above 64 MiB)
 * under the session's temporary prefix, for a version of model `name`.
 */
export const createUploadSessionOperation = defineOperation({
  operation: 'createUploadSession',
  summary:
    'Open an upload session: presigned PUT URLs for the files of a new version (extension)',
  output: uploadSessionSchema,
  input: z.object({
    name: fields.string(),
    files: z.array(z.object({ path: fields.string(), size: fields.int64() })),
    expires_in_seconds: fields.int64().optional(),
  }),
  run: async (input, { deps, principal }: Context) => {
    const created = await createUploadSession(deps, principal, {
      name: input.name,
      files: input.files,
      expiresInSeconds: input.expires_in_seconds,
    });
    return {
      upload_id: created.uploadId,
      files: created.files.map(uploadTargetJson),
      expires_at: created.expiresAt,
    };
  },
});

function uploadTargetJson(target: UploadTarget) {
  if ('url' in target) return { path: target.path, url: target.url };
  return {
    path: target.path,
    multipart_upload_id: target.multipartUploadId,
    part_size: target.partSize,
    parts: target.parts.map((part) => ({
      part_number: part.partNumber,
      url: part.url,
    })),
  };
}

/**
 * `POST /api/2.0/stagegate/uploads/complete {upload_id, files: [{path,
 * size, sha256, parts?: [{part_number, etag}]}]}` → `{upload_id, source}`.
 */
export const completeUploadSessionOperation = defineOperation({
  operation: 'completeUploadSession',
  summary:
    'Complete an upload session; answers the source to register (extension)',
  output: z.object({ upload_id: z.string(), source: z.string() }),
  input: z.object({
    upload_id: fields.string(),
    files: z.array(
      z.object({
        path: fields.string(),
        size: fields.int64(),
        sha256: fields.string(),
        parts: z
          .array(
            z.object({ part_number: fields.int64(), etag: fields.string() })
          )
          .optional(),
      })
    ),
  }),
  run: async (input, { deps, principal }: Context) => {
    const completed = await completeUploadSession(deps, principal, {
      uploadId: input.upload_id,
      files: input.files.map((file) => ({
        path: file.path,
        size: file.size,
        sha256: file.sha256,
        parts: file.parts?.map((part) => ({
          partNumber: part.part_number,
          etag: part.etag,
        })),
      })),
    });
    return { upload_id: completed.uploadId, source: completed.source };
  },
});
