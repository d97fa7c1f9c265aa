/**
 * The `${Key}` placeholders each ASL file in this folder uses: the keys CDK
 * must pass as `definitionSubstitutions` and the local runtime as
 * `substitutions`. test/statemachines/asl.test.ts checks that every
 * placeholder of every file is listed here (and nothing more), so a new
 * placeholder cannot reach a deployment unsubstituted.
 */
export const transitionRequestSubstitutionKeys = [
  'TransitionRequestFunctionArn',
] as const;

export type TransitionRequestSubstitutionKey =
  (typeof transitionRequestSubstitutionKeys)[number];

/** The substitution map for transition-request.asl.json, every key required. */
export type TransitionRequestSubstitutions = Readonly<
  Record<TransitionRequestSubstitutionKey, string>
>;

/** Substitution keys by ASL file name (relative to statemachines/). */
export const substitutionKeysByDefinitionFile: Readonly<
  Record<string, readonly string[]>
> = {
  'transition-request.asl.json': transitionRequestSubstitutionKeys,
};
