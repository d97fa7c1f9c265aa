import { createHash, randomBytes } from 'node:crypto';
import { modelSearch, versionSearch, type World } from './catalog.ts';

const MLFLOW = '/api/2.0/mlflow';
const SCIM = '/api/2.0/preview/scim/v2';
const OBO = '/api/2.0/token-management/on-behalf-of/tokens';
const UPLOADS = '/api/2.0/stagegate/uploads';

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** Plain JSON calls for seeding and snapshots (the attacks use transport.ts). */
export class Api {
  readonly base: string;
  readonly token: string;

  constructor(base: string, token: string) {
    this.base = base;
    this.token = token;
  }

  async call(
    method: string,
    path: string,
    options: {
      token?: string;
      query?: Record<string, string | number>;
      body?: unknown;
    } = {}
  ): Promise<Answer> {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      url.searchParams.append(key, String(value));
    }
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
      headers: {
        authorization: `Bearer ${options.token ?? this.token}`,
        ...(options.body === undefined
          ? {}
          : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined
        ? {}
        : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // Kept as text: the comparison shows it.
    }
    return { status: response.status, body };
  }

  /** The answer's body; throws with the answer unless it is a 200. */
  async ok<T>(
    method: string,
    path: string,
    options: Parameters<Api['call']>[2] = {}
  ): Promise<T> {
    const answer = await this.call(method, path, options);
    if (answer.status !== 200) {
      throw new Error(
        `seeding ${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`
      );
    }
    return answer.body as T;
  }
}

export interface UserWithToken {
  readonly id: string;
  readonly userName: string;
  readonly token: string;
  readonly tokenId: string;
}

export async function createUser(
  api: Api,
  userName: string
): Promise<UserWithToken> {
  const user = await api.ok<{ id: string; userName: string }>(
    'POST',
    `${SCIM}/Users`,
    { body: { userName } }
  );
  const token = await api.ok<{
    token_value: string;
    token_info: { token_id: string };
  }>('POST', OBO, {
    body: { user_name: user.userName, comment: 'hostile-input suite' },
  });
  return {
    id: user.id,
    userName: user.userName,
    token: token.token_value,
    tokenId: token.token_info.token_id,
  };
}

/** Secrets stored in a world: no answer may ever contain one. */
export interface WorldSecrets {
  readonly webhookSecret: string;
  readonly webhookAuthorization: string;
  readonly jobAccessToken: string;
  /** The service principal's OAuth secret (shown once, at creation). */
  readonly oauthSecret: string;
}

/** A 5,000-character value (the tag value limit), for search and reads. */
export const LONG_VALUE = 'a'.repeat(5000);

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function putTo(url: string, data: Buffer): Promise<void> {
  const put = await fetch(url, { method: 'PUT', body: data });
  if (put.status !== 200) {
    throw new Error(`upload PUT answered ${put.status}: ${await put.text()}`);
  }
}

interface CreatedUpload {
  upload_id: string;
  files: { path: string; url: string }[];
}

/** Creates an upload session and PUTs the files; does not complete it. */
async function fillUpload(
  api: Api,
  name: string,
  files: readonly { path: string; data: Buffer }[]
) {
  const created = await api.ok<CreatedUpload>('POST', `${UPLOADS}/create`, {
    body: {
      name,
      files: files.map((file) => ({ path: file.path, size: file.data.length })),
    },
  });
  for (const target of created.files) {
    const file = files.find((f) => f.path === target.path);
    if (!file) throw new Error(`no file ${target.path}`);
    await putTo(target.url, file.data);
  }
  return {
    id: created.upload_id,
    files: files.map((file) => ({
      path: file.path,
      size: file.data.length,
      sha256: sha256(file.data),
    })),
  };
}

