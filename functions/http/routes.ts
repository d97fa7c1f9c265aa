/**
 * The route table: every HTTP route the registry serves, which Lambda
 * (function group) serves it, and the action it needs. API Gateway routes
 * (infra), the local gateway, the authorizer's policy and the handlers'
 * dispatch are all derived from this one list.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One Lambda per resource group (ARCHITECTURE.md, decision 2). */
export type FunctionGroup =
  | 'health'
  | 'registered-models'
  | 'model-versions'
  | 'tokens';

/**
 * IAM-style action names shared by the authorizer's policy, the permission
 * table and the docs. `public` routes skip the authorizer entirely.
 */
export type RouteAction =
  | 'public'
  | 'registry:CreateRegisteredModel'
  | 'registry:ReadRegisteredModel'
  | 'registry:ListRegisteredModels'
  | 'registry:UpdateRegisteredModel'
  | 'registry:RenameRegisteredModel'
  | 'registry:DeleteRegisteredModel'
  | 'registry:EditRegisteredModelTags'
  | 'registry:EditAliases'
  | 'registry:CreateModelVersion'
  | 'registry:ReadModelVersion'
  | 'registry:UpdateModelVersion'
  | 'registry:DeleteModelVersion'
  | 'registry:EditModelVersionTags'
  | 'registry:TransitionModelVersionStage'
  | 'token:ManageOwnTokens';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** Path at the origin root; `{name}` segments are path parameters. */
  readonly path: string;
  readonly group: FunctionGroup;
  /** MLflow/Databricks RPC name, used in logs and by the dispatcher. */
  readonly operation: string;
  readonly action: RouteAction;
}

const MLFLOW = '/api/2.0/mlflow';

export const routes: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/health',
    group: 'health',
    operation: 'health',
    action: 'public',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/registered-models/create`,
    group: 'registered-models',
    operation: 'createRegisteredModel',
    action: 'registry:CreateRegisteredModel',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/registered-models/get`,
    group: 'registered-models',
    operation: 'getRegisteredModel',
    action: 'registry:ReadRegisteredModel',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/registered-models/search`,
    group: 'registered-models',
    operation: 'searchRegisteredModels',
    action: 'registry:ListRegisteredModels',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/registered-models/list`,
    group: 'registered-models',
    operation: 'listRegisteredModels',
    action: 'registry:ListRegisteredModels',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/databricks/registered-models/get`,
    group: 'registered-models',
    operation: 'getRegisteredModelDatabricks',
    action: 'registry:ReadRegisteredModel',
  },
  {
    method: 'PATCH',
    path: `${MLFLOW}/registered-models/update`,
    group: 'registered-models',
    operation: 'updateRegisteredModel',
    action: 'registry:UpdateRegisteredModel',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/registered-models/rename`,
    group: 'registered-models',
    operation: 'renameRegisteredModel',
    action: 'registry:RenameRegisteredModel',
  },
  {
    method: 'DELETE',
    path: `${MLFLOW}/registered-models/delete`,
    group: 'registered-models',
    operation: 'deleteRegisteredModel',
    action: 'registry:DeleteRegisteredModel',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/registered-models/get-latest-versions`,
    group: 'registered-models',
    operation: 'getLatestVersions',
    action: 'registry:ReadRegisteredModel',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/registered-models/get-latest-versions`,
    group: 'registered-models',
    operation: 'getLatestVersions',
    action: 'registry:ReadRegisteredModel',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/registered-models/set-tag`,
    group: 'registered-models',
    operation: 'setRegisteredModelTag',
    action: 'registry:EditRegisteredModelTags',
  },
  {
    method: 'DELETE',
    path: `${MLFLOW}/registered-models/delete-tag`,
    group: 'registered-models',
    operation: 'deleteRegisteredModelTag',
    action: 'registry:EditRegisteredModelTags',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/registered-models/alias`,
    group: 'registered-models',
    operation: 'setRegisteredModelAlias',
    action: 'registry:EditAliases',
  },
  {
    method: 'DELETE',
    path: `${MLFLOW}/registered-models/alias`,
    group: 'registered-models',
    operation: 'deleteRegisteredModelAlias',
    action: 'registry:EditAliases',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/registered-models/alias`,
    group: 'registered-models',
    operation: 'getModelVersionByAlias',
    action: 'registry:ReadModelVersion',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/model-versions/create`,
    group: 'model-versions',
    operation: 'createModelVersion',
    action: 'registry:CreateModelVersion',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/model-versions/get`,
    group: 'model-versions',
    operation: 'getModelVersion',
    action: 'registry:ReadModelVersion',
  },
  {
    method: 'PATCH',
    path: `${MLFLOW}/model-versions/update`,
    group: 'model-versions',
    operation: 'updateModelVersion',
    action: 'registry:UpdateModelVersion',
  },
  {
    method: 'DELETE',
    path: `${MLFLOW}/model-versions/delete`,
    group: 'model-versions',
    operation: 'deleteModelVersion',
    action: 'registry:DeleteModelVersion',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/model-versions/search`,
    group: 'model-versions',
    operation: 'searchModelVersions',
    action: 'registry:ListRegisteredModels',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/model-versions/set-tag`,
    group: 'model-versions',
    operation: 'setModelVersionTag',
    action: 'registry:EditModelVersionTags',
  },
  {
    method: 'DELETE',
    path: `${MLFLOW}/model-versions/delete-tag`,
    group: 'model-versions',
    operation: 'deleteModelVersionTag',
    action: 'registry:EditModelVersionTags',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/model-versions/get-download-uri`,
    group: 'model-versions',
    operation: 'getModelVersionDownloadUri',
    action: 'registry:ReadModelVersion',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/model-versions/transition-stage`,
    group: 'model-versions',
    operation: 'transitionModelVersionStage',
    action: 'registry:TransitionModelVersionStage',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/databricks/model-versions/transition-stage`,
    group: 'model-versions',
    operation: 'transitionModelVersionStageDatabricks',
    action: 'registry:TransitionModelVersionStage',
  },
  {
    method: 'GET',
    path: '/api/2.0/stagegate/activities/list',
    group: 'model-versions',
    operation: 'listActivities',
    action: 'registry:ReadModelVersion',
  },
  {
    method: 'POST',
    path: '/api/2.0/token/create',
    group: 'tokens',
    operation: 'createToken',
    action: 'token:ManageOwnTokens',
  },
  {
    method: 'GET',
    path: '/api/2.0/token/list',
    group: 'tokens',
    operation: 'listTokens',
    action: 'token:ManageOwnTokens',
  },
  {
    method: 'POST',
    path: '/api/2.0/token/delete',
    group: 'tokens',
    operation: 'deleteToken',
    action: 'token:ManageOwnTokens',
  },
];

/** API Gateway route key, e.g. `POST /api/2.0/mlflow/registered-models/create`. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>) {
  return `${route.method} ${route.path}`;
}

export const functionGroups: readonly FunctionGroup[] = [
  ...new Set(routes.map((route) => route.group)),
];

/** Handler entry file of a function group, relative to the repository root. */
export function handlerEntry(group: FunctionGroup): string {
  return `functions/handlers/api/${group}.ts`;
}
