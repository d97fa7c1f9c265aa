import type { Principal } from './principal.ts';
import type { Stage } from './stages.ts';

/** Databricks' permission levels on registered models, lowest first. */
export const PERMISSION_LEVELS = [
  'CAN_READ',
  'CAN_EDIT',
  'CAN_MANAGE_STAGING_VERSIONS',
  'CAN_MANAGE_PRODUCTION_VERSIONS',
  'CAN_MANAGE',
] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

/** The registry-wide (root) object also grants the right to create models. */
export type RootPermissionLevel =
  | PermissionLevel
  | 'CAN_CREATE_REGISTERED_MODEL';

/** "No Permissions" is the absence of any grant. */
export type EffectiveLevel = PermissionLevel | 'NO_PERMISSIONS';

const ALL: readonly EffectiveLevel[] = PERMISSION_LEVELS;
const EDIT_UP: readonly EffectiveLevel[] = PERMISSION_LEVELS.slice(1);
const STAGING_UP: readonly EffectiveLevel[] = PERMISSION_LEVELS.slice(2);
const PRODUCTION_UP: readonly EffectiveLevel[] = PERMISSION_LEVELS.slice(3);
const MANAGE: readonly EffectiveLevel[] = ['CAN_MANAGE'];

/**
 * Databricks' permission table, abilities × levels: the levels that hold each ability
 * on a registered model. No Permissions holds none. Each ability is named
 * by its IAM-style action, the one vocabulary of the route table,
 * `authorize()`, the docs and the tests; the abilities that are not about a
 * level on a model (creating models, admin routes, comments, …) are in
 * `ABILITIES` (authorization.ts), each defined in terms of this table.
 */
export const PERMISSION_TABLE = {
  'registry:ReadRegisteredModel': ALL,
  'registry:RequestTransition': ALL,
  'registry:CreateModelVersion': EDIT_UP,
  'registry:UpdateDescription': EDIT_UP,
  'registry:EditTags': EDIT_UP,
  // Not in the seed (Databricks' workspace registry has no aliases): an
  // alias moves what consumers load, like a tag edit, so Can Edit.
  'registry:EditAliases': EDIT_UP,
  // Among None, Staging and Archived.
  'registry:TransitionToStaging': STAGING_UP,
  // To or from Production.
  'registry:TransitionToProduction': PRODUCTION_UP,
  'registry:ApproveTransitionToStaging': STAGING_UP,
  'registry:ApproveTransitionToProduction': PRODUCTION_UP,
  // The creator of a transition request may also cancel it; that rule is
  // about the request, not the level (authorize()).
  'registry:CancelTransitionRequest': MANAGE,
  'registry:RenameRegisteredModel': MANAGE,
  'registry:ModifyPermissions': MANAGE,
  'registry:DeleteRegisteredModel': MANAGE,
  'registry:DeleteModelVersion': MANAGE,
} as const satisfies Readonly<Record<string, readonly EffectiveLevel[]>>;

/** An ability of Databricks' permission table, held by levels on a model. */
export type ModelAbility = keyof typeof PERMISSION_TABLE;

/** Human descriptions, as `permissionLevels` returns them. */
export const PERMISSION_LEVEL_DESCRIPTIONS: Readonly<
  Record<PermissionLevel, string>
> = {
  CAN_READ:
    'Can view the model, its versions, transition requests, activities and artifact download URIs, and request transitions',
  CAN_EDIT: 'Can Read, and can add versions and edit descriptions and tags',
  CAN_MANAGE_STAGING_VERSIONS:
    'Can Edit, and can transition versions and approve requests among None, Staging and Archived',
  CAN_MANAGE_PRODUCTION_VERSIONS:
    'Can Edit, and can transition versions and approve requests to and from any stage',
  CAN_MANAGE:
    'Can do everything: also rename, delete, cancel requests and manage permissions',
};

/** Rank for comparisons; No Permissions is below every level. */
export function rank(level: EffectiveLevel): number {
  return level === 'NO_PERMISSIONS'
    ? -1
    : PERMISSION_LEVELS.indexOf(level as PermissionLevel);
}

export function highest(levels: readonly EffectiveLevel[]): EffectiveLevel {
  return levels.reduce<EffectiveLevel>(
    (best, level) => (rank(level) > rank(best) ? level : best),
    'NO_PERMISSIONS'
  );
}

