import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import { transitionModelVersionStage } from '#domain/registry/transitions.ts';
import { checked } from '#http/access-guard.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import {
  modelVersionDatabricksJson,
  modelVersionDatabricksSchema,
  modelVersionJson,
  modelVersionSchema,
} from '#http/wire.ts';

/** MLflow: `archive_existing_versions` is optional and false by default. */
export const transitionModelVersionStageOperation = defineOperation({
  operation: 'transitionModelVersionStage',
  summary: 'Move a model version to a stage (MLflow)',
  output: z.object({ model_version: modelVersionSchema }),
  metric: { name: 'Transitions', dimensions: { Trigger: 'DIRECT' } },
  input: z.object({
    name: fields.string(),
    version: versionField(),
    stage: fields.string(),
    archive_existing_versions: fields.boolean().optional(),
  }),
  run: async (
    input,
    { deps, principal, access }: OperationContext<RegistryDependencies>
  ) => ({
    model_version: modelVersionJson(
      await transitionModelVersionStage(
        deps,
        principal,
        {
          name: input.name,
          version: input.version,
          stage: input.stage,
          archiveExistingVersions: input.archive_existing_versions ?? false,
          policy: checked(access, 'settings'),
        },
        checked(access, 'model')
      )
    ),
  }),
});

/**
 * Databricks: `archive_existing_versions` is required, a comment may
 * accompany the transition, and the answer is `model_version_databricks`.
 */
export const transitionModelVersionStageDatabricksOperation = defineOperation({
  operation: 'transitionModelVersionStageDatabricks',
  summary: 'Move a model version to a stage, with a comment (Databricks)',
  output: z.object({ model_version_databricks: modelVersionDatabricksSchema }),
  metric: { name: 'Transitions', dimensions: { Trigger: 'DIRECT' } },
  input: z.object({
    name: fields.string(),
    version: versionField(),
    stage: fields.string(),
    archive_existing_versions: fields.boolean(),
    comment: fields.optionalString(),
  }),
  run: async (
    input,
    { deps, principal, access }: OperationContext<RegistryDependencies>
  ) => {
    const version = await transitionModelVersionStage(
      deps,
      principal,
      {
        name: input.name,
        version: input.version,
        stage: input.stage,
        archiveExistingVersions: input.archive_existing_versions,
        comment: input.comment,
        policy: checked(access, 'settings'),
      },
      checked(access, 'model')
    );
    return {
      model_version_databricks: modelVersionDatabricksJson(
        version,
        access.level
      ),
    };
  },
});
