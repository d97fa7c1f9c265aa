import {
  findModelAccess,
  findModelAccessById,
  type ModelAccess,
  modelResource,
  rootGrants,
  stageOfVersion,
} from '#domain/access.ts';
import { ROOT_OBJECT_ID } from '#domain/acl.ts';
import type { Activity } from '#domain/activity.ts';
import { parseManagedArtifactPath } from '#domain/artifacts/paths.ts';
import {
  ABILITIES,
  type Ability,
  allows,
  authorize,
  levelOn,
  type Resource,
  type ResourceKind,
} from '#domain/authorization.ts';
import {
  RegisteredModelDoesNotExistError,
  ResourceDoesNotExistError,
  UnauthenticatedError,
} from '#domain/errors.ts';
import { parseVersionNumber } from '#domain/model-version.ts';
import {
  DEFAULT_ROOT_GRANTS,
  type EffectiveLevel,
} from '#domain/permissions.ts';
import type { Principal } from '#domain/principal.ts';
import { validateModelName } from '#domain/registered-model.ts';
import {
  addressRequest,
  type RequestAddress,
  requestResource,
  settingsOfModel,
} from '#domain/registry/requests.ts';
import { canonicalStage } from '#domain/stages.ts';
import type { TransitionRequestSettings } from '#domain/transition-request.ts';
import type { AccessReads } from '#ports/access-reads.ts';
import type { IdentityStore, StoredPrincipal } from '#ports/identity-store.ts';
import type {
  ModelRecord,
  ModelRegistryStore,
} from '#ports/model-registry-store.ts';
import type { TransitionRequestStore } from '#ports/transition-request-store.ts';
import type { RouteDefinition } from './routes.ts';

/**
 * What a passed check established, for the operation: what it read to
 * decide (so the operation does not read it again) and the caller's level.
 */
export interface AccessContext {
  /** The caller's level on the model the request names, when it names one. */
  readonly level?: EffectiveLevel;
  /** For listings: whether the caller may see a model. */
  readonly visible: (record: ModelRecord) => boolean;
  /** The model the request names, with the registry-wide grants. */
  readonly model?: ModelAccess;
  /** Decision and cancel routes: the addressed request and its context. */
  readonly request?: RequestAddress;
  /**
   * Stage-change routes: the model's settings in force, its
   * protected-stage policy included.
   */
  readonly settings?: TransitionRequestSettings;
  /** Comment routes: the comment the request names. */
  readonly comment?: Activity;
}

export interface RouteGuard {
  /**
   * {@link principal} then {@link check}, reading the caller together with
   * the model the request names where the function can (one round trip).
   * `known` hears of the caller as soon as it is established, before the
   * check (for the request's log lines).
   * @throws what either throws.
   */
  admit(
    route: RouteDefinition,
    fromAuthorizer: Principal,
    input: Record<string, unknown>,
    known?: (principal: Principal) => void
  ): Promise<{ principal: Principal; access: AccessContext }>;
  /**
   * The caller as stored now, so group, admin and deactivation changes
   * apply on the next request whatever the authorizer cached.
   * @throws UnauthenticatedError when the principal no longer exists.
   */
  principal(fromAuthorizer: Principal): Promise<Principal>;
  /**
   * Reads the resource the route names from the request's input and asks
   * `authorize` whether the caller may do the route's action on it.
   * @throws PermissionDeniedError, or RESOURCE_DOES_NOT_EXIST for a model
   *   (or comment) the request names that does not exist.
   */
  check(
    route: RouteDefinition,
    caller: Principal,
    input: Record<string, unknown>
  ): Promise<AccessContext>;
}

const EVERYTHING: AccessContext = { visible: () => true };

/**
 * Operations whose check and use case need only a model's stage bounds
 * (`latest_versions`, a stage's latest version), never which stage a
 * given version is in: their read leaves the stage members out, so that
 * reading a model costs the same whatever its version count. Any other
 * operation reads the members with the model (in the same round trip).
 */
const BOUNDS_SUFFICE: ReadonlySet<string> = new Set([
  'getRegisteredModel',
  'getRegisteredModelDatabricks',
  'getLatestVersions',
  'getModelVersion',
  'getModelVersionByAlias',
  'getModelVersionDownloadUri',
  'getPermissions',
  'getPermissionLevels',
]);

/**
 * What the route's check resolved, for an operation whose route names it.
 * @throws Error when it resolved none: the route names another resource
 *   (a wiring error, not the caller's).
 */
