import type {
  deliveryJson,
  webhookJson,
} from '#handlers/api/registry-webhooks/webhooks.ts';
import type {
  activityJson,
  modelVersionJson,
  registeredModelDatabricksJson,
  registeredModelJson,
  tokenInfoJson,
} from '#http/wire.ts';

/**
 * Every API route the page calls, by name: method and path exactly as in
 * the route table (functions/http/routes.ts); a unit test holds each entry
 * to a route there, so a moved or renamed route fails the build, not a
 * user's click.
 */
export const endpoints = {
  me: ['GET', '/api/2.0/preview/scim/v2/Me'],
  listUsers: ['GET', '/api/2.0/preview/scim/v2/Users'],
  listGroups: ['GET', '/api/2.0/preview/scim/v2/Groups'],
  listServicePrincipals: ['GET', '/api/2.0/preview/scim/v2/ServicePrincipals'],
  searchModels: ['GET', '/api/2.0/mlflow/registered-models/search'],
  getModel: ['GET', '/api/2.0/mlflow/databricks/registered-models/get'],
  updateModel: ['PATCH', '/api/2.0/mlflow/registered-models/update'],
  setModelTag: ['POST', '/api/2.0/mlflow/registered-models/set-tag'],
  deleteModelTag: ['DELETE', '/api/2.0/mlflow/registered-models/delete-tag'],
  setAlias: ['POST', '/api/2.0/mlflow/registered-models/alias'],
  deleteAlias: ['DELETE', '/api/2.0/mlflow/registered-models/alias'],
  searchVersions: ['GET', '/api/2.0/mlflow/model-versions/search'],
  getVersion: ['GET', '/api/2.0/mlflow/model-versions/get'],
  updateVersion: ['PATCH', '/api/2.0/mlflow/model-versions/update'],
  setVersionTag: ['POST', '/api/2.0/mlflow/model-versions/set-tag'],
  deleteVersionTag: ['DELETE', '/api/2.0/mlflow/model-versions/delete-tag'],
  listFiles: ['GET', '/api/2.0/stagegate/model-versions/files'],
  transitionStage: [
    'POST',
    '/api/2.0/mlflow/databricks/model-versions/transition-stage',
  ],
  listActivities: ['GET', '/api/2.0/stagegate/activities/list'],
  createRequest: ['POST', '/api/2.0/mlflow/transition-requests/create'],
  listRequests: ['GET', '/api/2.0/mlflow/transition-requests/list'],
  approveRequest: ['POST', '/api/2.0/mlflow/transition-requests/approve'],
  rejectRequest: ['POST', '/api/2.0/mlflow/transition-requests/reject'],
  cancelRequest: ['DELETE', '/api/2.0/mlflow/transition-requests/delete'],
  inbox: ['GET', '/api/2.0/stagegate/transition-requests/inbox'],
  createComment: ['POST', '/api/2.0/mlflow/comments/create'],
  updateComment: ['PATCH', '/api/2.0/mlflow/comments/update'],
  deleteComment: ['DELETE', '/api/2.0/mlflow/comments/delete'],
  registryPolicy: ['GET', '/api/2.0/stagegate/registry/policy'],
  getPermissions: [
    'GET',
    '/api/2.0/permissions/registered-models/{registered_model_id}',
  ],
  setPermissions: [
    'PUT',
    '/api/2.0/permissions/registered-models/{registered_model_id}',
  ],
  updatePermissions: [
    'PATCH',
    '/api/2.0/permissions/registered-models/{registered_model_id}',
  ],
  permissionLevels: [
    'GET',
    '/api/2.0/permissions/registered-models/{registered_model_id}/permissionLevels',
  ],
  listTokens: ['GET', '/api/2.0/token/list'],
  createToken: ['POST', '/api/2.0/token/create'],
  deleteToken: ['POST', '/api/2.0/token/delete'],
  listWebhooks: ['GET', '/api/2.0/mlflow/registry-webhooks/list'],
  createWebhook: ['POST', '/api/2.0/mlflow/registry-webhooks/create'],
  deleteWebhook: ['DELETE', '/api/2.0/mlflow/registry-webhooks/delete'],
  testWebhook: ['POST', '/api/2.0/mlflow/registry-webhooks/test'],
  listDeliveries: [
    'GET',
    '/api/2.0/stagegate/registry-webhooks/deliveries/list',
  ],
  redeliver: [
    'POST',
    '/api/2.0/stagegate/registry-webhooks/deliveries/redeliver',
  ],
} as const satisfies Record<string, readonly [string, string]>;

export type Endpoint = keyof typeof endpoints;

export type RegisteredModel = ReturnType<typeof registeredModelJson>;
export type RegisteredModelDatabricks = ReturnType<
  typeof registeredModelDatabricksJson
>;
export type ModelVersion = ReturnType<typeof modelVersionJson>;
export type Activity = ReturnType<typeof activityJson>;
export type TokenInfo = ReturnType<typeof tokenInfoJson>;

export type RequestAction =
  | 'APPROVE_TRANSITION_REQUEST'
  | 'REJECT_TRANSITION_REQUEST'
  | 'CANCEL_TRANSITION_REQUEST';

export interface TransitionRequest {
  id: string;
  name: string;
  version: string;
  activity_type: string;
  from_stage?: string;
  to_stage: string;
  user_id: string;
  creation_timestamp: number;
  comment?: string;
  available_actions: RequestAction[];
  approvals_required?: number;
  approvals_remaining?: number;
}

export interface AclEntry {
  user_name?: string;
  group_name?: string;
  service_principal_name?: string;
  all_permissions: { permission_level: string; inherited: boolean }[];
}

export interface Me {
  id: string;
  userName: string;
  displayName?: string;
  groups?: { value: string; display: string }[];
}

export type Webhook = ReturnType<typeof webhookJson>;
export type Delivery = ReturnType<typeof deliveryJson>;

/** The registry refused (the MLflow error shape), or could not be reached. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly errorCode: string;
  constructor(status: number, errorCode: string, message: string) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
  }
}

const TOKEN_KEY = 'stagegate.token';

/**
 * The token lives in session storage only: gone with the tab, never in a
 * URL (where it would reach history, logs and Referer headers).
 */
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

type Params = Record<string, unknown>;

/**
 * Calls one route. GET and DELETE carry their fields in the query string
 * (repeated keys for lists, as the API reads them), the others as JSON;
 * `{name}` path parameters are filled from `path`.
 */
export async function call<T>(
  endpoint: Endpoint,
  params: Params = {},
  path: Record<string, string> = {}
): Promise<T> {
  const [method, template] = endpoints[endpoint];
  const url = template.replace(/\{(\w+)\}/g, (_, key: string) =>
    encodeURIComponent(path[key] ?? '')
  );
  const headers: Record<string, string> = {};
  const token = session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  let query = '';
  let body: string | undefined;
  if (method === 'GET' || method === 'DELETE') {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined || value === null || value === '') continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        search.append(key, String(item));
      }
    }
    query = search.size > 0 ? `?${search}` : '';
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(params);
  }
  let response: Response;
  try {
    response = await fetch(url + query, { method, headers, body });
  } catch {
    throw new ApiError(0, 'UNREACHABLE', 'The registry could not be reached.');
  }
  const text = await response.text();
  let json: unknown = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = {};
  }
  if (!response.ok) {
    const error = json as { error_code?: string; message?: string };
    throw new ApiError(
      response.status,
      error.error_code ?? `HTTP_${response.status}`,
      error.message ?? `The registry answered ${response.status}.`
    );
  }
  return json as T;
}
