import { InvalidParameterValueError } from './errors.ts';

/** The four stages, in MLflow's canonical spelling and order. */
export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

/** Stages whose other versions `archive_existing_versions` may archive. */
export const ACTIVE_STAGES: readonly Stage[] = ['Staging', 'Production'];

/**
 * MLflow's `get_canonical_stage`: stages match case-insensitively on input
 * and are stored and returned in their canonical spelling.
 * @throws InvalidParameterValueError for anything else.
 */
export function canonicalStage(input: string): Stage {
  const match = STAGES.find(
    (stage) => stage.toLowerCase() === input.trim().toLowerCase()
  );
  if (!match) {
    throw new InvalidParameterValueError(
      `Invalid Model Version stage: ${input}. Value must be one of ${STAGES.join(', ')}.`
    );
  }
  return match;
}

export function isActiveStage(stage: Stage): boolean {
  return ACTIVE_STAGES.includes(stage);
}

/**
 * `archive_existing_versions` only makes sense for Staging and Production
 * (MLflow answers 500 here; we answer 400 so clients do not retry).
 */
export function validateArchiveExistingVersions(
  stage: Stage,
  archiveExistingVersions: boolean
): void {
  if (archiveExistingVersions && !isActiveStage(stage)) {
    throw new InvalidParameterValueError(
      `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ${ACTIVE_STAGES.join(', ')}.`
    );
  }
}