async function waitReady(api: Api, name: string, version: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await api.ok<{ model_version: { status: string } }>(
      'GET',
      `${MLFLOW}/model-versions/get`,
      { query: { name, version } }
    );
    if (got.model_version.status === 'READY') return;
    if (
      got.model_version.status !== 'PENDING_REGISTRATION' ||
      Date.now() > deadline
    ) {
      throw new Error(`version ${version} of ${name}: ${JSON.stringify(got)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function nextPageToken(body: unknown): string {
  const token = (body as { next_page_token?: string }).next_page_token;
  if (!token) {
    throw new Error(`expected a next page: ${JSON.stringify(body)}`);
  }
  return token;
}

/**
 * Makes one world over the public API as the admin: two models with
 * versions, tags (one 5,000 characters long), an alias, managed artifacts,
 * grants, an open transition request, comments, settings, two webhooks
 * with secrets, a user, a group, a service principal, an open upload.
 */
export async function seedWorld(
  api: Api,
  prefix: string,
  webhookUrl: string
): Promise<{ world: World; secrets: WorldSecrets }> {
  const fixed = {
    webhookSecret: `whsec-${randomBytes(16).toString('hex')}`,
    webhookAuthorization: `Bearer recv-${randomBytes(16).toString('hex')}`,
    jobAccessToken: `dapi-job-${randomBytes(16).toString('hex')}`,
  };
  const user = await createUser(api, `${prefix}-user@example.com`);
  const robot = await api.ok<{ id: string; applicationId: string }>(
    'POST',
    `${SCIM}/ServicePrincipals`,
    { body: { displayName: `${prefix}-robot` } }
  );
  const group = await api.ok<{ id: string; displayName: string }>(
    'POST',
    `${SCIM}/Groups`,
    {
      body: {
        displayName: `${prefix}-group`,
        members: [{ value: user.id }],
      },
    }
  );

  const model = `${prefix}-m1`;
  const otherModel = `${prefix}-m2`;
  const tags = [
    { key: 'k', value: 'v' },
    { key: 'long', value: LONG_VALUE },
  ];
  await api.ok('POST', `${MLFLOW}/registered-models/create`, {
    body: { name: model, description: 'seeded', tags },
  });
  await api.ok('POST', `${MLFLOW}/registered-models/create`, {
    body: { name: otherModel, description: 'seeded too' },
  });
  for (const [name, index] of [
    [model, 1],
    [model, 2],
    [otherModel, 1],
  ] as const) {
    await api.ok('POST', `${MLFLOW}/model-versions/create`, {
      body: {
        name,
        source: `s3://hostile-seed/${name}/${index}`,
        run_id: `run-${index}`,
        description: `version ${index}`,
        tags: [
          { key: 'vk', value: 'vv' },
          { key: 'long', value: LONG_VALUE },
        ],
      },
    });
  }
  await api.ok('POST', `${MLFLOW}/registered-models/alias`, {
    body: { name: model, alias: 'champion', version: '1' },
  });

  const artifacts = [
    { path: 'MLmodel', data: Buffer.from('flavors:\n  python_function: {}\n') },
    { path: 'data/model.pkl', data: randomBytes(2048) },
  ];
  const filled = await fillUpload(api, model, artifacts);
  const completed = await api.ok<{ source: string }>(
    'POST',
    `${UPLOADS}/complete`,
    { body: { upload_id: filled.id, files: filled.files } }
  );
  await api.ok('POST', `${MLFLOW}/model-versions/create`, {
    body: { name: model, source: completed.source },
  });
  await waitReady(api, model, '3');
  const upload = await fillUpload(api, model, [
    { path: 'MLmodel', data: Buffer.from('open upload\n') },
  ]);

  const modelId = (
    await api.ok<{ registered_model_databricks: { id: string } }>(
      'GET',
      `${MLFLOW}/databricks/registered-models/get`,
      { query: { name: model } }
    )
  ).registered_model_databricks.id;
  const otherModelId = (
    await api.ok<{ registered_model_databricks: { id: string } }>(
      'GET',
      `${MLFLOW}/databricks/registered-models/get`,
      { query: { name: otherModel } }
    )
  ).registered_model_databricks.id;

  await api.ok(
    'PATCH',
    `/api/2.0/permissions/registered-models/${encodeURIComponent(modelId)}`,
    {
      body: {
        access_control_list: [
          { user_name: user.userName, permission_level: 'CAN_EDIT' },
          {
            service_principal_name: robot.applicationId,
            permission_level: 'CAN_READ',
          },
        ],
      },
    }
  );
  await api.ok(
    'PATCH',
    `/api/2.0/permissions/registered-models/${encodeURIComponent(otherModelId)}`,
    {
      body: {
        access_control_list: [
          { group_name: group.displayName, permission_level: 'CAN_READ' },
        ],
      },
    }
  );

  await api.ok('POST', `${MLFLOW}/model-versions/transition-stage`, {
    body: {
      name: otherModel,
      version: '1',
      stage: 'Staging',
      archive_existing_versions: false,
    },
  });
  const request = await api.ok<{ request: { id: string; user_id: string } }>(
    'POST',
    `${MLFLOW}/transition-requests/create`,
    {
      token: user.token,
      body: { name: model, version: '1', stage: 'Staging', comment: 'please' },
    }
  );
  const comment = await api.ok<{ comment: { id: string } }>(
    'POST',
    `${MLFLOW}/comments/create`,
    { body: { name: model, version: '1', comment: 'from the admin' } }
  );
  const userComment = await api.ok<{ comment: { id: string } }>(
    'POST',
    `${MLFLOW}/comments/create`,
    {
      token: user.token,
      body: { name: model, version: '1', comment: 'from the user' },
    }
  );
  // Every stage protected, with the most approvals: the admin's valid
  // registry-policy changes among the hostile requests cannot change what
  // the snapshot reads of this model (a model's policy is the registry's
  // with its own on top).
  await api.ok('PATCH', '/api/2.0/stagegate/transition-requests/settings', {
    body: {
      name: model,
      separation_of_duties_stages: ['Production'],
      request_expiry_seconds: 86_400,
      protected_stages: ['Staging', 'Production', 'Archived'],
      required_approvals: 10,
    },
  });

  const webhook = await api.ok<{ webhook: { id: string } }>(
    'POST',
    `${MLFLOW}/registry-webhooks/create`,
    {
      body: {
        events: [
          'MODEL_VERSION_CREATED',
          'TRANSITION_REQUEST_CREATED',
          'COMMENT_CREATED',
        ],
        model_name: model,
        description: 'seeded',
        http_url_spec: {
          url: webhookUrl,
          secret: fixed.webhookSecret,
          authorization: fixed.webhookAuthorization,
          enable_ssl_verification: false,
        },
      },
    }
  );
  // An event for the webhook, so its delivery log has a delivery to list
  // and redeliver.
  await api.ok('POST', `${MLFLOW}/comments/create`, {
    body: { name: model, version: '2', comment: 'for the delivery log' },
  });
  const deliveryId = await firstDelivery(api, webhook.webhook.id);
  const jobWebhook = await api.ok<{ webhook: { id: string } }>(
    'POST',
    `${MLFLOW}/registry-webhooks/create`,
    {
      body: {
        events: ['MODEL_VERSION_TRANSITIONED_STAGE'],
        model_name: model,
        job_spec: {
          job_id: '1',
          access_token: fixed.jobAccessToken,
          workspace_url: 'https://workspace.example.invalid',
        },
      },
    }
  );

  const pageTokens = {
    models: nextPageToken(
      await api.ok('GET', `${MLFLOW}/registered-models/search`, {
        query: modelSearch({ prefix }),
      })
    ),
    modelList: nextPageToken(
      await api.ok('GET', `${MLFLOW}/registered-models/list`, {
        query: { max_results: 1 },
      })
    ),
    versions: nextPageToken(
      await api.ok('GET', `${MLFLOW}/model-versions/search`, {
        query: versionSearch({ model: { name: model, id: modelId } }),
      })
    ),
    webhooks: nextPageToken(
      await api.ok('GET', `${MLFLOW}/registry-webhooks/list`, {
        query: { model_name: model, max_results: 1 },
      })
    ),
  };

  // OAuth, IP access lists and a temporary copy (seed 002's DBFS area).
  const oauthSecret = await api.ok<{ id: string; secret: string }>(
    'POST',
    `/api/2.0/accounts/servicePrincipals/${robot.id}/credentials/secrets`,
    { body: { lifetime: '86400s' } }
  );
  const ipAccessList = await api.ok<{ ip_access_list: { list_id: string } }>(
    'POST',
    '/api/2.0/ip-access-lists',
    {
      body: {
        label: `${prefix}-blocked`,
        list_type: 'BLOCK',
        ip_addresses: ['203.0.113.9'],
      },
    }
  );
  const dbfsFile = `/databricks/mlflow/tmp-external-source/${prefix}-run/model/MLmodel`;
  await api.ok('POST', `/dbfs${dbfsFile}`, {
    body: { artifact_path: 'model' },
  });
  const secrets: WorldSecrets = { ...fixed, oauthSecret: oauthSecret.secret };

  return {
    secrets,
    world: {
      prefix,
      model: { name: model, id: modelId },
      otherModel: { name: otherModel, id: otherModelId },
      alias: 'champion',
      tagKey: 'k',
      versionTagKey: 'vk',
      request: {
        id: request.request.id,
        stage: 'Staging',
        creator: request.request.user_id,
      },
      commentId: comment.comment.id,
      userCommentId: userComment.comment.id,
      webhookId: webhook.webhook.id,
      jobWebhookId: jobWebhook.webhook.id,
      deliveryId,
      user,
      group: { id: group.id, displayName: group.displayName },
      servicePrincipal: { id: robot.id, applicationId: robot.applicationId },
      upload,
      artifactDir: `mlflow-registry/${modelId}/3`,
      artifactFile: `mlflow-registry/${modelId}/3/MLmodel`,
      pageTokens,
      webhookUrl,
      oauthSecretId: oauthSecret.id,
      ipAccessListId: ipAccessList.ip_access_list.list_id,
      dbfsFile,
    },
  };
}

