import { PermissionDeniedError } from './errors.ts';
import {
  type EffectiveLevel,
  effectiveLevel,
  type Grant,
  levelAllows,
  lowestLevelFor,
  type ModelAbility,
  type RootPermissionLevel,
  rootLevelsHeld,
  transitionAbility,
} from './permissions.ts';
import type { Principal } from './principal.ts';
import {
  approvalsRequired,
  isProtected,
  protectedStageRefusal,
  type StagePolicy,
} from './stage-policy.ts';
import type { Stage } from './stages.ts';
import { separatesDuties } from './transition-request.ts';

/** A registered model as authorization sees it. */
export interface ModelResource {
  /**
   * How the caller named the model: its name, or its id where the caller
   * gave only that. Refusals name the model so, and reveal nothing else.
   */
  readonly named: string;
  readonly grants: readonly Grant[];
  /** The registry-wide grants, which apply to every model. */
  readonly rootGrants: readonly Grant<RootPermissionLevel>[];
}

/** What a caller asks to act on. */
export type Resource =
  /** The registry as a whole, nothing in particular. */
  | { readonly kind: 'registry' }
  /** The registry-wide (root) object of the permissions API. */
  | {
      readonly kind: 'root';
      readonly rootGrants: readonly Grant<RootPermissionLevel>[];
    }
  | { readonly kind: 'model'; readonly model: ModelResource }
  /**
   * A version's move from `from` (its current stage) to `to`, under the
   * model's protected-stage policy.
   */
  | {
      readonly kind: 'stage-change';
      readonly model: ModelResource;
      readonly from: Stage;
      readonly to: Stage;
      readonly policy: StagePolicy;
    }
  /**
   * A transition request of a version now in `from`, to `to`; `creator`
   * is the addressed request's, when one was found (deciding or
   * cancelling nothing is the use case's 404 to report), and `approvers`
   * those who approved it so far.
   */
  | {
      readonly kind: 'request';
      readonly model: ModelResource;
      readonly from: Stage;
      readonly to: Stage;
      readonly separationOfDutiesStages: readonly Stage[];
      readonly policy: StagePolicy;
      readonly creator?: string | undefined;
      readonly approvers?: readonly string[] | undefined;
    }
  | {
      readonly kind: 'comment';
      readonly model: ModelResource;
      readonly author: string;
    }
  /** An upload session, and the principal (id) that opened it. */
  | { readonly kind: 'upload'; readonly id: string; readonly ownerId: string }
  /**
   * The caller's temporary copies (the DBFS area, seed 002), with a model
   * it may add versions to, when the use case found one.
   */
  | {
      readonly kind: 'temporary-copies';
      readonly model?: ModelResource | undefined;
    }
  /**
   * A registry webhook: of a model, or registry-wide without one; `id`
   * when the caller named the webhook only by its id.
   */
  | {
      readonly kind: 'webhook';
      readonly model?: ModelResource | undefined;
      readonly id?: string | undefined;
    };

export type ResourceKind = Resource['kind'];

/** Who holds an ability, in terms of the permission table. */
export interface AbilityRule {
  /** The kinds of resource the ability is asked about. */
  readonly on: readonly ResourceKind[];
  /** The ability of PERMISSION_TABLE whose levels hold this one. */
  readonly needs?: ModelAbility;
  /**
   * The needed ability follows from the stage change (`transitionAbility`):
   * among None, Staging and Archived, or touching Production.
   */
  readonly byStage?: 'transition' | 'approve';
  /** Workspace admins only. */
  readonly admins?: true;
  /**
   * Manages credentials (personal access tokens, OAuth secrets): refused to
   * a caller with an OAuth access token, whose scope is the registry, so a
   * short-lived token never buys a long-lived one.
   */
  readonly credentials?: true;
  /**
   * Held on some model, not a named one: the resource carries a model on
   * which the principal holds `needs`, or none when there is no such model
   * (then only admins hold it).
   */
  readonly someModel?: true;
  /** On root: the root levels that hold it (admins always do). */
  readonly rootLevels?: readonly RootPermissionLevel[];
  /**
   * The resource's owner (a request's creator, a comment's author, an
   * upload's opener) holds it; besides them, holders of this ability of
   * the table, admins, or nobody else. Checked after `needs`.
   */
  readonly ownerOr?: ModelAbility | 'admins' | 'nobody';
  /**
   * The creator of a request may not decide it when its target stage is
   * one of the model's separation-of-duties stages or protected stages
   * (admins included).
   */
  readonly separationOfDuties?: true;
  /**
   * A version enters a protected stage of the resource's policy only
   * through an approved request: refused to everyone but admins.
   */
  readonly protectedStages?: true;
  /** Each approval of a request comes from a different approver. */
  readonly distinctApprovers?: true;
}

