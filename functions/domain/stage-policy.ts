import { InvalidParameterValueError } from './errors.ts';
import { canonicalStage, STAGES, type Stage } from './stages.ts';

/**
 * Which stages a version enters only through an approved transition
 * request, and how many approvals such a request needs
 * (docs/architecture.md, decision 13). Beyond Databricks and MLflow, where
 * anyone allowed to make a transition makes it directly.
 */
export interface StagePolicy {
  /**
   * Stages entered only through an approved request: a direct
   * `transition-stage` into one is refused to everyone but admins, whose
   * bypass is recorded on the transition's activity.
   */
  readonly protectedStages: readonly Stage[];
  /**
   * Distinct approvers, none of them the requester, a request to a
   * protected stage needs before it is applied. Requests to other stages
   * need one approval, as in Databricks.
   */
  readonly requiredApprovals: number;
}

/** The registry's policy until an admin sets one. */
export const DEFAULT_REGISTRY_POLICY: StagePolicy = {
  protectedStages: ['Production'],
  requiredApprovals: 1,
};

/**
 * The most approvals a policy may ask for: every approval is a separate
 * call by a separate person, and a request carries the list of its
 * approvers.
 */
export const MAX_REQUIRED_APPROVALS = 10;

/** Versions are created in None: a stage no request leads into first. */
const PROTECTABLE_STAGES: readonly Stage[] = STAGES.filter(
  (stage) => stage !== 'None'
);

/**
 * A model's policy: the registry's (its floor), with the stages and the
 * approvals its managers added on top. A model never lowers the registry's
 * policy, whatever was stored for it before the registry's changed.
 */
export function effectivePolicy(
  registry: StagePolicy,
  model: Partial<StagePolicy>
): StagePolicy {
  const stages = new Set([
    ...registry.protectedStages,
    ...(model.protectedStages ?? []),
  ]);
  return {
    protectedStages: STAGES.filter((stage) => stages.has(stage)),
    requiredApprovals: Math.max(
      registry.requiredApprovals,
      model.requiredApprovals ?? 0
    ),
  };
}

/** The registry's stored policy over the defaults. */
export function registryPolicy(stored: Partial<StagePolicy>): StagePolicy {
  return { ...DEFAULT_REGISTRY_POLICY, ...stored };
}

export function isProtected(policy: StagePolicy, stage: Stage): boolean {
  return policy.protectedStages.includes(stage);
}

/** The approvals a request to `stage` needs under `policy`. */
export function approvalsRequired(policy: StagePolicy, stage: Stage): number {
  return isProtected(policy, stage) ? policy.requiredApprovals : 1;
}

/** Canonical, distinct protected stages, in stage order. */
export function parseProtectedStages(
  field: string,
  stages: readonly string[]
): Stage[] {
  const parsed = new Set(stages.map(canonicalStage));
  if (parsed.has('None')) {
    throw new InvalidParameterValueError(
      `${field} may not include None: new versions start there. Protectable stages are ${PROTECTABLE_STAGES.join(', ')}.`
    );
  }
  return STAGES.filter((stage) => parsed.has(stage));
}

export function validateRequiredApprovals(
  field: string,
  approvals: number,
  minimum = 1
): number {
  if (
    !Number.isInteger(approvals) ||
    approvals < minimum ||
    approvals > MAX_REQUIRED_APPROVALS
  ) {
    throw new InvalidParameterValueError(
      `${field} must be a whole number from ${minimum} to ${MAX_REQUIRED_APPROVALS}.`
    );
  }
  return approvals;
}

/**
 * What a model's managers may set: stages and approvals on top of the
 * registry's policy, never below it (an admin changes the registry's).
 * @throws InvalidParameterValueError naming what falls below the registry.
 */
export function validateModelPolicy(
  registry: StagePolicy,
  input: {
    readonly protectedStages?: readonly string[] | undefined;
    readonly requiredApprovals?: number | undefined;
  }
): Partial<StagePolicy> {
  const changes: { -readonly [K in keyof StagePolicy]?: StagePolicy[K] } = {};
  if (input.protectedStages !== undefined) {
    const stages = parseProtectedStages(
      'protected_stages',
      input.protectedStages
    );
    const dropped = registry.protectedStages.filter(
      (stage) => !stages.includes(stage)
    );
    if (dropped.length > 0) {
      throw new InvalidParameterValueError(
        `protected_stages must include ${dropped.join(', ')}: the registry's policy protects ${dropped.length === 1 ? 'it' : 'them'} for every model (an admin changes it at /api/2.0/stagegate/registry/policy).`
      );
    }
    changes.protectedStages = stages;
  }
  if (input.requiredApprovals !== undefined) {
    changes.requiredApprovals = validateRequiredApprovals(
      'required_approvals',
      input.requiredApprovals,
      registry.requiredApprovals
    );
  }
  return changes;
}

/** What an admin may set as the registry's policy. */
export function validateRegistryPolicy(input: {
  readonly protectedStages?: readonly string[] | undefined;
  readonly requiredApprovals?: number | undefined;
}): Partial<StagePolicy> {
  return {
    ...(input.protectedStages === undefined
      ? {}
      : {
          protectedStages: parseProtectedStages(
            'protected_stages',
            input.protectedStages
          ),
        }),
    ...(input.requiredApprovals === undefined
      ? {}
      : {
          requiredApprovals: validateRequiredApprovals(
            'required_approvals',
            input.requiredApprovals
          ),
        }),
  };
}

/**
 * The refusal of a direct transition into a protected stage, saying how
 * to ask for it instead.
 */
export function protectedStageRefusal(
  policy: StagePolicy,
  modelNamed: string,
  stage: Stage
): string {
  const approvals = policy.requiredApprovals;
  return `${stage} is a protected stage of registered model '${modelNamed}': a version enters it only through an approved transition request (${approvals} approval${approvals === 1 ? '' : 's'} by someone other than the requester). Request it with POST /api/2.0/mlflow/transition-requests/create {"name", "version", "stage": "${stage}"} (stagegate request <model> <version> ${stage}).`;
}

/** The activity comment of an admin's direct move into a protected stage. */
export function bypassComment(
  policy: StagePolicy,
  admin: string,
  stage: Stage
): string {
  const approvals = policy.requiredApprovals;
  return `Protected-stage policy bypassed: workspace admin ${admin} moved the version into ${stage} directly, without the approved transition request (${approvals} approval${approvals === 1 ? '' : 's'}) the policy requires.`;
}
