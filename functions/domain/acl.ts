import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import { rootGrants } from './access.ts';
import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
} from './errors.ts';
import { limits } from './limits.ts';
import {
  ADMINS_GROUP,
  type Grant,
  granteeKey,
  PERMISSION_LEVELS,
  type PermissionLevel,
  type RootPermissionLevel,
} from './permissions.ts';

/** The registry-wide object of the permissions API. */
export const ROOT_OBJECT_ID = 'root';

/** A grant shown on an object, direct or inherited (and from where). */
export interface AccessControlEntry {
  readonly grant: Grant<RootPermissionLevel>;
  /** Absent for a direct grant; `root` or `admins` for inherited ones. */
  readonly inheritedFrom?: 'root' | 'admins';
}

export interface ObjectPermissions {
  /** A model id, or `root`. */
  readonly objectId: string;
  readonly entries: readonly AccessControlEntry[];
}

/** Admins hold Can Manage on every object; shown as an inherited entry. */
const ADMINS_ENTRY: AccessControlEntry = {
  grant: {
    grantee: { kind: 'group', name: ADMINS_GROUP },
    level: 'CAN_MANAGE',
  },
  inheritedFrom: 'admins',
};

/**
 * A model's access control list as Databricks shows it: its direct grants,
 * the root grants it inherits (model levels only; the right to create
 * models is not a level on a model) and the admins' Can Manage.
 */
export async function getObjectPermissions(
  store: ModelRegistryStore,
  objectId: string
): Promise<ObjectPermissions> {
  const root = await rootGrants(store);
  if (objectId === ROOT_OBJECT_ID) {
    return {
      objectId,
      entries: [...root.map((grant) => ({ grant })), ADMINS_ENTRY],
    };
  }
  const record = await store.getModelRecordById(objectId, { stages: false });
  if (!record) {
    throw new ResourceDoesNotExistError(
      `Registered model with id ${objectId} not found.`
    );
  }
  return {
    objectId,
    entries: [
      ...record.grants.map((grant) => ({ grant })),
      ...root
        .filter((grant) => grant.level !== 'CAN_CREATE_REGISTERED_MODEL')
        .map((grant) => ({ grant, inheritedFrom: 'root' as const })),
      ADMINS_ENTRY,
    ],
  };
}

/**
 * PUT replaces an object's direct grants; PATCH adds to them (a grantee
 * given again gets the new level). Refused, with nothing changed: a grant
 * to `admins` (their Can Manage is inherited and cannot be lowered or
 * removed), a level the object does not take, and a model ACL left without
 * any Can Manage grant (nobody but admins could then manage it).
 */
export async function changeObjectPermissions(
  store: ModelRegistryStore,
  objectId: string,
  requested: readonly Grant<RootPermissionLevel>[],
  mode: 'replace' | 'merge'
): Promise<ObjectPermissions> {
  for (const grant of requested) {
    if (grant.grantee.kind === 'group' && grant.grantee.name === ADMINS_GROUP) {
      throw new InvalidParameterValueError(
        `The ${ADMINS_GROUP} group always has CAN_MANAGE; its permissions cannot be changed.`
      );
    }
  }
  if (objectId === ROOT_OBJECT_ID) {
    const current = await rootGrants(store);
    await store.setRootGrants(fitting(merged(current, requested, mode)));
    return getObjectPermissions(store, objectId);
  }
  const record = await store.getModelRecordById(objectId, { stages: false });
  if (!record) {
    throw new ResourceDoesNotExistError(
      `Registered model with id ${objectId} not found.`
    );
  }
  for (const grant of requested) {
    if (!PERMISSION_LEVELS.includes(grant.level as PermissionLevel)) {
      throw new InvalidParameterValueError(
        `Permission level ${grant.level} is not valid for a registered model. Valid levels are ${PERMISSION_LEVELS.join(', ')}.`
      );
    }
  }
  const grants = fitting(
    merged(record.grants, requested as readonly Grant[], mode) as Grant[]
  );
  if (!grants.some((grant) => grant.level === 'CAN_MANAGE')) {
    throw new InvalidParameterValueError(
      `This change would leave registered model '${record.model.name}' without any CAN_MANAGE grant; keep at least one manager.`
    );
  }
  await store.setModelGrants(objectId, grants);
  return getObjectPermissions(store, objectId);
}

/**
 * An object's grants live on its DynamoDB item, next to its tags: their
 * names and levels together stay within a byte budget.
 */
function fitting<G extends Grant<RootPermissionLevel>>(grants: G[]): G[] {
  const bytes = grants.reduce(
    (sum, grant) =>
      sum +
      Buffer.byteLength(granteeKey(grant.grantee)) +
      Buffer.byteLength(grant.level),
    0
  );
  if (bytes > limits.aclBytesPerObject) {
    throw new InvalidParameterValueError(
      `The grants of one object may take at most ${limits.aclBytesPerObject} bytes (UTF-8: grantee names and levels); these ${grants.length} take ${bytes}.`
    );
  }
  return grants;
}

function merged<L extends string>(
  current: readonly Grant<L>[],
  requested: readonly Grant<L>[],
  mode: 'replace' | 'merge'
): Grant<L>[] {
  const byGrantee = new Map<string, Grant<L>>();
  for (const grant of mode === 'merge' ? current : []) {
    byGrantee.set(granteeKey(grant.grantee), grant);
  }
  for (const grant of requested) {
    byGrantee.set(granteeKey(grant.grantee), grant);
  }
  return [...byGrantee.values()];
}