/** Whether a level holds an ability of the table. */
export function levelAllows(
  level: EffectiveLevel,
  ability: ModelAbility
): boolean {
  return (PERMISSION_TABLE[ability] as readonly EffectiveLevel[]).includes(
    level
  );
}

/** The lowest level that holds an ability (for refusals that say so). */
export function lowestLevelFor(ability: ModelAbility): PermissionLevel {
  return (
    PERMISSION_LEVELS.find((level) => levelAllows(level, ability)) ??
    'CAN_MANAGE'
  );
}

/**
 * The ability a stage change needs: among None, Staging and Archived it is
 * the Staging managers' one; anything touching Production needs Production.
 */
export function transitionAbility(
  from: Stage,
  to: Stage,
  kind: 'transition' | 'approve'
): ModelAbility {
  const amongLowerStages = from !== 'Production' && to !== 'Production';
  if (kind === 'approve') {
    return amongLowerStages
      ? 'registry:ApproveTransitionToStaging'
      : 'registry:ApproveTransitionToProduction';
  }
  return amongLowerStages
    ? 'registry:TransitionToStaging'
    : 'registry:TransitionToProduction';
}

/** Who a grant is for, as Databricks names them in access control lists. */
export type Grantee =
  | { readonly kind: 'user'; readonly name: string }
  | { readonly kind: 'group'; readonly name: string }
  | { readonly kind: 'service_principal'; readonly name: string };

export interface Grant<L = PermissionLevel> {
  readonly grantee: Grantee;
  readonly level: L;
}

export function granteeKey(grantee: Grantee): string {
  return `${grantee.kind}:${grantee.name}`;
}

/**
 * The grantees a principal answers to: itself (service principals by
 * application id), its groups, and `users`, which every principal is in.
 */
export function granteesOf(principal: Principal): Grantee[] {
  const self: Grantee =
    principal.kind === 'service_principal'
      ? { kind: 'service_principal', name: principal.userName }
      : { kind: 'user', name: principal.userName };
  const groups = new Set([...principal.groups, ALL_USERS_GROUP]);
  return [
    self,
    ...[...groups].map((name): Grantee => ({ kind: 'group', name })),
  ];
}

/**
 * A principal's level on a model: admins have Can Manage everywhere;
 * otherwise the highest of its own grants and its groups' grants, on the
 * model and on the registry-wide root object (root grants apply to every
 * model). `CAN_CREATE_REGISTERED_MODEL` on root grants no model level.
 */
export function effectiveLevel(
  principal: Principal,
  modelGrants: readonly Grant[],
  rootGrants: readonly Grant<RootPermissionLevel>[]
): EffectiveLevel {
  if (principal.isAdmin) return 'CAN_MANAGE';
  const mine = new Set(granteesOf(principal).map(granteeKey));
  const levels: EffectiveLevel[] = [];
  for (const grant of modelGrants) {
    if (mine.has(granteeKey(grant.grantee))) levels.push(grant.level);
  }
  for (const grant of rootGrants) {
    if (
      mine.has(granteeKey(grant.grantee)) &&
      grant.level !== 'CAN_CREATE_REGISTERED_MODEL'
    ) {
      levels.push(grant.level);
    }
  }
  return highest(levels);
}

/** The root levels a principal holds through its own and its groups' grants. */
export function rootLevelsHeld(
  principal: Principal,
  rootGrants: readonly Grant<RootPermissionLevel>[]
): Set<RootPermissionLevel> {
  const mine = new Set(granteesOf(principal).map(granteeKey));
  return new Set(
    rootGrants
      .filter((grant) => mine.has(granteeKey(grant.grantee)))
      .map((grant) => grant.level)
  );
}

/** Every user belongs to this group (Databricks' `users`). */
export const ALL_USERS_GROUP = 'users';
/** Members of this group are workspace admins (Databricks' `admins`). */
export const ADMINS_GROUP = 'admins';

/** Root grants of a new registry: every user may create models. */
export const DEFAULT_ROOT_GRANTS: readonly Grant<RootPermissionLevel>[] = [
  {
    grantee: { kind: 'group', name: ALL_USERS_GROUP },
    level: 'CAN_CREATE_REGISTERED_MODEL',
  },
];
