import { type Ability, isAdminOnly } from '#domain/authorization.ts';

/**
 * The route table: every HTTP route the registry serves, which Lambda
 * (function group) serves it, and the ability it takes. API Gateway routes
 * (infra), the local gateway and the handlers' dispatch are all derived
 * from this one list. (The authorizer's policy is not: it allows the whole
 * API to any authenticated caller, and the routes' access checks decide.)
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One Lambda per resource group, serving that group's routes. */
export type FunctionGroup =
  | 'health'
  | 'registered-models'
  | 'model-versions'
  | 'tokens'
  | 'scim'
  | 'token-management'
  | 'permissions'
  | 'transition-requests'
  | 'artifacts'
  | 'dbfs'
  | 'oauth'
  | 'workspace'
  | 'registry-webhooks'
  | 'email-callbacks'
  | 'slack-callbacks';

/**
 * What a route does: an ability of the one table (`ABILITIES` in
 * functions/domain/authorization.ts, by its IAM-style action name),
 * `public` for the routes that need no token (no authorizer either), or
 * `client` for OAuth's endpoints, where the client authenticates itself to
 * the operation (client credentials) and the authorizer still runs first
 * (the IP access lists).
 */
export type RouteAction = Ability | 'public' | 'client';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** Path at the origin root; `{name}` segments are path parameters. */
  readonly path: string;
  readonly group: FunctionGroup;
  /** MLflow/Databricks RPC name, used in logs and by the dispatcher. */
  readonly operation: string;
  /**
   * The ability the route takes; the route's check reads the resource it
   * names and asks `authorize` (functions/http/access-guard.ts).
   */
  readonly action: RouteAction;
  /**
   * How the route names its model when not by the `name` field: by
   * `registered_model_id` (or `root`, the registry-wide object), or by the
   * MLflow artifact path (`mlflow-registry/<model id>/…`).
   */
  readonly modelBy?: 'id' | 'artifact-path';
  /**
   * `raw`: the body is a file's bytes (any content type, binary), not a
   * JSON object; `form`: an `application/x-www-form-urlencoded` body
   * (OAuth's token endpoint). Either way the operation reads the body
   * itself, and the input is the query string and the path parameters.
   * @default - a JSON body (POST, PUT, PATCH)
   */
  readonly body?: 'raw' | 'form';
}

