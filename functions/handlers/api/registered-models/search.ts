import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import {
  searchRegisteredModels,
  type Visibility,
} from '#domain/registry/search.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { registeredModelJson, registeredModelSchema } from '#http/wire.ts';

const modelPageSchema = z.object({
  registered_models: z.array(registeredModelSchema).optional(),
  next_page_token: z.string().optional(),
});

async function search(
  deps: RegistryDependencies,
  visible: Visibility,
  input: {
    filter?: string | undefined;
    order_by?: string[] | undefined;
    max_results?: number | undefined;
    page_token?: string | undefined;
  }
) {
  const page = await searchRegisteredModels(
    deps,
    {
      filter: input.filter,
      orderBy: input.order_by,
      maxResults: input.max_results,
      pageToken: input.page_token,
    },
    visible
  );
  return {
    ...(page.models.length > 0
      ? { registered_models: page.models.map(registeredModelJson) }
      : {}),
    ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
  };
}

export const searchRegisteredModelsOperation = defineOperation({
  operation: 'searchRegisteredModels',
  summary: 'Search registered models (MLflow filter grammar)',
  output: modelPageSchema,
  input: z.object({
    filter: fields.optionalString(),
    order_by: fields.stringList().optional(),
    max_results: fields.int64().optional(),
    page_token: fields.optionalString(),
  }),
  run: async (
    input,
    { deps, access }: OperationContext<RegistryDependencies>
  ) => search(deps, access.visible, input),
});

/** Databricks' `registered-models/list`: search without filter or order. */
export const listRegisteredModelsOperation = defineOperation({
  operation: 'listRegisteredModels',
  summary: 'List registered models (Databricks)',
  output: modelPageSchema,
  input: z.object({
    max_results: fields.int64().optional(),
    page_token: fields.optionalString(),
  }),
  run: async (
    input,
    { deps, access }: OperationContext<RegistryDependencies>
  ) => search(deps, access.visible, input),
});
