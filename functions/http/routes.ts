/**
 * The route table: every HTTP route the registry serves, which Lambda
 * (function group) serves it, and the action it needs. API Gateway routes
 * (infra), the local gateway, the authorizer's policy and the handlers'
 * dispatch are all derived from this one list.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One Lambda per resource group (ARCHITECTURE.md, decision 2). */
export type FunctionGroup = 'health' | 'registered-models' | 'tokens';

/**
 * IAM-style action names shared by the authorizer's policy, the permission
 * table and the docs. `public` routes skip the authorizer entirely.
 */
export type RouteAction =
  | 'public'
  | 'registry:CreateRegisteredModel'
  | 'registry:ReadRegisteredModel'
  | 'registry:ListRegisteredModels'
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
