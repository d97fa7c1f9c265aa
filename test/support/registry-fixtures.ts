import type { ModelVersion } from '#domain/model-version.ts';
import type { RegisteredModel } from '#domain/registered-model.ts';

/** The instant the fixtures are created at unless a test says otherwise. */
export const FIXTURE_TIME = 1_700_000_000_000;

/**
 * A registered model with every field set, as a store takes it; a test
 * overrides what it is about.
 */
export function aRegisteredModel(
  overrides: Partial<RegisteredModel> = {}
): RegisteredModel {
  return {
    id: '0123456789abcdef0123456789abcdef',
    name: 'fraud-detector',
    description: '',
    creationTimestamp: FIXTURE_TIME,
    lastUpdatedTimestamp: FIXTURE_TIME,
    userId: 'alice@example.com',
    tags: [],
    aliases: [],
    ...overrides,
  };
}

/**
 * A READY version in None with every field set, as a store takes it; a
 * test names its model and number and overrides what it is about.
 */
export function aModelVersion(
  overrides: Partial<ModelVersion> & Pick<ModelVersion, 'modelId' | 'version'>
): ModelVersion {
  return {
    currentStage: 'None',
    description: '',
    source: 's3://artifacts/fraud-detector/1',
    runId: '',
    runLink: '',
    status: 'READY',
    statusMessage: '',
    tags: [],
    creationTimestamp: FIXTURE_TIME,
    lastUpdatedTimestamp: FIXTURE_TIME,
    userId: 'alice@example.com',
    ...overrides,
  };
}
