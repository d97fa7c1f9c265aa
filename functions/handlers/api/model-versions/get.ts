import { z } from 'zod';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import {
  getModelVersion,
  getModelVersionDownloadUri,
} from '#domain/registry/versions.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import { modelVersionJson, modelVersionSchema } from '#http/wire.ts';

const versionKey = z.object({ name: fields.string(), version: versionField() });

export const getModelVersionOperation = defineOperation({
  operation: 'getModelVersion',
  summary: 'Get a model version',
  output: z.object({ model_version: modelVersionSchema }),
  input: versionKey,
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => ({
    model_version: modelVersionJson(await getModelVersion(deps, input)),
  }),
});

export const getModelVersionDownloadUriOperation = defineOperation({
  operation: 'getModelVersionDownloadUri',
  summary: "Get the URI of a model version's artifacts",
  output: z.object({ artifact_uri: z.string() }),
  input: versionKey,
  run: async (input, { deps }: OperationContext<RegistryDependencies>) => ({
    artifact_uri: await getModelVersionDownloadUri(deps, input),
  }),
});
