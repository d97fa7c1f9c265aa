import { z } from 'zod';
import {
  listManagedArtifacts,
  listVersionArtifacts,
  managedArtifactUrl,
  managedVersionFiles,
  signedDownloadUri,
} from '#domain/artifacts/downloads.ts';
import {
  defineOperation,
  type OperationContext,
  redirectResponse,
} from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import type { ArtifactsApiDependencies } from './dependencies.ts';

const artifactListingSchema = z.object({
  files: z
    .array(
      z.object({
        path: z.string(),
        is_dir: z.boolean(),
        file_size: z.number().int().optional(),
      })
    )
    .optional(),
});

const versionFilesSchema = z
  .object({
    files: z.array(
      z.object({
        path: z.string(),
        size: z.number().int(),
        sha256: z.string(),
        url: z.string().meta({ description: 'A presigned GET URL.' }),
      })
    ),
    expires_at: z.number().int().meta({
      description: 'When the first URL stops working (epoch milliseconds).',
    }),
  })
  .meta({ id: 'ModelVersionFiles' });

type Context = OperationContext<ArtifactsApiDependencies>;

/**
 * MLflow's `GET /api/2.0/mlflow-artifacts/artifacts?path=<dir>`: one level
 * of a READY managed version, paths relative to `<dir>` (MLflow's client
 * joins them back). Empty lists are left out, as MLflow's serializer does.
 */
export const listArtifactsOperation = defineOperation({
  operation: 'listArtifacts',
  summary: "List one directory of a managed version's artifacts (MLflow)",
  output: artifactListingSchema,
  input: z.object({ path: fields.optionalString() }),
  run: async (input, { deps }: Context) => {
    const entries = await listManagedArtifacts(deps, input.path ?? '');
    return entries.length === 0
      ? {}
      : {
          files: entries.map((entry) => ({
            path: entry.path,
            is_dir: entry.isDir,
            ...(entry.fileSize === undefined
              ? {}
              : { file_size: entry.fileSize }),
          })),
        };
  },
});

/**
 * MLflow's `GET /api/2.0/mlflow-artifacts/artifacts/<path>`: a 302 to a
 * presigned GET, so the bytes come from S3, never through the function.
 */
export const downloadArtifactOperation = defineOperation({
  operation: 'downloadArtifact',
  summary: 'Download an artifact: a redirect to a presigned URL (MLflow)',
  output: 'redirect',
  input: z.object({ proxy: fields.string() }),
  run: async (input, { deps }: Context) => {
    const { url } = await managedArtifactUrl(deps, input.proxy);
    return redirectResponse(url);
  },
});

/**
 * `GET /api/2.0/stagegate/model-versions/files?name&version`: every file of
 * a READY managed version with its size, SHA-256 and a presigned GET.
 */
export const listModelVersionFilesOperation = defineOperation({
  operation: 'listModelVersionFiles',
  summary:
    "List a managed version's files with sizes, SHA-256 and presigned URLs (extension)",
  output: versionFilesSchema,
  input: z.object({ name: fields.string(), version: versionField() }),
  run: async (input, { deps }: Context) => {
    const listed = await managedVersionFiles(deps, input);
    return {
      files: listed.files.map((file) => ({
        path: file.path,
        size: file.size,
        sha256: file.sha256,
        url: file.url,
      })),
      expires_at: listed.expiresAt,
    };
  },
});

const versionFile = z.object({
  name: fields.string(),
  version: versionField(),
  path: fields.optionalString(),
});

/**
 * Databricks' `GET /api/2.0/mlflow/model-versions/list-artifacts`:
 * `{files: [{path, is_dir, file_size}], next_page_token}` (paths relative
 * to the version's root); `files` left out when empty.
 */
export const listModelVersionArtifactsOperation = defineOperation({
  operation: 'listModelVersionArtifacts',
  summary: "List a model version's files (Databricks), relative to its root",
  output: artifactListingSchema.extend({
    next_page_token: z.string().optional(),
  }),
  input: versionFile.extend({ page_token: fields.optionalString() }),
  run: async (input, { deps }: Context) => {
    const listed = await listVersionArtifacts(deps, {
      name: input.name,
      version: input.version,
      path: input.path,
      pageToken: input.page_token,
    });
    return {
      ...(listed.files.length === 0
        ? {}
        : {
            files: listed.files.map((file) => ({
              path: file.path,
              is_dir: file.isDir,
              ...(file.fileSize === undefined
                ? {}
                : { file_size: file.fileSize }),
            })),
          }),
      ...(listed.nextPageToken
        ? { next_page_token: listed.nextPageToken }
        : {}),
    };
  },
});

/**
 * Databricks' `GET /api/2.0/mlflow/model-versions/get-signed-download-uri`:
 * `{signed_uri, headers}`; the client GETs the URI directly (ranged for
 * large files), sending each header with it (none are needed).
 */
export const getModelVersionSignedDownloadUriOperation = defineOperation({
  operation: 'getModelVersionSignedDownloadUri',
  summary: "Get a short-lived signed URI of one of a model version's files",
  output: z.object({
    signed_uri: z.string(),
    headers: z.array(z.object({ name: z.string(), value: z.string() })),
  }),
  input: versionFile,
  run: async (input, { deps }: Context) => {
    const signed = await signedDownloadUri(deps, input);
    return { signed_uri: signed.signedUri, headers: [] };
  },
});