/** Workspace-admin routes: those whose ability admins alone hold. */
export function isAdminRoute(route: Pick<RouteDefinition, 'action'>): boolean {
  return (
    route.action !== 'public' &&
    route.action !== 'client' &&
    isAdminOnly(route.action)
  );
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
  // The page behind approval e-mails' links: public, the signed link is
  // its credential (functions/domain/email/email-decisions.ts).
  {
    method: 'GET',
    path: '/callbacks/email/decision',
    group: 'email-callbacks',
    operation: 'openEmailLink',
    action: 'public',
  },
  {
    method: 'POST',
    path: '/callbacks/email/decision',
    group: 'email-callbacks',
    operation: 'useEmailLink',
    action: 'public',
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    group: 'health',
    operation: 'getOpenApiDocument',
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
    action: 'registry:UpdateDescription',
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
    action: 'registry:EditTags',
  },
  {
    method: 'DELETE',
    path: `${MLFLOW}/registered-models/delete-tag`,
    group: 'registered-models',
    operation: 'deleteRegisteredModelTag',
    action: 'registry:EditTags',
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
    action: 'registry:ReadRegisteredModel',
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
    action: 'registry:ReadRegisteredModel',
  },
  {
    method: 'PATCH',
    path: `${MLFLOW}/model-versions/update`,
    group: 'model-versions',
    operation: 'updateModelVersion',
    action: 'registry:UpdateDescription',
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
    action: 'registry:EditTags',
  },
  {
    method: 'DELETE',
    path: `${MLFLOW}/model-versions/delete-tag`,
    group: 'model-versions',
    operation: 'deleteModelVersionTag',
    action: 'registry:EditTags',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/model-versions/get-download-uri`,
    group: 'model-versions',
    operation: 'getModelVersionDownloadUri',
    action: 'registry:ReadRegisteredModel',
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
    action: 'registry:ReadRegisteredModel',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/transition-requests/create`,
    group: 'transition-requests',
    operation: 'createTransitionRequest',
    action: 'registry:RequestTransition',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/transition-requests/list`,
    group: 'transition-requests',
    operation: 'listTransitionRequests',
    action: 'registry:ReadRegisteredModel',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/transition-requests/approve`,
    group: 'transition-requests',
    operation: 'approveTransitionRequest',
    action: 'registry:ApproveTransitionRequest',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/transition-requests/reject`,
    group: 'transition-requests',
    operation: 'rejectTransitionRequest',
    action: 'registry:DecideTransitionRequest',
  },
  {
    method: 'DELETE',
    path: `${MLFLOW}/transition-requests/delete`,
    group: 'transition-requests',
    operation: 'deleteTransitionRequest',
    action: 'registry:CancelTransitionRequest',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/comments/create`,
    group: 'transition-requests',
    operation: 'createComment',
    action: 'registry:CommentOnModelVersion',
  },
  {
    method: 'PATCH',
    path: `${MLFLOW}/comments/update`,
    group: 'transition-requests',
    operation: 'updateComment',
    action: 'registry:EditComment',
  },
  {
    method: 'DELETE',
    path: `${MLFLOW}/comments/delete`,
    group: 'transition-requests',
    operation: 'deleteComment',
    action: 'registry:DeleteComment',
  },
  {
    method: 'GET',
    path: '/api/2.0/stagegate/transition-requests/settings',
    group: 'transition-requests',
    operation: 'getTransitionRequestSettings',
    action: 'registry:ReadRegisteredModel',
  },
  {
    method: 'PATCH',
    path: '/api/2.0/stagegate/transition-requests/settings',
    group: 'transition-requests',
    operation: 'setTransitionRequestSettings',
    action: 'registry:ManageTransitionSettings',
  },
  {
    method: 'GET',
    path: '/api/2.0/stagegate/transition-requests/inbox',
    group: 'transition-requests',
    operation: 'listTransitionRequestInbox',
    action: 'registry:ListTransitionRequestInbox',
  },
  {
    method: 'GET',
    path: '/api/2.0/stagegate/registry/policy',
    group: 'transition-requests',
    operation: 'getRegistryPolicy',
    action: 'registry:ReadRegistryPolicy',
  },
  {
    method: 'PATCH',
    path: '/api/2.0/stagegate/registry/policy',
    group: 'transition-requests',
    operation: 'updateRegistryPolicy',
    action: 'admin:ManageRegistryPolicy',
  },
  // --- Slack (docs/slack.md)
  {
    method: 'GET',
    path: '/api/2.0/stagegate/slack/settings',
    group: 'transition-requests',
    operation: 'getSlackSettings',
    action: 'registry:ReadRegisteredModel',
  },
  {
    method: 'PATCH',
    path: '/api/2.0/stagegate/slack/settings',
    group: 'transition-requests',
    operation: 'updateSlackSettings',
    action: 'registry:ManageTransitionSettings',
  },
  {
    method: 'GET',
    path: '/api/2.0/stagegate/registry/slack',
    group: 'transition-requests',
    operation: 'getRegistrySlackSettings',
    action: 'registry:ReadRegistryPolicy',
  },
  {
    method: 'PATCH',
    path: '/api/2.0/stagegate/registry/slack',
    group: 'transition-requests',
    operation: 'updateRegistrySlackSettings',
    action: 'admin:ManageRegistryPolicy',
  },
  {
    // No registry token: Slack signs it (verified by its function).
    method: 'POST',
    path: '/callbacks/slack/interactions',
    group: 'slack-callbacks',
    operation: 'slackInteractions',
    action: 'public',
  },
  // --- end Slack
  {
    method: 'GET',
    path: '/api/2.0/stagegate/notifications/list',
    group: 'transition-requests',
    operation: 'listNotifications',
    action: 'registry:ReadRegisteredModel',
  },
  {
    method: 'POST',
    path: '/api/2.0/stagegate/uploads/create',
    group: 'artifacts',
    operation: 'createUploadSession',
    // The bytes are on their way to a version of the named model: the
    // same ability as registering it, before any byte is accepted.
    action: 'registry:CreateModelVersion',
  },
  {
    method: 'POST',
    path: '/api/2.0/stagegate/uploads/sign',
    group: 'artifacts',
    operation: 'signUploadUrls',
    action: 'artifacts:UploadArtifacts',
  },
  {
    method: 'POST',
    path: '/api/2.0/stagegate/uploads/complete',
    group: 'artifacts',
    operation: 'completeUploadSession',
    action: 'artifacts:UploadArtifacts',
  },
  {
    method: 'GET',
    path: '/api/2.0/stagegate/model-versions/files',
    group: 'artifacts',
    operation: 'listModelVersionFiles',
    action: 'registry:ReadArtifacts',
  },
  {
    method: 'GET',
    path: '/api/2.0/mlflow-artifacts/artifacts',
    group: 'artifacts',
    operation: 'listArtifacts',
    action: 'registry:ReadArtifacts',
    modelBy: 'artifact-path',
  },
  {
    // Greedy: the rest of the path is the artifact's (`pathParameters.proxy`).
    method: 'GET',
    path: '/api/2.0/mlflow-artifacts/artifacts/{proxy+}',
    group: 'artifacts',
    operation: 'downloadArtifact',
    action: 'registry:ReadArtifacts',
    modelBy: 'artifact-path',
  },
  {
    // Databricks' loading path (MLflow's DatabricksModelsArtifactRepository).
    method: 'GET',
    path: `${MLFLOW}/model-versions/list-artifacts`,
    group: 'artifacts',
    operation: 'listModelVersionArtifacts',
    action: 'registry:ReadArtifacts',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/model-versions/get-signed-download-uri`,
    group: 'artifacts',
    operation: 'getModelVersionSignedDownloadUri',
    action: 'registry:ReadArtifacts',
  },
  {
    // The DBFS area of seed 002's temporary copies, each principal's own.
    method: 'GET',
    path: '/api/2.0/dbfs/list',
    group: 'dbfs',
    operation: 'listDbfs',
    action: 'artifacts:ReadTemporaryCopies',
  },
  {
    method: 'GET',
    path: '/api/2.0/dbfs/get-status',
    group: 'dbfs',
    operation: 'getDbfsStatus',
    action: 'artifacts:ReadTemporaryCopies',
  },
  {
    // One whole file per request, its bytes as the body (MLflow's
    // DbfsRestArtifactRepository); the path follows `/dbfs`.
    method: 'POST',
    path: '/dbfs/{proxy+}',
    group: 'dbfs',
    operation: 'putDbfsFile',
    action: 'artifacts:WriteTemporaryCopies',
    body: 'raw',
  },
  {
    method: 'POST',
    path: '/api/2.0/token/create',
    group: 'tokens',
    operation: 'createToken',
    action: 'identity:ManageOwnTokens',
  },
  {
    method: 'GET',
    path: '/api/2.0/token/list',
    group: 'tokens',
    operation: 'listTokens',
    action: 'identity:ManageOwnTokens',
  },
  {
    method: 'POST',
    path: '/api/2.0/token/delete',
    group: 'tokens',
    operation: 'deleteToken',
    action: 'identity:ManageOwnTokens',
  },
  {
    method: 'POST',
    path: '/api/2.0/preview/scim/v2/Users',
    group: 'scim',
    operation: 'createUser',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'GET',
    path: '/api/2.0/preview/scim/v2/Users',
    group: 'scim',
    operation: 'listUsers',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'GET',
    path: '/api/2.0/preview/scim/v2/Users/{id}',
    group: 'scim',
    operation: 'getUser',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'PATCH',
    path: '/api/2.0/preview/scim/v2/Users/{id}',
    group: 'scim',
    operation: 'patchUser',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'DELETE',
    path: '/api/2.0/preview/scim/v2/Users/{id}',
    group: 'scim',
    operation: 'deleteUser',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'POST',
    path: '/api/2.0/preview/scim/v2/Groups',
    group: 'scim',
    operation: 'createGroup',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'GET',
    path: '/api/2.0/preview/scim/v2/Groups',
    group: 'scim',
    operation: 'listGroups',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'GET',
    path: '/api/2.0/preview/scim/v2/Groups/{id}',
    group: 'scim',
    operation: 'getGroup',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'PATCH',
    path: '/api/2.0/preview/scim/v2/Groups/{id}',
    group: 'scim',
    operation: 'patchGroup',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'DELETE',
    path: '/api/2.0/preview/scim/v2/Groups/{id}',
    group: 'scim',
    operation: 'deleteGroup',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'POST',
    path: '/api/2.0/preview/scim/v2/ServicePrincipals',
    group: 'scim',
    operation: 'createServicePrincipal',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'GET',
    path: '/api/2.0/preview/scim/v2/ServicePrincipals',
    group: 'scim',
    operation: 'listServicePrincipals',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'GET',
    path: '/api/2.0/preview/scim/v2/ServicePrincipals/{id}',
    group: 'scim',
    operation: 'getServicePrincipal',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'PATCH',
    path: '/api/2.0/preview/scim/v2/ServicePrincipals/{id}',
    group: 'scim',
    operation: 'patchServicePrincipal',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'DELETE',
    path: '/api/2.0/preview/scim/v2/ServicePrincipals/{id}',
    group: 'scim',
    operation: 'deleteServicePrincipal',
    action: 'admin:ManageIdentities',
  },
  {
    method: 'GET',
    path: '/api/2.0/preview/scim/v2/Me',
    group: 'scim',
    operation: 'getMe',
    action: 'identity:ReadSelf',
  },
  {
    method: 'POST',
    path: '/api/2.0/token-management/on-behalf-of/tokens',
    group: 'token-management',
    operation: 'createOboToken',
    action: 'admin:ManageTokens',
  },
  {
    method: 'GET',
    path: '/api/2.0/token-management/tokens',
    group: 'token-management',
    operation: 'listAllTokens',
    action: 'admin:ManageTokens',
  },
  {
    method: 'GET',
    path: '/api/2.0/token-management/tokens/{token_id}',
    group: 'token-management',
    operation: 'getTokenInfo',
    action: 'admin:ManageTokens',
  },
  {
    method: 'DELETE',
    path: '/api/2.0/token-management/tokens/{token_id}',
    group: 'token-management',
    operation: 'revokeToken',
    action: 'admin:ManageTokens',
  },
  {
    method: 'GET',
    path: '/api/2.0/permissions/registered-models/{registered_model_id}',
    group: 'permissions',
    operation: 'getPermissions',
    action: 'registry:ReadRegisteredModel',
    modelBy: 'id',
  },
  {
    method: 'PUT',
    path: '/api/2.0/permissions/registered-models/{registered_model_id}',
    group: 'permissions',
    operation: 'setPermissions',
    action: 'registry:ModifyPermissions',
    modelBy: 'id',
  },
  {
    method: 'PATCH',
    path: '/api/2.0/permissions/registered-models/{registered_model_id}',
    group: 'permissions',
    operation: 'updatePermissions',
    action: 'registry:ModifyPermissions',
    modelBy: 'id',
  },
  {
    method: 'GET',
    path: '/api/2.0/permissions/registered-models/{registered_model_id}/permissionLevels',
    group: 'permissions',
    operation: 'getPermissionLevels',
    action: 'registry:ReadRegisteredModel',
    modelBy: 'id',
  },
  {
    // OAuth machine-to-machine (Databricks' discovery and token endpoints,
    // which the SDK's `oauth-m2m` reads).
    method: 'GET',
    path: '/oidc/.well-known/oauth-authorization-server',
    group: 'oauth',
    operation: 'getOAuthAuthorizationServer',
    action: 'client',
  },
  {
    // A form-encoded body (RFC 6749).
    method: 'POST',
    path: '/oidc/v1/token',
    group: 'oauth',
    operation: 'issueOAuthToken',
    action: 'client',
    body: 'form',
  },
  {
    method: 'POST',
    path: '/api/2.0/accounts/servicePrincipals/{service_principal_id}/credentials/secrets',
    group: 'oauth',
    operation: 'createServicePrincipalSecret',
    action: 'admin:ManageServicePrincipalSecrets',
  },
  {
    method: 'GET',
    path: '/api/2.0/accounts/servicePrincipals/{service_principal_id}/credentials/secrets',
    group: 'oauth',
    operation: 'listServicePrincipalSecrets',
    action: 'admin:ManageServicePrincipalSecrets',
  },
  {
    method: 'DELETE',
    path: '/api/2.0/accounts/servicePrincipals/{service_principal_id}/credentials/secrets/{secret_id}',
    group: 'oauth',
    operation: 'deleteServicePrincipalSecret',
    action: 'admin:ManageServicePrincipalSecrets',
  },
  {
    // IP access lists (Databricks' workspace API) and their switch.
    method: 'POST',
    path: '/api/2.0/ip-access-lists',
    group: 'workspace',
    operation: 'createIpAccessList',
    action: 'admin:ManageIpAccessLists',
  },
  {
    method: 'GET',
    path: '/api/2.0/ip-access-lists',
    group: 'workspace',
    operation: 'listIpAccessLists',
    action: 'admin:ManageIpAccessLists',
  },
  {
    method: 'GET',
    path: '/api/2.0/ip-access-lists/{ip_access_list_id}',
    group: 'workspace',
    operation: 'getIpAccessList',
    action: 'admin:ManageIpAccessLists',
  },
  {
    method: 'PUT',
    path: '/api/2.0/ip-access-lists/{ip_access_list_id}',
    group: 'workspace',
    operation: 'replaceIpAccessList',
    action: 'admin:ManageIpAccessLists',
  },
  {
    method: 'PATCH',
    path: '/api/2.0/ip-access-lists/{ip_access_list_id}',
    group: 'workspace',
    operation: 'updateIpAccessList',
    action: 'admin:ManageIpAccessLists',
  },
  {
    method: 'DELETE',
    path: '/api/2.0/ip-access-lists/{ip_access_list_id}',
    group: 'workspace',
    operation: 'deleteIpAccessList',
    action: 'admin:ManageIpAccessLists',
  },
  {
    method: 'GET',
    path: '/api/2.0/workspace-conf',
    group: 'workspace',
    operation: 'getWorkspaceConf',
    action: 'admin:ManageIpAccessLists',
  },
  {
    method: 'PATCH',
    path: '/api/2.0/workspace-conf',
    group: 'workspace',
    operation: 'setWorkspaceConf',
    action: 'admin:ManageIpAccessLists',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/registry-webhooks/create`,
    group: 'registry-webhooks',
    operation: 'createRegistryWebhook',
    action: 'registry:ManageWebhooks',
  },
  {
    method: 'GET',
    path: `${MLFLOW}/registry-webhooks/list`,
    group: 'registry-webhooks',
    operation: 'listRegistryWebhooks',
    action: 'registry:ManageWebhooks',
  },
  {
    method: 'PATCH',
    path: `${MLFLOW}/registry-webhooks/update`,
    group: 'registry-webhooks',
    operation: 'updateRegistryWebhook',
    action: 'registry:ManageWebhooks',
  },
  {
    method: 'DELETE',
    path: `${MLFLOW}/registry-webhooks/delete`,
    group: 'registry-webhooks',
    operation: 'deleteRegistryWebhook',
    action: 'registry:ManageWebhooks',
  },
  {
    method: 'POST',
    path: `${MLFLOW}/registry-webhooks/test`,
    group: 'registry-webhooks',
    operation: 'testRegistryWebhook',
    action: 'registry:ManageWebhooks',
  },
  {
    // The webhook named by `id`: its managers (the use case checks).
    method: 'GET',
    path: '/api/2.0/stagegate/registry-webhooks/deliveries/list',
    group: 'registry-webhooks',
    operation: 'listRegistryWebhookDeliveries',
    action: 'registry:ManageWebhooks',
  },
  {
    method: 'POST',
    path: '/api/2.0/stagegate/registry-webhooks/deliveries/redeliver',
    group: 'registry-webhooks',
    operation: 'redeliverRegistryWebhookDelivery',
    action: 'registry:ManageWebhooks',
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