/** Every id of a world, for forged-id attacks. */
export function idsOf(world: World): string[] {
  return [
    world.model.name,
    world.model.id,
    world.otherModel.name,
    world.otherModel.id,
    world.request.id,
    world.commentId,
    world.userCommentId,
    world.webhookId,
    world.jobWebhookId,
    world.user.id,
    world.user.userName,
    world.user.tokenId,
    world.group.id,
    world.group.displayName,
    world.servicePrincipal.id,
    world.servicePrincipal.applicationId,
    world.upload.id,
    world.artifactFile,
    world.oauthSecretId,
    world.ipAccessListId,
  ];
}

export interface SnapshotCall {
  readonly label: string;
  readonly token?: string;
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string | number>;
}

/**
 * The reads that show the seeded world: every object the suite made,
 * through get, list and search, as the admin and as the world's user.
 */
export function snapshotCalls(
  world: World,
  others: {
    readonly stranger: UserWithToken;
    readonly adminsGroupId: string;
    readonly adminId: string;
  }
): SnapshotCall[] {
  const m1 = world.model.name;
  const m2 = world.otherModel.name;
  const user = world.user.token;
  const calls: SnapshotCall[] = [
    { label: 'health', method: 'GET', path: '/health' },
    {
      label: 'OAuth secrets',
      method: 'GET',
      path: `/api/2.0/accounts/servicePrincipals/${world.servicePrincipal.id}/credentials/secrets`,
    },
    {
      label: 'IP access list',
      method: 'GET',
      path: `/api/2.0/ip-access-lists/${world.ipAccessListId}`,
    },
    {
      label: 'temporary copy',
      method: 'GET',
      path: '/api/2.0/dbfs/get-status',
      query: { path: world.dbfsFile },
    },
    ...[m1, m2].map((name) => ({
      label: `get ${name}`,
      method: 'GET',
      path: `${MLFLOW}/registered-models/get`,
      query: { name },
    })),
    {
      label: 'databricks get (admin)',
      method: 'GET',
      path: `${MLFLOW}/databricks/registered-models/get`,
      query: { name: m1 },
    },
    {
      label: 'databricks get (user)',
      token: user,
      method: 'GET',
      path: `${MLFLOW}/databricks/registered-models/get`,
      query: { name: m1 },
    },
    {
      label: 'search by prefix',
      method: 'GET',
      path: `${MLFLOW}/registered-models/search`,
      query: { filter: `name LIKE '${world.prefix}%'`, max_results: 100 },
    },
    {
      label: 'search by tag (user)',
      token: user,
      method: 'GET',
      path: `${MLFLOW}/registered-models/search`,
      query: { filter: `name = '${m1}' AND tags.k = 'v'` },
    },
    {
      label: 'latest versions',
      method: 'GET',
      path: `${MLFLOW}/registered-models/get-latest-versions`,
      query: { name: m1 },
    },
    {
      label: 'alias',
      method: 'GET',
      path: `${MLFLOW}/registered-models/alias`,
      query: { name: m1, alias: world.alias },
    },
    ...(
      [
        [m1, '1'],
        [m1, '2'],
        [m1, '3'],
        [m2, '1'],
      ] as const
    ).flatMap(([name, version]) => [
      {
        label: `version ${name}/${version}`,
        method: 'GET',
        path: `${MLFLOW}/model-versions/get`,
        query: { name, version },
      },
      {
        label: `activities ${name}/${version}`,
        method: 'GET',
        path: '/api/2.0/stagegate/activities/list',
        query: { name, version },
      },
      {
        label: `requests ${name}/${version}`,
        method: 'GET',
        path: `${MLFLOW}/transition-requests/list`,
        query: { name, version },
      },
      {
        label: `notifications ${name}/${version}`,
        method: 'GET',
        path: '/api/2.0/stagegate/notifications/list',
        query: { name, version },
      },
    ]),
    {
      label: 'requests (user)',
      token: user,
      method: 'GET',
      path: `${MLFLOW}/transition-requests/list`,
      query: { name: m1, version: '1' },
    },
    {
      label: 'version search',
      method: 'GET',
      path: `${MLFLOW}/model-versions/search`,
      query: { filter: `name = '${m1}'` },
    },
    {
      label: 'download uri',
      method: 'GET',
      path: `${MLFLOW}/model-versions/get-download-uri`,
      query: { name: m1, version: '3' },
    },
    {
      label: 'files',
      method: 'GET',
      path: '/api/2.0/stagegate/model-versions/files',
      query: { name: m1, version: '3' },
    },
    {
      label: 'artifact listing',
      method: 'GET',
      path: '/api/2.0/mlflow-artifacts/artifacts',
      query: { path: world.artifactDir },
    },
    {
      label: 'settings',
      method: 'GET',
      path: '/api/2.0/stagegate/transition-requests/settings',
      query: { name: m1 },
    },
    ...[world.model.id, world.otherModel.id, 'root'].map((id) => ({
      label: `permissions ${id}`,
      method: 'GET',
      path: `/api/2.0/permissions/registered-models/${encodeURIComponent(id)}`,
    })),
    ...[m1, m2].map((name) => ({
      label: `webhooks of ${name}`,
      method: 'GET',
      path: `${MLFLOW}/registry-webhooks/list`,
      query: { model_name: name },
    })),
    {
      label: 'the user',
      method: 'GET',
      path: `${SCIM}/Users/${world.user.id}`,
    },
    {
      label: 'the stranger',
      method: 'GET',
      path: `${SCIM}/Users/${others.stranger.id}`,
    },
    {
      label: 'the admin',
      method: 'GET',
      path: `${SCIM}/Users/${others.adminId}`,
    },
    {
      label: 'the group',
      method: 'GET',
      path: `${SCIM}/Groups/${world.group.id}`,
    },
    {
      label: 'admins',
      method: 'GET',
      path: `${SCIM}/Groups/${others.adminsGroupId}`,
    },
    {
      label: 'the service principal',
      method: 'GET',
      path: `${SCIM}/ServicePrincipals/${world.servicePrincipal.id}`,
    },
    { label: 'Me (admin)', method: 'GET', path: `${SCIM}/Me` },
    { label: 'Me (user)', token: user, method: 'GET', path: `${SCIM}/Me` },
    {
      label: 'Me (stranger)',
      token: others.stranger.token,
      method: 'GET',
      path: `${SCIM}/Me`,
    },
    {
      label: "the user's token",
      method: 'GET',
      path: `/api/2.0/token-management/tokens/${world.user.tokenId}`,
    },
    {
      label: "the stranger's token",
      method: 'GET',
      path: `/api/2.0/token-management/tokens/${others.stranger.tokenId}`,
    },
    {
      label: 'tokens (user)',
      token: user,
      method: 'GET',
      path: '/api/2.0/token/list',
    },
  ];
  return calls;
}

