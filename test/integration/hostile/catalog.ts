import type { Json } from './values.ts';

/**
 * The objects one seeding made (see seed.ts): what valid requests name.
 * The suite seeds two: the snapshotted world, which the admin only reads,
 * and a scratch world the admin may change.
 */
export interface World {
  readonly prefix: string;
  /** Versions 1 and 2 from external sources, 3 with managed artifacts. */
  readonly model: { readonly name: string; readonly id: string };
  /** One version; the delete routes aim here. */
  readonly otherModel: { readonly name: string; readonly id: string };
  readonly alias: string;
  readonly tagKey: string;
  readonly versionTagKey: string;
  /** An open request of `user` on version 1, to Staging. */
  readonly request: {
    readonly id: string;
    readonly stage: string;
    readonly creator: string;
  };
  /** The admin's comment on version 1. */
  readonly commentId: string;
  /** `user`'s comment on version 1. */
  readonly userCommentId: string;
  /** An HTTP webhook on `model`, with a secret and an authorization. */
  readonly webhookId: string;
  /** A job webhook on `model`, with an access token. */
  readonly jobWebhookId: string;
  /** A delivery in the delivery log of `webhookId`. */
  readonly deliveryId: string;
  /** A non-admin user with grants on the world's models, and a token. */
  readonly user: {
    readonly id: string;
    readonly userName: string;
    readonly token: string;
    readonly tokenId: string;
  };
  readonly group: { readonly id: string; readonly displayName: string };
  readonly servicePrincipal: {
    readonly id: string;
    readonly applicationId: string;
  };
  /** An upload session created and filled but not completed. */
  readonly upload: {
    readonly id: string;
    readonly files: readonly {
      readonly path: string;
      readonly size: number;
      readonly sha256: string;
    }[];
  };
  /** `mlflow-registry/<model id>/3`, and a file under it. */
  readonly artifactDir: string;
  readonly artifactFile: string;
  /** Real next-page tokens of the searches the templates make. */
  readonly pageTokens: {
    readonly models: string;
    readonly modelList: string;
    readonly versions: string;
    readonly webhooks: string;
  };
  /** Where webhooks may post in this stack. */
  readonly webhookUrl: string;
  /** An OAuth secret of `servicePrincipal` (its id). */
  readonly oauthSecretId: string;
  /** An IP access list (BLOCK, of a documentation address). */
  readonly ipAccessListId: string;
  /** A file of the admin's temporary copy (DBFS path). */
  readonly dbfsFile: string;
}

/** A valid request of one operation: path parameters and input fields. */
export interface ValidRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly input: { readonly [field: string]: Json };
}

type Template = (world: World, fresh: string) => ValidRequest;

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function input(fields: { readonly [field: string]: Json }): ValidRequest {
  return { params: {}, input: fields };
}

/** An e-mail link as the registry makes them, with a signature of zeros. */
function emailLink(world: Pick<World, 'request' | 'user'>): string {
  const expiry = (Date.now() + 3_600_000).toString(36);
  return `v1.${'0'.repeat(32)}.${world.request.id}.${world.user.id}.a.${expiry}.${'A'.repeat(43)}`;
}

/** The search the `models` page token continues. */
export function modelSearch(world: Pick<World, 'prefix'>) {
  return { filter: `name LIKE '${world.prefix}%'`, max_results: 1 };
}

/** The search the `versions` page token continues. */
export function versionSearch(world: Pick<World, 'model'>) {
  return { filter: `name = '${world.model.name}'`, max_results: 1 };
}

/**
 * A valid request for every operation of the route table, keyed by
 * operation name. The suite fails when a route's operation is missing
 * here, so a new route cannot escape it.
 */