export function checked<K extends 'model' | 'request' | 'comment' | 'settings'>(
  access: AccessContext,
  key: K
): NonNullable<AccessContext[K]> {
  const value = access[key];
  if (!value) throw new Error(`The route's check resolved no ${key}.`);
  return value as NonNullable<AccessContext[K]>;
}

/**
 * Where the resource of each kind comes from. Uploads, webhooks and
 * temporary copies are read by their use cases, which authorize on what
 * they read.
 */
type Locator =
  | 'nothing'
  | 'root'
  | 'model'
  | 'stage-change'
  | 'request'
  | 'comment'
  | 'use-case';

const LOCATORS: Readonly<Record<ResourceKind, Locator>> = {
  registry: 'nothing',
  root: 'root',
  model: 'model',
  'stage-change': 'stage-change',
  request: 'request',
  comment: 'comment',
  upload: 'use-case',
  webhook: 'use-case',
  'temporary-copies': 'use-case',
};

/** Where the resource an ability acts on comes from. */
function locatorOf(action: Ability): Locator {
  const [kind = 'registry'] = ABILITIES[action].on;
  return LOCATORS[kind];
}

/** What the check resolved: the resource, and what the operation reuses. */
interface Resolved {
  readonly resource: Resource;
  readonly context: Omit<AccessContext, 'visible' | 'level'>;
}

/**
 * The guard of one function group: resolves the resource each route names
 * (the model, version, request, comment or root object) and asks the one
 * `authorize`. Groups that serve no model routes pass no stores; a model
 * route there is a wiring error, reported as such.
 */