/**
 * Presigned URLs carry their signing time and expiry: the only fields of
 * these answers that change by themselves.
 */
function withoutVolatile(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutVolatile);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => {
        if (key === 'expires_at') return [key, '(volatile)'];
        if (
          key === 'url' &&
          typeof item === 'string' &&
          item.includes('X-Amz-')
        ) {
          return [key, item.split('?')[0]];
        }
        return [key, withoutVolatile(item)];
      })
    );
  }
  return value;
}

export async function takeSnapshot(
  api: Api,
  calls: readonly SnapshotCall[]
): Promise<Map<string, string>> {
  const taken = new Map<string, string>();
  for (const call of calls) {
    try {
      const answer = await api.call(call.method, call.path, {
        ...(call.token === undefined ? {} : { token: call.token }),
        ...(call.query === undefined ? {} : { query: call.query }),
      });
      taken.set(
        call.label,
        JSON.stringify({
          status: answer.status,
          body: withoutVolatile(answer.body),
        })
      );
    } catch (error) {
      taken.set(call.label, `no answer: ${(error as Error).message}`);
    }
  }
  return taken;
}

/** The admin's SCIM id, and the `admins` group's. */
export async function adminIdentity(
  api: Api
): Promise<{ adminId: string; adminsGroupId: string }> {
  const me = await api.ok<{ id: string }>('GET', `${SCIM}/Me`);
  const groups = await api.ok<{ Resources: { id: string }[] }>(
    'GET',
    `${SCIM}/Groups`,
    { query: { filter: 'displayName eq "admins"' } }
  );
  const admins = groups.Resources[0];
  if (!admins) throw new Error('no admins group');
  return { adminId: me.id, adminsGroupId: admins.id };
}

/** The id of a webhook's first logged delivery, once dispatched. */
async function firstDelivery(api: Api, webhookId: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const page = await api.ok<{ deliveries?: { id: string }[] }>(
      'GET',
      '/api/2.0/stagegate/registry-webhooks/deliveries/list',
      { query: { id: webhookId } }
    );
    const [first] = page.deliveries ?? [];
    if (first) return first.id;
    if (Date.now() > deadline) {
      throw new Error(`No delivery of webhook ${webhookId} within 30 s.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
