import type { Ability } from '#domain/permissions.ts';
import type { RouteAction } from './routes.ts';

/**
 * How each route action is checked before its operation runs. Every route
 * of the route table declares an action, and every action has a check here
 * (the Record type makes a missing one a compile error; a test enumerates
 * the routes too).
 */
export type RouteCheck =
  /** No token needed (the health route). */
  | { readonly kind: 'public' }
  /** Any authenticated principal; the operation acts on its own things. */
  | { readonly kind: 'authenticated' }
  /** Workspace admins only. */
  | { readonly kind: 'admin' }
  /** Root `CAN_CREATE_REGISTERED_MODEL`. */
  | { readonly kind: 'create-model' }
  /** Any principal; results are filtered to models it can read. */
  | { readonly kind: 'readable-models' }
  /** The ability on the model named by the request's `name`. */
  | { readonly kind: 'model'; readonly ability: Ability }
  /** The ability of the stage change (from the version's stage to `stage`). */
  | { readonly kind: 'stage-change' }
  /** The approve/reject ability of the stage change a request asks for. */
  | { readonly kind: 'stage-decision' }
  /**
   * The comment's model must be readable; its use case then lets only the
   * author edit it, and the author or a Can Manage holder delete it.
   */
  | { readonly kind: 'comment' }
  /** The ability on the object of a permissions route (a model, or root). */
  | { readonly kind: 'permissions'; readonly ability: Ability }
  /**
   * The ability on the model whose id an MLflow artifact path names
   * (`mlflow-registry/<model id>/<version>/…`, the `proxy` path parameter
   * or the `path` query parameter), parsed by the same function the
   * operation serves it with.
   */
  | { readonly kind: 'artifact'; readonly ability: Ability };

export const routeChecks: Readonly<Record<RouteAction, RouteCheck>> = {
  public: { kind: 'public' },
  'registry:CreateRegisteredModel': { kind: 'create-model' },
  'registry:ListRegisteredModels': { kind: 'readable-models' },
  'registry:ReadRegisteredModel': {
    kind: 'model',
    ability: 'ReadRegisteredModel',
  },
  'registry:UpdateDescription': { kind: 'model', ability: 'UpdateDescription' },
  'registry:EditTags': { kind: 'model', ability: 'EditTags' },
  'registry:EditAliases': { kind: 'model', ability: 'EditAliases' },
  'registry:CreateModelVersion': {
    kind: 'model',
    ability: 'CreateModelVersion',
  },
  'registry:TransitionModelVersionStage': { kind: 'stage-change' },
  'registry:RenameRegisteredModel': {
    kind: 'model',
    ability: 'RenameRegisteredModel',
  },
  'registry:DeleteRegisteredModel': {
    kind: 'model',
    ability: 'DeleteRegisteredModel',
  },
  'registry:DeleteModelVersion': {
    kind: 'model',
    ability: 'DeleteModelVersion',
  },
  'registry:RequestTransition': {
    kind: 'model',
    ability: 'RequestTransition',
  },
  'registry:DecideTransitionRequest': { kind: 'stage-decision' },
  // Cancelling needs Can Manage, or being the request's creator: the use
  // case checks that against the addressed request; the route only needs
  // the model to be readable.
  'registry:CancelTransitionRequest': {
    kind: 'model',
    ability: 'ReadRegisteredModel',
  },
  'registry:CommentOnModelVersion': {
    kind: 'model',
    ability: 'ReadRegisteredModel',
  },
  'registry:EditComment': { kind: 'comment' },
  'registry:ManageTransitionSettings': {
    kind: 'model',
    ability: 'ModifyPermissions',
  },
  'registry:ReadPermissions': {
    kind: 'permissions',
    ability: 'ReadRegisteredModel',
  },
  'registry:ModifyPermissions': {
    kind: 'permissions',
    ability: 'ModifyPermissions',
  },
  // Completing an upload: only the session's creator (or an admin) may,
  // which the use case checks; opening one is registry:CreateModelVersion
  // on the model it is for.
  'artifacts:UploadArtifacts': { kind: 'authenticated' },
  'registry:ReadArtifacts': {
    kind: 'artifact',
    ability: 'ReadRegisteredModel',
  },
  // A webhook names its model in its body (create, list) or only by id
  // (update, delete, test): the use cases check Can Manage on the
  // webhook's model, or workspace admin for registry-wide webhooks.
  'registry:ManageWebhooks': { kind: 'authenticated' },
  'identity:ReadSelf': { kind: 'authenticated' },
  'identity:ManageOwnTokens': { kind: 'authenticated' },
  'admin:ManageIdentities': { kind: 'admin' },
  'admin:ManageTokens': { kind: 'admin' },
};