export function createRouteGuard(deps: {
  identities: Pick<IdentityStore, 'getPrincipal'>;
  store?: ModelRegistryStore;
  /** The caller and the model in one read (else one after the other). */
  reads?: AccessReads;
  requests?: Pick<
    TransitionRequestStore,
    'listOpenRequests' | 'getSettings' | 'findCommentById'
  >;
}): RouteGuard {
  const needStore = (): ModelRegistryStore => {
    if (!deps.store) throw new Error('This function has no registry store.');
    return deps.store;
  };
  const needRequests = () => {
    if (!deps.requests) {
      throw new Error('This function has no transition request store.');
    }
    return deps.requests;
  };

  /**
   * The model the request names by `name`, or the 404; `read` is what
   * {@link admit} read for that name (absent: read it now).
   */
  async function modelNamed(
    name: string,
    read?: ReadModel
  ): Promise<ModelAccess> {
    const found =
      read?.record || (read && !name.includes('\ufffd'))
        ? read
        : await findModelAccess(needStore(), name);
    if (!found.record) throw new RegisteredModelDoesNotExistError(name);
    return {
      record: found.record,
      rootGrants: found.rootGrants,
      ...(read?.versions ? { versions: read.versions } : {}),
      ...(read?.settings ? { settings: read.settings } : {}),
    };
  }

  async function resolve(
    action: Ability,
    input: Record<string, unknown>,
    read?: ReadModel
  ): Promise<Resolved | undefined> {
    switch (locatorOf(action)) {
      case 'use-case':
        return undefined;
      case 'nothing':
        return { resource: { kind: 'registry' }, context: {} };
      case 'root':
        return {
          resource: { kind: 'root', rootGrants: await rootGrants(needStore()) },
          context: {},
        };
      case 'model': {
        // Without a name there is no model to protect; the operation's
        // validation answers 400.
        const { name } = input;
        if (typeof name !== 'string') return undefined;
        const model = await modelNamed(name, read);
        return {
          resource: { kind: 'model', model: modelResource(model, name) },
          context: { model },
        };
      }
      case 'stage-change': {
        const named = namedStageChange(input);
        if (!named) return undefined;
        const to = canonicalStage(named.stage);
        const number = parseVersionNumber(named.version);
        const model = await modelNamed(named.name, read);
        const settings = await settingsOfModel(
          { requests: needRequests() },
          model
        );
        return {
          resource: {
            kind: 'stage-change',
            model: modelResource(model, named.name),
            // A missing version is the operation's 404 to report, after the
            // check on the target stage alone.
            from: stageOfVersion(model.record, number) ?? 'None',
            to,
            policy: settings,
          },
          context: { model, settings },
        };
      }
      case 'request': {
        const named = namedStageChange(input);
        if (!named) return undefined;
        const model = await modelNamed(named.name, read);
        const request = await addressRequest(needRequests(), model, {
          version: named.version,
          stage: named.stage,
          requestId: optionalString(input.request_id),
          creator: optionalString(input.creator),
        });
        return {
          resource: requestResource(request),
          context: { model, request },
        };
      }
      case 'comment': {
        const { id } = input;
        if (typeof id !== 'string') return undefined;
        const comment = await needRequests().findCommentById(id);
        const found = comment
          ? await findModelAccessById(needStore(), comment.modelId)
          : undefined;
        if (!comment || !found?.record) {
          throw new ResourceDoesNotExistError(`Comment ${id} not found.`);
        }
        const model = { record: found.record, rootGrants: found.rootGrants };
        return {
          resource: {
            kind: 'comment',
            model: modelResource(model),
            author: comment.userId,
          },
          context: { model, comment },
        };
      }
    }
  }

  /**
   * The permissions API names a model by its id (a refusal then names only
   * that id), or the registry-wide object as `root`.
   */
  async function resolveById(
    objectId: string,
    read?: ReadModel
  ): Promise<Resolved> {
    if (objectId === ROOT_OBJECT_ID) {
      return {
        resource: { kind: 'root', rootGrants: await rootGrants(needStore()) },
        context: {},
      };
    }
    const found = read ?? (await findModelAccessById(needStore(), objectId));
    if (!found.record) {
      throw new ResourceDoesNotExistError(
        `Registered model with id ${objectId} not found.`
      );
    }
    const model = { record: found.record, rootGrants: found.rootGrants };
    return {
      resource: { kind: 'model', model: modelResource(model, objectId) },
      context: { model },
    };
  }

  /**
   * An MLflow artifact path names its model by id
   * (`mlflow-registry/<model id>/<version>/…`, the `proxy` path parameter
   * or the `path` query parameter). Every path the request carries is
   * checked, so the one the operation serves was checked whichever it
   * reads; values that are not strings (repeated keys) are refused by the
   * operation's validation before anything is served.
   */
  async function checkArtifactPaths(
    action: Ability,
    caller: Principal,
    input: Record<string, unknown>
  ): Promise<AccessContext> {
    const paths = [input.proxy, input.path].filter(
      (value): value is string => typeof value === 'string'
    );
    // Parsing throws for paths outside the managed prefix.
    const located = (paths.length > 0 ? paths : ['']).map((path) => ({
      path,
      modelId: parseManagedArtifactPath(path).modelId,
    }));
    let context: AccessContext = EVERYTHING;
    for (const { path, modelId } of located) {
      const found = await findModelAccessById(needStore(), modelId);
      if (!found.record) {
        throw new ResourceDoesNotExistError(`No artifacts at '${path}'.`);
      }
      const model = { record: found.record, rootGrants: found.rootGrants };
      const resource = modelResource(model);
      authorize(caller, action, { kind: 'model', model: resource });
      context = { ...EVERYTHING, model, level: levelOn(caller, resource) };
    }
    return context;
  }

  async function check(
    route: RouteDefinition,
    caller: Principal,
    input: Record<string, unknown>,
    read?: ReadModel
  ): Promise<AccessContext> {
    const action = route.action;
    if (action === 'public' || action === 'client') return EVERYTHING;
    if (route.modelBy === 'artifact-path') {
      return checkArtifactPaths(action, caller, input);
    }
    const resolved =
      route.modelBy === 'id'
        ? await resolveById(String(input.registered_model_id ?? ''), read)
        : await resolve(action, input, read);
    if (!resolved) return EVERYTHING;
    authorize(caller, action, resolved.resource);
    const { resource } = resolved;
    const model = 'model' in resource ? resource.model : undefined;
    return {
      ...resolved.context,
      ...(model ? { level: levelOn(caller, model) } : {}),
      visible:
        resource.kind === 'root'
          ? (record) =>
              allows(caller, 'registry:ReadRegisteredModel', {
                kind: 'model',
                model: modelResource({
                  record,
                  rootGrants: resource.rootGrants,
                }),
              })
          : EVERYTHING.visible,
    };
  }

  async function currentPrincipal(fromAuthorizer: Principal) {
    return authenticatedAs(
      stillActive(await deps.identities.getPrincipal(fromAuthorizer.id)),
      fromAuthorizer
    );
  }

  return {
    async admit(route, fromAuthorizer, input, known) {
      const named = deps.reads ? modelNamedBy(route, input) : undefined;
      if (!deps.reads || !named) {
        const principal = await currentPrincipal(fromAuthorizer);
        known?.(principal);
        return { principal, access: await check(route, principal, input) };
      }
      // An admin's reads of a model do not depend on the registry-wide
      // grants: they are left out of the read (and read after all when
      // the caller turns out to be an admin no longer).
      const rootSkipped =
        fromAuthorizer.isAdmin &&
        route.action === 'registry:ReadRegisteredModel';
      const read = await deps.reads.read({
        principalId: fromAuthorizer.id,
        model: named,
        rootGrants: !rootSkipped,
        versions: versionsNamed(input),
        stageMembers: !BOUNDS_SUFFICE.has(route.operation),
        settings: usesSettings(route),
      });
      const principal = authenticatedAs(
        stillActive(read.principal),
        fromAuthorizer
      );
      known?.(principal);
      const root =
        read.rootGrants ??
        (rootSkipped && !principal.isAdmin
          ? await needStore().getRootGrants()
          : undefined);
      const access = await check(route, principal, input, {
        record: read.record,
        rootGrants: root ?? DEFAULT_ROOT_GRANTS,
        versions: read.versions,
        settings: read.settings,
      });
      return { principal, access };
    },
    principal: currentPrincipal,
    check: (route, caller, input) => check(route, caller, input),
  };
}