/**
 * Every ability the routes and the use cases ask about, by its IAM-style
 * action name: the permission table's rows (held by their own levels), and the ones
 * defined in terms of them. The one vocabulary of the route table, the
 * docs and the tests; `authorize` is its one reader.
 */
export const ABILITIES = {
  'registry:ReadRegisteredModel': {
    // On root: anyone may read the registry-wide grants.
    on: ['model', 'root'],
    needs: 'registry:ReadRegisteredModel',
  },
  'registry:RequestTransition': {
    on: ['model'],
    needs: 'registry:RequestTransition',
  },
  'registry:CreateModelVersion': {
    on: ['model'],
    needs: 'registry:CreateModelVersion',
  },
  'registry:UpdateDescription': {
    on: ['model'],
    needs: 'registry:UpdateDescription',
  },
  'registry:EditTags': { on: ['model'], needs: 'registry:EditTags' },
  'registry:EditAliases': { on: ['model'], needs: 'registry:EditAliases' },
  'registry:TransitionToStaging': {
    on: ['model'],
    needs: 'registry:TransitionToStaging',
  },
  'registry:TransitionToProduction': {
    on: ['model'],
    needs: 'registry:TransitionToProduction',
  },
  'registry:ApproveTransitionToStaging': {
    on: ['model'],
    needs: 'registry:ApproveTransitionToStaging',
  },
  'registry:ApproveTransitionToProduction': {
    on: ['model'],
    needs: 'registry:ApproveTransitionToProduction',
  },
  'registry:CancelTransitionRequest': {
    on: ['request'],
    needs: 'registry:ReadRegisteredModel',
    ownerOr: 'registry:CancelTransitionRequest',
  },
  'registry:RenameRegisteredModel': {
    on: ['model'],
    needs: 'registry:RenameRegisteredModel',
  },
  'registry:ModifyPermissions': {
    // On root: admins, and holders of Can Manage on root.
    on: ['model', 'root'],
    needs: 'registry:ModifyPermissions',
    rootLevels: ['CAN_MANAGE'],
  },
  'registry:DeleteRegisteredModel': {
    on: ['model'],
    needs: 'registry:DeleteRegisteredModel',
  },
  'registry:DeleteModelVersion': {
    on: ['model'],
    needs: 'registry:DeleteModelVersion',
  },
  'registry:CreateRegisteredModel': {
    on: ['root'],
    rootLevels: ['CAN_CREATE_REGISTERED_MODEL', 'CAN_MANAGE'],
  },
  // Anyone lists; listings show only the models the caller may read.
  'registry:ListRegisteredModels': { on: ['root'] },
  'registry:TransitionModelVersionStage': {
    on: ['stage-change'],
    byStage: 'transition',
    protectedStages: true,
  },
  // Reject (and the inbox's question: may the caller decide it at all).
  'registry:DecideTransitionRequest': {
    on: ['request'],
    byStage: 'approve',
    separationOfDuties: true,
  },
  'registry:ApproveTransitionRequest': {
    on: ['request'],
    byStage: 'approve',
    separationOfDuties: true,
    distinctApprovers: true,
  },
  // Anyone lists what waits for them; the list holds only what they may
  // approve.
  'registry:ListTransitionRequestInbox': { on: ['registry'] },
  // Anyone reads the registry's protected-stage policy; admins set it.
  'registry:ReadRegistryPolicy': { on: ['registry'] },
  'admin:ManageRegistryPolicy': { on: ['registry'], admins: true },
  'registry:CommentOnModelVersion': {
    on: ['model'],
    needs: 'registry:ReadRegisteredModel',
  },
  'registry:EditComment': {
    on: ['comment'],
    needs: 'registry:ReadRegisteredModel',
    ownerOr: 'nobody',
  },
  'registry:DeleteComment': {
    on: ['comment'],
    needs: 'registry:ReadRegisteredModel',
    ownerOr: 'registry:DeleteModelVersion',
  },
  'registry:ManageTransitionSettings': {
    on: ['model'],
    needs: 'registry:ModifyPermissions',
  },
  // Registry-wide webhooks (no model): admins only.
  'registry:ManageWebhooks': {
    on: ['webhook'],
    needs: 'registry:ModifyPermissions',
  },
  'artifacts:UploadArtifacts': { on: ['upload'], ownerOr: 'admins' },
  // A version's files, through the Databricks download routes and MLflow's
  // artifact routes: what reading the model allows.
  'registry:ReadArtifacts': {
    on: ['model'],
    needs: 'registry:ReadRegisteredModel',
  },
  // Each principal sees its own temporary copies only (its own view of the
  // DBFS area), so anyone may look.
  'artifacts:ReadTemporaryCopies': { on: ['registry'] },
  // A temporary copy is on its way to becoming a version: only principals
  // that may add versions to some model make them.
  'artifacts:WriteTemporaryCopies': {
    on: ['temporary-copies'],
    needs: 'registry:CreateModelVersion',
    someModel: true,
  },
  'identity:ReadSelf': { on: ['registry'] },
  'identity:ManageOwnTokens': { on: ['registry'], credentials: true },
  'admin:ManageIdentities': { on: ['registry'], admins: true },
  'admin:ManageTokens': { on: ['registry'], admins: true, credentials: true },
  'admin:ManageServicePrincipalSecrets': {
    on: ['registry'],
    admins: true,
    credentials: true,
  },
  'admin:ManageIpAccessLists': { on: ['registry'], admins: true },
} as const satisfies Readonly<Record<string, AbilityRule>>;

