import { z } from 'zod';
import {
  type DbfsFileInfo,
  listTemporaryCopy,
  type TemporaryCopyDependencies,
  temporaryCopyStatus,
  writeTemporaryCopyFile,
} from '#domain/artifacts/temporary-copies.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { emptySchema } from '#http/wire.ts';

type Context = OperationContext<TemporaryCopyDependencies>;

/** Databricks' `FileInfo`. */
const fileInfoSchema = z
  .object({
    path: z.string(),
    is_dir: z.boolean(),
    file_size: z.number().int(),
    modification_time: z.number().int(),
  })
  .meta({ id: 'DbfsFileInfo' });

function fileInfoJson(info: DbfsFileInfo): z.infer<typeof fileInfoSchema> {
  return {
    path: info.path,
    is_dir: info.isDir,
    file_size: info.fileSize,
    modification_time: info.modificationTime,
  };
}

/**
 * `GET /api/2.0/dbfs/list?path=`: one level of the caller's temporary
 * copies, or the file itself; `{}` for an empty area (Databricks leaves
 * the key out for an empty directory).
 */
export const listDbfsOperation = defineOperation({
  operation: 'listDbfs',
  summary: "List a directory of the caller's temporary copies (DBFS)",
  output: z.object({ files: z.array(fileInfoSchema).optional() }),
  input: z.object({ path: fields.string() }),
  run: async (input, { deps, principal }: Context) => {
    const files = await listTemporaryCopy(deps, principal, input.path);
    return files.length === 0 ? {} : { files: files.map(fileInfoJson) };
  },
});

/** `GET /api/2.0/dbfs/get-status?path=`. */
export const getDbfsStatusOperation = defineOperation({
  operation: 'getDbfsStatus',
  summary: "Get a file or directory of the caller's temporary copies (DBFS)",
  output: fileInfoSchema,
  input: z.object({ path: fields.string() }),
  run: async (input, { deps, principal }: Context) =>
    fileInfoJson(await temporaryCopyStatus(deps, principal, input.path)),
});

/**
 * `POST /dbfs/<path>` with the file's bytes as the body (no JSON, any or
 * no content type): one file of the caller's temporary copy. Answers 200
 * `{}`, which is all the MLflow client checks.
 */
export const putDbfsFileOperation = defineOperation({
  operation: 'putDbfsFile',
  summary:
    "Write one file of the caller's temporary copy (the body is the file's bytes)",
  output: emptySchema,
  input: z.object({ proxy: fields.string() }),
  run: async (input, { deps, principal, body }: Context) => {
    await writeTemporaryCopyFile(deps, principal, input.proxy, body());
    return {};
  },
});
