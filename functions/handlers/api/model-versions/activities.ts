import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { listModelVersionActivities } from '#domain/registry/versions.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import { activityJson, activitySchema } from '#http/wire.ts';

/**
 * Extension: a version's activity feed, oldest first (Databricks shows it
 * in its UI but publishes no endpoint for it).
 */
export const listActivitiesOperation = defineOperation({
  operation: 'listActivities',
  summary: "List a model version's activities, oldest first (extension)",
  output: z.object({ activities: z.array(activitySchema) }),
  input: z.object({ name: fields.string(), version: versionField() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => ({
    activities: (await listModelVersionActivities(deps, input)).map(
      activityJson
    ),
  }),
});