/** A model as {@link RouteGuard.admit} read it with the caller. */
interface ReadModel {
  readonly record: ModelRecord | undefined;
  readonly rootGrants: ModelAccess['rootGrants'];
  readonly versions?: ModelAccess['versions'];
  readonly settings?: ModelAccess['settings'];
}

/**
 * Operations that use the model's transition-request settings besides the
 * stage changes and requests: their check reads the settings with the
 * model.
 */
const SETTINGS_USED: ReadonlySet<string> = new Set([
  'createTransitionRequest',
  'getRegisteredModelDatabricks',
]);

/** Whether the route's check reads the model's settings with it. */
function usesSettings(route: RouteDefinition): boolean {
  if (SETTINGS_USED.has(route.operation)) return true;
  const { action } = route;
  if (action === 'public' || action === 'client') return false;
  const locator = locatorOf(action);
  return locator === 'stage-change' || locator === 'request';
}

/** How the caller authenticated is the request's, not the store's. */
function authenticatedAs(current: Principal, fromAuthorizer: Principal) {
  return fromAuthorizer.viaOAuth ? { ...current, viaOAuth: true } : current;
}

/**
 * The caller as stored now.
 * @throws UnauthenticatedError when the principal no longer exists or is
 *   deactivated.
 */
function stillActive(current: StoredPrincipal | undefined): Principal {
  if (!current) {
    throw new UnauthenticatedError('The principal no longer exists.');
  }
  if (current.active === false) {
    throw new UnauthenticatedError('The principal is deactivated.');
  }
  return current;
}

/**
 * The one model a request names (by name, or by id on the permissions
 * API), as {@link RouteGuard.admit} reads it with the caller; `undefined`
 * for requests that name none (or name it another way).
 */
function modelNamedBy(
  route: RouteDefinition,
  input: Record<string, unknown>
): { name: string } | { id: string } | undefined {
  const { action } = route;
  if (
    action === 'public' ||
    action === 'client' ||
    route.modelBy === 'artifact-path'
  ) {
    return undefined;
  }
  if (route.modelBy === 'id') {
    const id = input.registered_model_id;
    return typeof id === 'string' && id !== ROOT_OBJECT_ID ? { id } : undefined;
  }
  const locator = locatorOf(action);
  const byName =
    locator === 'model' || locator === 'stage-change' || locator === 'request';
  return byName && typeof input.name === 'string'
    ? { name: validateModelName(input.name) }
    : undefined;
}

/** The version the request names, when it names one well-formed. */
function versionsNamed(input: Record<string, unknown>): number[] {
  const { version } = input;
  if (typeof version !== 'string' && typeof version !== 'number') return [];
  try {
    return [parseVersionNumber(version)];
  } catch {
    return [];
  }
}

/** The model, version and target stage a stage change names, if well typed. */
function namedStageChange(
  input: Record<string, unknown>
): { name: string; version: string | number; stage: string } | undefined {
  const { name, version, stage } = input;
  return typeof name === 'string' &&
    (typeof version === 'string' || typeof version === 'number') &&
    typeof stage === 'string'
    ? { name, version, stage }
    : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