export type Ability = keyof typeof ABILITIES;

function ruleOf(ability: Ability): AbilityRule {
  return ABILITIES[ability];
}

/** Whether an ability is for workspace admins only. */
export function isAdminOnly(ability: Ability): boolean {
  return ruleOf(ability).admins === true;
}

/** A principal's level on a model (admins: Can Manage everywhere). */
export function levelOn(
  principal: Principal,
  model: ModelResource
): EffectiveLevel {
  return effectiveLevel(principal, model.grants, model.rootGrants);
}

function modelOf(resource: Resource): ModelResource | undefined {
  return 'model' in resource ? (resource.model ?? undefined) : undefined;
}

function ownerOf(resource: Resource): string | undefined {
  switch (resource.kind) {
    case 'request':
      return resource.creator;
    case 'comment':
      return resource.author;
    case 'upload':
      return resource.ownerId;
    default:
      return undefined;
  }
}

/** The principal's name as the resource's owner field holds it. */
function ownName(principal: Principal, resource: Resource): string {
  return resource.kind === 'upload' ? principal.id : principal.userName;
}

/** The ability of the table a check needs on the model. */
function neededAbility(
  rule: AbilityRule,
  resource: Resource
): ModelAbility | undefined {
  if (
    rule.byStage &&
    (resource.kind === 'stage-change' || resource.kind === 'request')
  ) {
    return transitionAbility(resource.from, resource.to, rule.byStage);
  }
  return rule.needs;
}

function levelRefusal(
  principal: Principal,
  ability: Ability,
  needed: ModelAbility,
  resource: Resource,
  model: ModelResource
): string {
  const level = lowestLevelFor(needed);
  if (resource.kind === 'webhook' && resource.id !== undefined) {
    return `${principal.userName} does not have permission to ${ability} on webhook ${resource.id}: it needs ${level} on the webhook's registered model.`;
  }
  // A stage change is refused by the ability its stages need.
  const named = ruleOf(ability).byStage ? needed : ability;
  return `${principal.userName} does not have permission to ${named} on registered model '${model.named}': it needs ${level}.`;
}

function ownerRefusal(
  principal: Principal,
  ability: Ability,
  resource: Resource
): string {
  switch (resource.kind) {
    case 'request':
      return `${principal.userName} may not cancel a request made by ${resource.creator}: only its creator or a CAN_MANAGE holder may.`;
    case 'comment':
      return ability === 'registry:EditComment'
        ? 'Only the author of a comment may edit it.'
        : 'Only the author of a comment or a CAN_MANAGE holder may delete it.';
    case 'upload':
      return `${principal.userName} may not use upload ${resource.id}: only the principal that created it (or an admin) may.`;
    default:
      return `${principal.userName} does not have permission to ${ability}.`;
  }
}

