import type { Principal } from './principal.ts';
import type { RegisteredModel } from './registered-model.ts';

/** Databricks' permission levels on a registered model. */
export type PermissionLevel =
  | 'CAN_READ'
  | 'CAN_EDIT'
  | 'CAN_MANAGE_STAGING_VERSIONS'
  | 'CAN_MANAGE_PRODUCTION_VERSIONS'
  | 'CAN_MANAGE';

/**
 * The caller's level on a model as the registry grants it today: admins
 * have Can Manage on every model and creators on theirs (seed 001); every
 * other authenticated principal can read. Per-model grants refine this with
 * the permissions issue.
 */
export function permissionLevelOf(
  caller: Principal,
  model: RegisteredModel
): PermissionLevel {
  if (caller.isAdmin || model.userId === caller.userName) return 'CAN_MANAGE';
  return 'CAN_READ';
}