export const templates: Readonly<Record<string, Template>> = {
  health: () => input({}),
  getOpenApiDocument: () => input({}),
  // A well-formed link to the world's request whose signature is not the
  // registry's (its key is not the suite's to use): refused before any
  // read, so no mutation of it can decide the seeded request.
  openEmailLink: (w) => input({ link: emailLink(w) }),
  useEmailLink: (w) => input({ link: emailLink(w), comment: 'by e-mail' }),
  createRegisteredModel: (_w, fresh) =>
    input({
      name: `fresh-${fresh}`,
      description: 'made by the hostile-input suite',
      tags: [{ key: 'k', value: 'v' }],
    }),
  getRegisteredModel: (w) => input({ name: w.model.name }),
  searchRegisteredModels: (w) => input({ ...modelSearch(w) }),
  listRegisteredModels: () => input({ max_results: 1 }),
  getRegisteredModelDatabricks: (w) => input({ name: w.model.name }),
  updateRegisteredModel: (w) =>
    input({ name: w.model.name, description: 'changed' }),
  renameRegisteredModel: (w, fresh) =>
    input({ name: w.model.name, new_name: `fresh-${fresh}` }),
  deleteRegisteredModel: (w) => input({ name: w.otherModel.name }),
  getLatestVersions: (w) =>
    input({ name: w.model.name, stages: ['None', 'Staging'] }),
  setRegisteredModelTag: (w) =>
    input({ name: w.model.name, key: w.tagKey, value: 'changed' }),
  deleteRegisteredModelTag: (w) => input({ name: w.model.name, key: w.tagKey }),
  setRegisteredModelAlias: (w) =>
    input({ name: w.model.name, alias: w.alias, version: '2' }),
  deleteRegisteredModelAlias: (w) =>
    input({ name: w.model.name, alias: w.alias }),
  getModelVersionByAlias: (w) => input({ name: w.model.name, alias: w.alias }),
  createModelVersion: (w, fresh) =>
    input({
      name: w.model.name,
      source: `s3://hostile-elsewhere/${fresh}`,
      run_id: fresh,
      description: 'made by the hostile-input suite',
      tags: [{ key: 'k', value: 'v' }],
    }),
  getModelVersion: (w) => input({ name: w.model.name, version: '1' }),
  updateModelVersion: (w) =>
    input({ name: w.model.name, version: '1', description: 'changed' }),
  deleteModelVersion: (w) => input({ name: w.otherModel.name, version: '1' }),
  searchModelVersions: (w) => input({ ...versionSearch(w) }),
  setModelVersionTag: (w) =>
    input({
      name: w.model.name,
      version: '1',
      key: w.versionTagKey,
      value: 'changed',
    }),
  deleteModelVersionTag: (w) =>
    input({ name: w.model.name, version: '1', key: w.versionTagKey }),
  getModelVersionDownloadUri: (w) =>
    input({ name: w.model.name, version: '3' }),
  transitionModelVersionStage: (w) =>
    input({
      name: w.model.name,
      version: '2',
      stage: 'Staging',
      archive_existing_versions: false,
    }),
  transitionModelVersionStageDatabricks: (w) =>
    input({
      name: w.model.name,
      version: '2',
      stage: 'Production',
      archive_existing_versions: true,
      comment: 'hostile',
    }),
  listActivities: (w) => input({ name: w.model.name, version: '1' }),
  createTransitionRequest: (w) =>
    input({
      name: w.model.name,
      version: '2',
      stage: 'Production',
      comment: 'please',
    }),
  listTransitionRequests: (w) => input({ name: w.model.name, version: '1' }),
  approveTransitionRequest: (w) =>
    input({
      name: w.model.name,
      version: '1',
      stage: w.request.stage,
      archive_existing_versions: false,
      comment: 'ok',
      request_id: w.request.id,
    }),
  rejectTransitionRequest: (w) =>
    input({
      name: w.model.name,
      version: '1',
      stage: w.request.stage,
      comment: 'no',
      request_id: w.request.id,
    }),
  deleteTransitionRequest: (w) =>
    input({
      name: w.model.name,
      version: '1',
      stage: w.request.stage,
      creator: w.request.creator,
      comment: 'withdrawn',
    }),
  createComment: (w) =>
    input({ name: w.model.name, version: '1', comment: 'hello' }),
  updateComment: (w) => input({ id: w.commentId, comment: 'edited' }),
  deleteComment: (w) => input({ id: w.userCommentId }),
  getTransitionRequestSettings: (w) => input({ name: w.model.name }),
  setTransitionRequestSettings: (w) =>
    input({
      name: w.model.name,
      separation_of_duties_stages: ['Production'],
      request_expiry_seconds: 3600,
      protected_stages: ['Staging', 'Production', 'Archived'],
      required_approvals: 10,
    }),
  listNotifications: (w) => input({ name: w.model.name, version: '1' }),
  listTransitionRequestInbox: () => input({ max_results: 10 }),
  getRegistryPolicy: () => input({}),
  updateRegistryPolicy: () =>
    input({ protected_stages: ['Production'], required_approvals: 1 }),
  getSlackSettings: (w) => input({ name: w.model.name }),
  updateSlackSettings: (w) =>
    input({ name: w.model.name, channel: 'C0HOSTILE01' }),
  getRegistrySlackSettings: () => input({}),
  updateRegistrySlackSettings: () => input({ channel: '#model-approvals' }),
  // Unsigned (Slack is not set up in the shared stack): always refused.
  slackInteractions: () => input({ payload: '{}' }),
  createUploadSession: (w) =>
    input({
      name: w.model.name,
      files: [{ path: 'MLmodel', size: 10 }],
      expires_in_seconds: 600,
    }),
  signUploadUrls: (w) =>
    input({
      upload_id: w.upload.id,
      files: w.upload.files.map((file) => ({ path: file.path })),
      expires_in_seconds: 600,
    }),
  completeUploadSession: (w) =>
    input({
      upload_id: w.upload.id,
      files: w.upload.files.map((file) => ({ ...file })),
    }),
  listModelVersionFiles: (w) => input({ name: w.model.name, version: '3' }),
  listArtifacts: (w) => input({ path: w.artifactDir }),
  listModelVersionArtifacts: (w) =>
    input({ name: w.model.name, version: '3', path: '' }),
  getModelVersionSignedDownloadUri: (w) =>
    input({
      name: w.model.name,
      version: '3',
      path: w.artifactFile.slice(w.artifactDir.length + 1),
    }),
  listDbfs: (w) =>
    input({ path: w.dbfsFile.slice(0, w.dbfsFile.lastIndexOf('/')) }),
  getDbfsStatus: (w) => input({ path: w.dbfsFile }),
  putDbfsFile: (_w, fresh) => ({
    params: {
      proxy: `databricks/mlflow/tmp-external-source/hostile-${fresh}/model/MLmodel`,
    },
    input: {},
  }),
  getOAuthAuthorizationServer: () => input({}),
  issueOAuthToken: () =>
    input({ grant_type: 'client_credentials', scope: 'all-apis' }),
  createServicePrincipalSecret: (w) => ({
    params: { service_principal_id: w.servicePrincipal.id },
    input: { lifetime: '3600s' },
  }),
  listServicePrincipalSecrets: (w) => ({
    params: { service_principal_id: w.servicePrincipal.id },
    input: {},
  }),
  deleteServicePrincipalSecret: (w) => ({
    params: {
      service_principal_id: w.servicePrincipal.id,
      secret_id: w.oauthSecretId,
    },
    input: {},
  }),
  createIpAccessList: (_w, fresh) =>
    input({
      label: `fresh-${fresh}`,
      list_type: 'BLOCK',
      ip_addresses: ['192.0.2.1', '198.51.100.0/24'],
    }),
  listIpAccessLists: () => input({}),
  getIpAccessList: (w) => ({
    params: { ip_access_list_id: w.ipAccessListId },
    input: {},
  }),
  replaceIpAccessList: (w, fresh) => ({
    params: { ip_access_list_id: w.ipAccessListId },
    input: {
      label: `replaced-${fresh}`,
      list_type: 'BLOCK',
      ip_addresses: ['192.0.2.2'],
      enabled: true,
    },
  }),
  updateIpAccessList: (w) => ({
    params: { ip_access_list_id: w.ipAccessListId },
    input: { enabled: false },
  }),
  deleteIpAccessList: (w) => ({
    params: { ip_access_list_id: w.ipAccessListId },
    input: {},
  }),
  getWorkspaceConf: () => input({ keys: 'enableIpAccessLists' }),
  setWorkspaceConf: () => input({ enableIpAccessLists: 'true' }),
  downloadArtifact: (w) => ({ params: { proxy: w.artifactFile }, input: {} }),
  createToken: () =>
    input({ lifetime_seconds: 3600, comment: 'hostile-input suite' }),
  listTokens: () => input({}),
  deleteToken: (w) => input({ token_id: w.user.tokenId }),
  createUser: (w, fresh) =>
    input({
      userName: `fresh-${fresh}@example.com`,
      displayName: 'Fresh',
      groups: [{ value: w.group.id }],
    }),
  listUsers: (w) =>
    input({
      filter: `userName eq "${w.user.userName}"`,
      startIndex: 1,
      count: 10,
    }),
  getUser: (w) => ({ params: { id: w.user.id }, input: {} }),
  patchUser: (w) => ({
    params: { id: w.user.id },
    input: {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: true }],
    },
  }),
  deleteUser: (w) => ({ params: { id: w.user.id }, input: {} }),
  createGroup: (w, fresh) =>
    input({ displayName: `fresh-${fresh}`, members: [{ value: w.user.id }] }),
  listGroups: (w) =>
    input({ filter: `displayName eq "${w.group.displayName}"` }),
  getGroup: (w) => ({ params: { id: w.group.id }, input: {} }),
  patchGroup: (w) => ({
    params: { id: w.group.id },
    input: {
      schemas: [PATCH_OP],
      Operations: [
        {
          op: 'add',
          path: 'members',
          value: [{ value: w.servicePrincipal.id }],
        },
      ],
    },
  }),
  deleteGroup: (w) => ({ params: { id: w.group.id }, input: {} }),
  createServicePrincipal: (w, fresh) =>
    input({
      displayName: `fresh-${fresh}`,
      groups: [{ value: w.group.id }],
    }),
  listServicePrincipals: (w) =>
    input({ filter: `applicationId eq "${w.servicePrincipal.applicationId}"` }),
  getServicePrincipal: (w) => ({
    params: { id: w.servicePrincipal.id },
    input: {},
  }),
  patchServicePrincipal: (w) => ({
    params: { id: w.servicePrincipal.id },
    input: {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'displayName', value: 'Robot' }],
    },
  }),
  deleteServicePrincipal: (w) => ({
    params: { id: w.servicePrincipal.id },
    input: {},
  }),
  getMe: () => input({}),
  createOboToken: (w) =>
    input({
      user_name: w.user.userName,
      lifetime_seconds: 3600,
      comment: 'hostile-input suite',
    }),
  listAllTokens: (w) => input({ created_by_username: w.user.userName }),
  getTokenInfo: (w) => ({ params: { token_id: w.user.tokenId }, input: {} }),
  revokeToken: (w) => ({ params: { token_id: w.user.tokenId }, input: {} }),
  getPermissions: (w) => ({
    params: { registered_model_id: w.model.id },
    input: {},
  }),
  setPermissions: (w) => ({
    params: { registered_model_id: w.model.id },
    input: {
      access_control_list: [
        { user_name: w.user.userName, permission_level: 'CAN_READ' },
      ],
    },
  }),
  updatePermissions: (w) => ({
    params: { registered_model_id: w.model.id },
    input: {
      access_control_list: [
        { group_name: w.group.displayName, permission_level: 'CAN_EDIT' } as {
          readonly [field: string]: Json;
        },
        {
          service_principal_name: w.servicePrincipal.applicationId,
          permission_level: 'CAN_READ',
        },
      ],
    },
  }),
  getPermissionLevels: (w) => ({
    params: { registered_model_id: w.model.id },
    input: {},
  }),
  createRegistryWebhook: (w, fresh) =>
    input({
      events: ['MODEL_VERSION_CREATED', 'TRANSITION_REQUEST_CREATED'],
      model_name: w.model.name,
      description: 'hostile',
      status: 'ACTIVE',
      http_url_spec: {
        url: w.webhookUrl,
        secret: `${FRESH_SECRET_MARK}${fresh}`,
        authorization: `Bearer ${FRESH_SECRET_MARK}${fresh}`,
        enable_ssl_verification: false,
      },
    }),
  listRegistryWebhooks: (w) =>
    input({ model_name: w.model.name, max_results: 1 }),
  updateRegistryWebhook: (w) =>
    input({ id: w.webhookId, description: 'changed', status: 'ACTIVE' }),
  deleteRegistryWebhook: (w) => input({ id: w.jobWebhookId }),
  testRegistryWebhook: (w) =>
    input({ id: w.webhookId, event: 'MODEL_VERSION_CREATED' }),
  listRegistryWebhookDeliveries: (w) =>
    input({ id: w.webhookId, max_results: 1 }),
  redeliverRegistryWebhookDelivery: (w) =>
    input({ id: w.webhookId, delivery_id: w.deliveryId }),
};

/**
 * Secrets the generated requests carry start with this; no answer may
 * contain it.
 */
export const FRESH_SECRET_MARK = 'hostile-fresh-secret-';

/** Fields that name an object or a principal: where forged ids go. */
export const ID_FIELDS: ReadonlySet<string> = new Set([
  'name',
  'new_name',
  'model_name',
  'id',
  'token_id',
  'registered_model_id',
  'request_id',
  'upload_id',
  'alias',
  'version',
  'user_name',
  'group_name',
  'service_principal_name',
  'application_id',
  'creator',
  'created_by_id',
  'created_by_username',
  'value',
  'key',
  'run_id',
  'proxy',
  'path',
  'service_principal_id',
  'secret_id',
  'ip_access_list_id',
  'delivery_id',
]);

/** Fields of the search routes that a page token goes with. */
export const PAGED_OPERATIONS: Readonly<
  Record<string, keyof World['pageTokens']>
> = {
  searchRegisteredModels: 'models',
  listRegisteredModels: 'modelList',
  searchModelVersions: 'versions',
  listRegistryWebhooks: 'webhooks',
};
