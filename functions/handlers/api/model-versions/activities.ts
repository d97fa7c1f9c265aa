import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { listModelVersionActivities } from '#domain/registry/versions.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import { activityJson } from '#http/wire.ts';

/**
 * Extension: a version's activity feed, oldest first (Databricks shows it
 * in its UI but publishes no endpoint for it).
 */
export const listActivitiesOperation = defineOperation({
  operation: 'listActivities',
  input: z.object({ name: fields.string(), version: versionField() }),
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => ({
    activities: (await listModelVersionActivities(deps, input)).map(
      activityJson
    ),
  }),
});
