import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { searchModelVersions } from '#domain/registry/search.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { modelVersionJson, modelVersionSchema } from '#http/wire.ts';

export const searchModelVersionsOperation = defineOperation({
  operation: 'searchModelVersions',
  summary: 'Search model versions (MLflow filter grammar)',
  output: z.object({
    model_versions: z.array(modelVersionSchema).optional(),
    next_page_token: z.string().optional(),
  }),
  input: z.object({
    filter: fields.optionalString(),
    order_by: fields.stringList().optional(),
    max_results: fields.int64().optional(),
    page_token: fields.optionalString(),
  }),
  run: async (
    input,
    { deps, access }: OperationContext<RegistryDependencies>
  ) => {
    const page = await searchModelVersions(
      deps,
      {
        filter: input.filter,
        orderBy: input.order_by,
        maxResults: input.max_results,
        pageToken: input.page_token,
      },
      access.visible
    );
    return {
      ...(page.versions.length > 0
        ? { model_versions: page.versions.map(modelVersionJson) }
        : {}),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  },
});