/**
 * Why `principal` may not do `ability` on `resource`, or `undefined` when
 * it may. The one decision behind `authorize` and `allows`.
 */
function refusal(
  principal: Principal,
  ability: Ability,
  resource: Resource
): string | undefined {
  const rule = ruleOf(ability);
  if (!rule.on.includes(resource.kind)) {
    // A wiring error, not a caller's: the route names the wrong resource.
    throw new Error(`${ability} is not asked about a ${resource.kind}.`);
  }
  if (rule.credentials && principal.viaOAuth) {
    return `${ability} needs a personal access token: an OAuth access token's scope is the registry, and it may not manage credentials.`;
  }
  if (rule.admins) {
    return principal.isAdmin
      ? undefined
      : `${principal.userName} is not a workspace admin.`;
  }
  if (resource.kind === 'root') {
    if (principal.isAdmin || !rule.rootLevels) return undefined;
    const held = rootLevelsHeld(principal, resource.rootGrants);
    return rule.rootLevels.some((level) => held.has(level))
      ? undefined
      : `${principal.userName} does not have permission to ${ability} on the registry.`;
  }
  if (resource.kind === 'webhook' && resource.model === undefined) {
    return principal.isAdmin
      ? undefined
      : `${principal.userName} is not a workspace admin: registry-wide webhooks are managed by admins only.`;
  }
  const model = modelOf(resource);
  if (rule.someModel && model === undefined && !principal.isAdmin) {
    return `${principal.userName} does not have permission to ${ability}: it needs ${lowestLevelFor(rule.needs ?? 'registry:CreateModelVersion')} on at least one registered model.`;
  }
  const needed = neededAbility(rule, resource);
  if (model && needed && !levelAllows(levelOn(principal, model), needed)) {
    return levelRefusal(principal, ability, needed, resource, model);
  }
  const owner = ownerOf(resource);
  if (rule.ownerOr && owner !== undefined) {
    const isOwner = owner === ownName(principal, resource);
    const orHolder =
      rule.ownerOr === 'admins'
        ? principal.isAdmin
        : rule.ownerOr !== 'nobody' &&
          model !== undefined &&
          levelAllows(levelOn(principal, model), rule.ownerOr);
    if (!isOwner && !orHolder)
      return ownerRefusal(principal, ability, resource);
  }
  if (
    rule.protectedStages &&
    resource.kind === 'stage-change' &&
    !principal.isAdmin &&
    isProtected(resource.policy, resource.to)
  ) {
    return protectedStageRefusal(
      resource.policy,
      resource.model.named,
      resource.to
    );
  }
  if (
    rule.separationOfDuties &&
    resource.kind === 'request' &&
    resource.creator === principal.userName &&
    separatesDuties(
      {
        separationOfDutiesStages: resource.separationOfDutiesStages,
        ...resource.policy,
      },
      resource.to
    )
  ) {
    return `Separation of duties: the creator of a request to ${resource.to} may not decide it${isProtected(resource.policy, resource.to) ? ` (${resource.to} is a protected stage: its approvals come from others)` : ''}.`;
  }
  if (
    rule.distinctApprovers &&
    resource.kind === 'request' &&
    resource.approvers?.includes(principal.userName)
  ) {
    return `${principal.userName} has already approved this request: each of the ${approvalsRequired(resource.policy, resource.to)} approvals it needs comes from a different approver.`;
  }
  return undefined;
}

/** Whether `principal` may do `ability` on `resource`. */
export function allows(
  principal: Principal,
  ability: Ability,
  resource: Resource
): boolean {
  return refusal(principal, ability, resource) === undefined;
}

/**
 * The one answer to "may this principal do this here?": every route's
 * check and every use case's ask it, with the resource they read.
 * @throws PermissionDeniedError naming the action and, for a model, only
 *   how the caller named it.
 */
export function authorize(
  principal: Principal,
  ability: Ability,
  resource: Resource
): void {
  const why = refusal(principal, ability, resource);
  if (why !== undefined) throw new PermissionDeniedError(why);
}
