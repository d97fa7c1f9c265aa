import {
  assertAllowed,
  authorizeCreateModel,
  authorizeOnModel,
  authorizeStageChange,
  levelOn,
  readableBy,
  rootGrants,
} from '#domain/access.ts';
import { parseManagedArtifactPath } from '#domain/artifacts/paths.ts';
import {
  PermissionDeniedError,
  ResourceDoesNotExistError,
  UnauthenticatedError,
} from '#domain/errors.ts';
import {
  type EffectiveLevel,
  effectiveLevel,
  granteeKey,
  granteesOf,
} from '#domain/permissions.ts';
import type { Principal } from '#domain/principal.ts';
import type { IdentityStore } from '#ports/identity-store.ts';
import type {
  ModelRecord,
  ModelRegistryStore,
} from '#ports/model-registry-store.ts';
import { type RouteCheck, routeChecks } from './route-checks.ts';
import type { RouteDefinition } from './routes.ts';

/** What a passed check tells the operation. */
export interface AccessContext {
  /** The caller's level on the model the request names, when it names one. */
  readonly level?: EffectiveLevel;
  /** For listings: whether the caller may see a model. */
  readonly visible: (record: ModelRecord) => boolean;
}

export interface RouteGuard {
  /**
   * The caller as stored now, so group, admin and deactivation changes
   * apply on the next request whatever the authorizer cached.
   * @throws UnauthenticatedError when the principal no longer exists.
   */
  principal(fromAuthorizer: Principal): Promise<Principal>;
  /**
   * Runs the route's declared check against the request's input.
   * @throws PermissionDeniedError, or RESOURCE_DOES_NOT_EXIST for a model
   *   the request names that does not exist.
   */
  check(
    route: RouteDefinition,
    caller: Principal,
    input: Record<string, unknown>
  ): Promise<AccessContext>;
}

const EVERYTHING: AccessContext = { visible: () => true };

/**
 * The guard of one function group. Groups that serve no model routes pass
 * no store; a model check there is a wiring error, reported as such.
 */
export function createRouteGuard(deps: {
  identities: Pick<IdentityStore, 'getPrincipal'>;
  store?: ModelRegistryStore;
}): RouteGuard {
  const needStore = (): ModelRegistryStore => {
    if (!deps.store) throw new Error('This function has no registry store.');
    return deps.store;
  };
  return {
    async principal(fromAuthorizer) {
      const current = await deps.identities.getPrincipal(fromAuthorizer.id);
      if (!current) {
        throw new UnauthenticatedError('The principal no longer exists.');
      }
      if (current.active === false) {
        throw new UnauthenticatedError('The principal is deactivated.');
      }
      return current;
    },
    async check(route, caller, input) {
      const check: RouteCheck = routeChecks[route.action];
      switch (check.kind) {
        case 'public':
        case 'authenticated':
          return EVERYTHING;
        case 'admin':
          if (!caller.isAdmin) {
            throw new PermissionDeniedError(
              `${caller.userName} is not a workspace admin.`
            );
          }
          return EVERYTHING;
        case 'create-model':
          await authorizeCreateModel(needStore(), caller);
          return EVERYTHING;
        case 'readable-models':
          return { visible: await readableBy(needStore(), caller) };
        case 'model': {
          const name = input.name;
          // Without a name there is no model to protect; the operation's
          // validation answers 400.
          if (typeof name !== 'string') return EVERYTHING;
          const { level } = await authorizeOnModel(
            needStore(),
            caller,
            name,
            check.ability
          );
          return { ...EVERYTHING, level };
        }
        case 'comment':
          return EVERYTHING;
        case 'stage-decision':
        case 'stage-change': {
          const { name, version, stage } = input;
          if (
            typeof name !== 'string' ||
            (typeof version !== 'string' && typeof version !== 'number') ||
            typeof stage !== 'string'
          ) {
            return EVERYTHING;
          }
          const { level } = await authorizeStageChange(
            needStore(),
            caller,
            { name, version, stage },
            check.kind === 'stage-decision' ? 'approve' : 'transition'
          );
          return { ...EVERYTHING, level };
        }
        case 'permissions':
          return checkPermissionsObject(
            needStore(),
            caller,
            String(input.registered_model_id ?? ''),
            check.ability
          );
        case 'artifact': {
          // Every artifact path the request carries is checked (the greedy
          // path parameter and the `path` query parameter alike), so the
          // one the operation serves was checked whichever it reads.
          // Values that are not strings (repeated keys) are refused by the
          // operation's validation before anything is served.
          const paths = [input.proxy, input.path].filter(
            (value): value is string => typeof value === 'string'
          );
          // Parsing throws for paths outside the managed prefix.
          const located = (paths.length > 0 ? paths : ['']).map((path) => ({
            path,
            modelId: parseManagedArtifactPath(path).modelId,
          }));
          const store = needStore();
          const root = await rootGrants(store);
          let level: EffectiveLevel | undefined;
          for (const { path, modelId } of located) {
            const record = await store.getModelRecordById(modelId);
            if (!record) {
              throw new ResourceDoesNotExistError(`No artifacts at '${path}'.`);
            }
            level = levelOn(caller, record, root);
            assertAllowed(caller, level, check.ability, record.model.name);
          }
          return { ...EVERYTHING, level };
        }
      }
    },
  };
}

/**
 * The permissions API addresses models by id, and the registry-wide
 * object as `root`: anyone may read root's grants; changing them takes an
 * admin or a root Can Manage holder.
 */
async function checkPermissionsObject(
  store: ModelRegistryStore,
  caller: Principal,
  objectId: string,
  ability: 'ReadRegisteredModel' | 'ModifyPermissions' | string
): Promise<AccessContext> {
  if (objectId === 'root') {
    if (ability === 'ReadRegisteredModel' || caller.isAdmin) return EVERYTHING;
    const mine = new Set(granteesOf(caller).map(granteeKey));
    const managesRoot = (await rootGrants(store)).some(
      (g) => g.level === 'CAN_MANAGE' && mine.has(granteeKey(g.grantee))
    );
    if (!managesRoot) {
      throw new PermissionDeniedError(
        `${caller.userName} does not have permission to registry:ModifyPermissions on the registry.`
      );
    }
    return EVERYTHING;
  }
  const record = await store.getModelRecordById(objectId);
  if (!record) {
    throw new ResourceDoesNotExistError(
      `Registered model with id ${objectId} not found.`
    );
  }
  const level = effectiveLevel(caller, record.grants, await rootGrants(store));
  assertAllowed(
    caller,
    level,
    ability === 'ModifyPermissions'
      ? 'ModifyPermissions'
      : 'ReadRegisteredModel',
    // The caller named the model by id: a refusal must not reveal its name.
    objectId
  );
  return { ...EVERYTHING, level };
}

export { levelOn };
