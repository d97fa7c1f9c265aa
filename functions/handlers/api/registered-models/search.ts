import { z } from 'zod';
import {
  type RegistryDependencies,
  searchRegisteredModels,
} from '#domain/registry-service.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { registeredModelJson } from '#http/wire.ts';

export const searchRegisteredModelsOperation = defineOperation({
  operation: 'searchRegisteredModels',
  input: z.object({
    max_results: fields.int64().optional(),
    page_token: fields.optionalString(),
  }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => {
    const page = await searchRegisteredModels(deps, {
      maxResults: input.max_results,
      pageToken: input.page_token,
    });
    return {
      ...(page.models.length > 0
        ? { registered_models: page.models.map(registeredModelJson) }
        : {}),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  },
});
