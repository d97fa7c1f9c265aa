/**
 * The CLI's only view of the registry's HTTP contract: MLflow and Databricks
 * REST routes, the stagegate upload/download extension, and the presigned
 * storage transfers. If a path or a shape moves, only this file changes.
 *
 * Registry objects keep their wire shapes (snake_case), because `--output
 * json` prints them as the API returned them; their types are the
 * registry's own output schemas (type-only imports: nothing of the server
 * is bundled), the required fields are checked, the rest passes through.
 * The artifact extension is normalised to camelCase types, so the transfer
 * code does not depend on its spelling.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { permissionsSchema } from '../functions/handlers/api/permissions/registered-models.ts';
import type { webhookSchema } from '../functions/handlers/api/registry-webhooks/webhooks.ts';
import type { commentSchema } from '../functions/handlers/api/transition-requests/comments.ts';
import type { transitionRequestSchema } from '../functions/handlers/api/transition-requests/requests.ts';
import type { settingsSchema } from '../functions/handlers/api/transition-requests/settings.ts';
import type {
  groupSchema,
  managedTokenInfoSchema,
  meSchema,
  servicePrincipalSchema,
  userSchema,
} from '../functions/http/scim.ts';
import type {
  activitySchema,
  modelVersionSchema,
  registeredModelDatabricksSchema,
  registeredModelSchema,
  tokenInfoSchema,
} from '../functions/http/wire.ts';
import type { Target } from './config.ts';
import { InterruptedError } from './errors.ts';

const API = '/api/2.0';
const MLFLOW = `${API}/mlflow`;
const STAGEGATE = `${API}/stagegate`;
const SCIM = `${API}/preview/scim/v2`;
const PERMISSIONS = `${API}/permissions/registered-models`;
/** Set by the build (cli/build.ts) from cli/package.json. */
declare const STAGEGATE_CLI_VERSION: string | undefined;
export const CLI_VERSION =
  typeof STAGEGATE_CLI_VERSION === 'string' ? STAGEGATE_CLI_VERSION : 'source';
const USER_AGENT = `stagegate-cli/${CLI_VERSION}`;
/** An API call that takes longer than this is treated as a lost connection. */
const API_TIMEOUT_MS = 60_000;
/** Attempts for 429 and 503, which the registry answers for retryable races. */
const API_ATTEMPTS = 4;

/** Which model (and version) a call is about, so a 404 can name it. */
export interface Subject {
  readonly model?: string | undefined;
  readonly version?: string | undefined;
}

/** The registry answered with an error status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  /** MLflow's `error_code`; `HTTP_<status>` when the body was not MLflow's. */
  readonly errorCode: string;
  readonly method: string;
  readonly path: string;
  readonly target: Target;
  readonly subject: Subject;
  constructor(fields: {
    status: number;
    errorCode: string;
    message: string;
    method: string;
    path: string;
    target: Target;
    subject: Subject;
  }) {
    super(fields.message);
    this.status = fields.status;
    this.errorCode = fields.errorCode;
    this.method = fields.method;
    this.path = fields.path;
    this.target = fields.target;
    this.subject = fields.subject;
  }
}

/** The registry could not be reached at all (refused, unknown host, timeout). */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  readonly target: Target;
  /** A short reason such as `connection refused`. */
  readonly reason: string;
  constructor(target: Target, reason: string, options?: ErrorOptions) {
    super(`cannot reach ${target.host} (${reason})`, options);
    this.target = target;
    this.reason = reason;
  }
}

/** The registry answered 2xx with a body that does not fit the contract. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/**
 * A presigned storage transfer failed. The URL is never part of the message:
 * its query string is a signature that grants access until it expires.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  /** HTTP status, or undefined when the connection itself failed. */
  readonly status: number | undefined;
  /** Whether trying the same URL again may succeed (network errors, 5xx). */
  readonly retryable: boolean;
  constructor(
    message: string,
    status: number | undefined,
    options?: ErrorOptions
  ) {
    super(message, options);
    this.status = status;
    this.retryable = status === undefined || status >= 500 || status === 429;
  }
}

// ---------------------------------------------------------------------------
// Wire shapes (as the registry serialises them; optional fields may be absent)

export type RegisteredModel = z.infer<typeof registeredModelSchema>;
export type RegisteredModelDatabricks = z.infer<
  typeof registeredModelDatabricksSchema
>;
export type ModelVersion = z.infer<typeof modelVersionSchema>;
export type ModelVersionStatus = ModelVersion['status'];
/**
 * Databricks' transition request, with stagegate's extensions: the stable
 * `id`, the model's `name` and the `version`, and the approvals it needs.
 */
export type TransitionRequest = z.infer<typeof transitionRequestSchema>;
export type Activity = z.infer<typeof activitySchema>;
export type Comment = z.infer<typeof commentSchema>;
export type TransitionRequestSettings = z.infer<typeof settingsSchema>;
export type Permissions = z.infer<typeof permissionsSchema>;
export type ScimUser = z.infer<typeof userSchema>;
export type ScimMe = z.infer<typeof meSchema>;
export type ScimServicePrincipal = z.infer<typeof servicePrincipalSchema>;
export type ScimGroup = z.infer<typeof groupSchema>;
export type TokenInfo = z.infer<typeof tokenInfoSchema>;
export type ManagedTokenInfo = z.infer<typeof managedTokenInfoSchema>;
export type Webhook = z.infer<typeof webhookSchema>;

/** The SCIM resource collections. */
export type ScimKind = 'Users' | 'Groups' | 'ServicePrincipals';
type ScimResource<K extends ScimKind> = K extends 'Users'
  ? ScimUser
  : K extends 'Groups'
    ? ScimGroup
    : ScimServicePrincipal;

/** One entry of an access control list change. */
export interface AccessControlRequest {
  readonly user_name?: string;
  readonly group_name?: string;
  readonly service_principal_name?: string;
  readonly permission_level: string;
}

/** What an approve or reject answered. */
export interface Decision {
  readonly activity: Activity;
  /** Approvals the request still needs (stagegate's protected stages). */
  readonly approvalsRemaining?: number | undefined;
}

export interface WebhookSpec {
  readonly events?: readonly string[] | undefined;
  readonly description?: string | undefined;
  readonly status?: string | undefined;
  readonly url?: string | undefined;
  readonly secret?: string | undefined;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken: string | undefined;
}

// Artifact extension, normalised.

export interface PlannedFile {
  readonly path: string;
  readonly size: number;
}

/** Where the bytes of one file go: one PUT, or numbered parts. */
export type UploadTarget =
  | { readonly kind: 'single'; readonly path: string; readonly url: string }
  | {
      readonly kind: 'multipart';
      readonly path: string;
      readonly multipartUploadId: string;
      readonly partSize: number;
      readonly parts: readonly { partNumber: number; url: string }[];
    };

export interface UploadSession {
  readonly uploadId: string;
  readonly files: readonly UploadTarget[];
  /** ISO 8601; shown when a presigned URL has expired. */
  readonly expiresAt: string | undefined;
}

export interface UploadedFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  /** Multipart files only: each part's ETag, in part order. */
  readonly parts?: readonly { partNumber: number; etag: string }[];
}

export interface VersionFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly url: string;
}

// ---------------------------------------------------------------------------

type Query = Record<string, string | number | readonly string[] | undefined>;

interface CallOptions {
  readonly query?: Query;
  readonly body?: Record<string, unknown>;
  readonly subject?: Subject;
}

export interface ClientOptions {
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Ctrl-C: aborts the call under way. */
  readonly signal?: AbortSignal | undefined;
  /** Told of each call (`--debug` prints them): method, path, status, ms. */
  readonly onCall?: (line: string) => void;
}

/** Registry API calls with the target's token. */
export class RegistryClient {
  readonly target: Target;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #signal: AbortSignal | undefined;
  readonly #onCall: ((line: string) => void) | undefined;

  constructor(target: Target, options: ClientOptions = {}) {
    this.target = target;
    this.#fetch = options.fetch ?? fetch;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#signal = options.signal;
    this.#onCall = options.onCall;
  }

  // Registered models

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.#call(
      'GET',
      `${MLFLOW}/registered-models/get`,
      {
        query: { name },
        subject: { model: name },
      },
      (body) => registeredModel(field(body, 'registered_model'))
    );
  }

  createRegisteredModel(
    name: string,
    description?: string
  ): Promise<RegisteredModel> {
    return this.#call(
      'POST',
      `${MLFLOW}/registered-models/create`,
      { body: { name, description }, subject: { model: name } },
      (body) => registeredModel(field(body, 'registered_model'))
    );
  }

  searchRegisteredModels(input: {
    filter?: string | undefined;
    maxResults?: number;
    pageToken?: string | undefined;
  }): Promise<Page<RegisteredModel>> {
    return this.#call(
      'GET',
      `${MLFLOW}/registered-models/search`,
      {
        query: {
          filter: input.filter,
          max_results: input.maxResults,
          order_by: ['name ASC'],
          page_token: input.pageToken,
        },
      },
      (body) => ({
        items: list(body, 'registered_models').map(registeredModel),
        nextPageToken: optionalString(body, 'next_page_token'),
      })
    );
  }

  /** The latest version per stage; all stages when `stages` is empty. */
  getLatestVersions(
    name: string,
    stages: readonly string[] = []
  ): Promise<ModelVersion[]> {
    return this.#call(
      'POST',
      `${MLFLOW}/registered-models/get-latest-versions`,
      { body: { name, stages }, subject: { model: name } },
      (body) => list(body, 'model_versions').map(modelVersion)
    );
  }

  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.#call(
      'GET',
      `${MLFLOW}/registered-models/alias`,
      {
        query: { name, alias },
        subject: { model: name },
      },
      (body) => modelVersion(field(body, 'model_version'))
    );
  }

  // Model versions

  createModelVersion(input: {
    name: string;
    source: string;
    description?: string | undefined;
  }): Promise<ModelVersion> {
    return this.#call(
      'POST',
      `${MLFLOW}/model-versions/create`,
      {
        body: { ...input },
        subject: { model: input.name },
      },
      (body) => modelVersion(field(body, 'model_version'))
    );
  }

  getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.#call(
      'GET',
      `${MLFLOW}/model-versions/get`,
      {
        query: { name, version },
        subject: { model: name, version },
      },
      (body) => modelVersion(field(body, 'model_version'))
    );
  }

  searchModelVersions(input: {
    filter: string;
    orderBy?: readonly string[];
    pageToken?: string | undefined;
  }): Promise<Page<ModelVersion>> {
    return this.#call(
      'GET',
      `${MLFLOW}/model-versions/search`,
      {
        query: {
          filter: input.filter,
          order_by: input.orderBy,
          page_token: input.pageToken,
        },
      },
      (body) => ({
        items: list(body, 'model_versions').map(modelVersion),
        nextPageToken: optionalString(body, 'next_page_token'),
      })
    );
  }

  /** Databricks' variant: takes a comment, answers the Databricks shape. */
  transitionStage(input: {
    name: string;
    version: string;
    stage: string;
    archiveExistingVersions: boolean;
    comment?: string | undefined;
  }): Promise<ModelVersion> {
    return this.#call(
      'POST',
      `${MLFLOW}/databricks/model-versions/transition-stage`,
      {
        body: {
          name: input.name,
          version: input.version,
          stage: input.stage,
          archive_existing_versions: input.archiveExistingVersions,
          comment: input.comment,
        },
        subject: { model: input.name, version: input.version },
      },
      (body) => modelVersion(field(body, 'model_version_databricks'))
    );
  }

  // Transition requests

  createTransitionRequest(input: {
    name: string;
    version: string;
    stage: string;
    comment?: string | undefined;
  }): Promise<TransitionRequest> {
    return this.#call(
      'POST',
      `${MLFLOW}/transition-requests/create`,
      {
        body: { ...input },
        subject: { model: input.name, version: input.version },
      },
      (body) => {
        const request = record(field(body, 'request'), 'request');
        requireString(request, 'to_stage');
        return request as unknown as TransitionRequest;
      }
    );
  }

  decideTransitionRequest(
    decision: 'approve' | 'reject',
    input: {
      name: string;
      version: string;
      stage: string;
      archiveExistingVersions?: boolean | undefined;
      comment?: string | undefined;
      requestId?: string | undefined;
    }
  ): Promise<Decision> {
    return this.#call(
      'POST',
      `${MLFLOW}/transition-requests/${decision}`,
      {
        body: {
          name: input.name,
          version: input.version,
          stage: input.stage,
          comment: input.comment,
          request_id: input.requestId,
          ...(decision === 'approve'
            ? {
                archive_existing_versions:
                  input.archiveExistingVersions ?? false,
              }
            : {}),
        },
        subject: { model: input.name, version: input.version },
      },
      (body) => {
        const activity = record(field(body, 'activity'), 'activity');
        requireString(activity, 'activity_type');
        const remaining = body.approvals_remaining;
        return {
          activity: activity as unknown as Activity,
          approvalsRemaining:
            typeof remaining === 'number' ? remaining : undefined,
        };
      }
    );
  }

  /** The open requests of a version, or of every version without one. */
  listTransitionRequests(input: {
    name: string;
    version?: string | undefined;
  }): Promise<TransitionRequest[]> {
    return this.#call(
      'GET',
      `${MLFLOW}/transition-requests/list`,
      {
        query: { name: input.name, version: input.version },
        subject: { model: input.name, version: input.version },
      },
      (body) => list(body, 'requests').map(transitionRequest)
    );
  }

  /** One page of the requests the caller may approve, newest first. */
  transitionRequestInbox(input: {
    maxResults?: number | undefined;
    pageToken?: string | undefined;
  }): Promise<Page<TransitionRequest>> {
    return this.#call(
      'GET',
      `${STAGEGATE}/transition-requests/inbox`,
      {
        query: { max_results: input.maxResults, page_token: input.pageToken },
      },
      (body) => ({
        items: list(body, 'requests').map(transitionRequest),
        nextPageToken: optionalString(body, 'next_page_token'),
      })
    );
  }

  // Artifacts (stagegate extension)

  /**
   * Opens an upload session for a version of model `name` (which needs Can
   * Edit on it): one presigned PUT per file, or presigned part PUTs for
   * large files. Nothing is visible in the registry until
   * {@link completeUpload} and a version of that model created from its
   * source.
   */
  createUpload(
    name: string,
    files: readonly PlannedFile[]
  ): Promise<UploadSession> {
    return this.#call(
      'POST',
      `${STAGEGATE}/uploads/create`,
      {
        body: {
          name,
          files: files.map((f) => ({ path: f.path, size: f.size })),
        },
        subject: { model: name },
      },
      (body) => {
        const uploadId = requireString(body, 'upload_id');
        return {
          uploadId,
          files: list(body, 'files').map(uploadTarget),
          expiresAt: timestampText(body.expires_at),
        };
      }
    );
  }

  /** Closes the session with its manifest; answers the version source. */
  completeUpload(
    uploadId: string,
    files: readonly UploadedFile[]
  ): Promise<{ source: string }> {
    return this.#call(
      'POST',
      `${STAGEGATE}/uploads/complete`,
      {
        body: {
          upload_id: uploadId,
          files: files.map((file) => ({
            path: file.path,
            size: file.size,
            sha256: file.sha256,
            ...(file.parts
              ? {
                  parts: file.parts.map((p) => ({
                    part_number: p.partNumber,
                    etag: p.etag,
                  })),
                }
              : {}),
          })),
        },
      },
      (body) => ({ source: requireString(body, 'source') })
    );
  }

  /** A READY version's files with presigned GET URLs. */
  listVersionFiles(name: string, version: string): Promise<VersionFile[]> {
    return this.#call(
      'GET',
      `${STAGEGATE}/model-versions/files`,
      { query: { name, version }, subject: { model: name, version } },
      (body) => {
        return list(body, 'files').map((value) => {
          const file = record(value, 'files[]');
          return {
            path: requireString(file, 'path'),
            size: requireNumber(file, 'size'),
            sha256: requireString(file, 'sha256').toLowerCase(),
            url: requireString(file, 'url'),
          };
        });
      }
    );
  }

  // Registered models (more)

  /** Databricks' get: with the stable `id` and the caller's level. */
  getRegisteredModelDatabricks(
    name: string
  ): Promise<RegisteredModelDatabricks> {
    return this.#call(
      'GET',
      `${MLFLOW}/databricks/registered-models/get`,
      { query: { name }, subject: { model: name } },
      (body) => {
        const model = registeredModel(
          field(body, 'registered_model_databricks')
        ) as RegisteredModelDatabricks;
        requireString(model as unknown as Record<string, unknown>, 'id');
        return model;
      }
    );
  }

  createModel(input: {
    name: string;
    description?: string | undefined;
    tags?: readonly { key: string; value: string }[];
  }): Promise<RegisteredModel> {
    return this.#call(
      'POST',
      `${MLFLOW}/registered-models/create`,
      { body: { ...input }, subject: { model: input.name } },
      (body) => registeredModel(field(body, 'registered_model'))
    );
  }

  updateRegisteredModel(
    name: string,
    description: string
  ): Promise<RegisteredModel> {
    return this.#call(
      'PATCH',
      `${MLFLOW}/registered-models/update`,
      { body: { name, description }, subject: { model: name } },
      (body) => registeredModel(field(body, 'registered_model'))
    );
  }

  renameRegisteredModel(
    name: string,
    newName: string
  ): Promise<RegisteredModel> {
    return this.#call(
      'POST',
      `${MLFLOW}/registered-models/rename`,
      { body: { name, new_name: newName }, subject: { model: name } },
      (body) => registeredModel(field(body, 'registered_model'))
    );
  }

  deleteRegisteredModel(name: string): Promise<void> {
    return this.#empty('DELETE', `${MLFLOW}/registered-models/delete`, {
      query: { name },
      subject: { model: name },
    });
  }

  setModelTag(name: string, key: string, value: string): Promise<void> {
    return this.#empty('POST', `${MLFLOW}/registered-models/set-tag`, {
      body: { name, key, value },
      subject: { model: name },
    });
  }

  deleteModelTag(name: string, key: string): Promise<void> {
    return this.#empty('DELETE', `${MLFLOW}/registered-models/delete-tag`, {
      query: { name, key },
      subject: { model: name },
    });
  }

  setAlias(name: string, alias: string, version: string): Promise<void> {
    return this.#empty('POST', `${MLFLOW}/registered-models/alias`, {
      body: { name, alias, version },
      subject: { model: name, version },
    });
  }

  deleteAlias(name: string, alias: string): Promise<void> {
    return this.#empty('DELETE', `${MLFLOW}/registered-models/alias`, {
      query: { name, alias },
      subject: { model: name },
    });
  }

  getRequestSettings(name: string): Promise<TransitionRequestSettings> {
    return this.#call(
      'GET',
      `${STAGEGATE}/transition-requests/settings`,
      { query: { name }, subject: { model: name } },
      (body) => record(body.settings, 'settings') as TransitionRequestSettings
    );
  }

  setRequestSettings(
    name: string,
    settings: {
      separation_of_duties_stages?: readonly string[] | undefined;
      request_expiry_seconds?: number | undefined;
    }
  ): Promise<TransitionRequestSettings> {
    return this.#call(
      'PATCH',
      `${STAGEGATE}/transition-requests/settings`,
      { body: { name, ...settings }, subject: { model: name } },
      (body) => record(body.settings, 'settings') as TransitionRequestSettings
    );
  }

  // Model versions (more)

  getDownloadUri(name: string, version: string): Promise<string> {
    return this.#call(
      'GET',
      `${MLFLOW}/model-versions/get-download-uri`,
      { query: { name, version }, subject: { model: name, version } },
      (body) => requireString(body, 'artifact_uri')
    );
  }

  updateModelVersion(
    name: string,
    version: string,
    description: string
  ): Promise<ModelVersion> {
    return this.#call(
      'PATCH',
      `${MLFLOW}/model-versions/update`,
      {
        body: { name, version, description },
        subject: { model: name, version },
      },
      (body) => modelVersion(field(body, 'model_version'))
    );
  }

  deleteModelVersion(name: string, version: string): Promise<void> {
    return this.#empty('DELETE', `${MLFLOW}/model-versions/delete`, {
      query: { name, version },
      subject: { model: name, version },
    });
  }

  setVersionTag(
    name: string,
    version: string,
    key: string,
    value: string
  ): Promise<void> {
    return this.#empty('POST', `${MLFLOW}/model-versions/set-tag`, {
      body: { name, version, key, value },
      subject: { model: name, version },
    });
  }

  deleteVersionTag(name: string, version: string, key: string): Promise<void> {
    return this.#empty('DELETE', `${MLFLOW}/model-versions/delete-tag`, {
      query: { name, version, key },
      subject: { model: name, version },
    });
  }

  listActivities(name: string, version: string): Promise<Activity[]> {
    return this.#call(
      'GET',
      `${STAGEGATE}/activities/list`,
      { query: { name, version }, subject: { model: name, version } },
      (body) =>
        list(body, 'activities').map((value) => {
          const activity = record(value, 'activities[]');
          requireString(activity, 'activity_type');
          return activity as unknown as Activity;
        })
    );
  }

  /** Databricks' delete of a request is its cancellation. */
  cancelTransitionRequest(input: {
    name: string;
    version: string;
    stage: string;
    creator: string;
    comment?: string | undefined;
    requestId?: string | undefined;
  }): Promise<Activity> {
    return this.#call(
      'DELETE',
      `${MLFLOW}/transition-requests/delete`,
      {
        query: {
          name: input.name,
          version: input.version,
          stage: input.stage,
          creator: input.creator,
          comment: input.comment,
          request_id: input.requestId,
        },
        subject: { model: input.name, version: input.version },
      },
      (body) => record(field(body, 'activity'), 'activity') as Activity
    );
  }

  // Comments

  createComment(
    name: string,
    version: string,
    comment: string
  ): Promise<Comment> {
    return this.#call(
      'POST',
      `${MLFLOW}/comments/create`,
      { body: { name, version, comment }, subject: { model: name, version } },
      (body) => commentOf(body)
    );
  }

  updateComment(id: string, comment: string): Promise<Comment> {
    return this.#call(
      'PATCH',
      `${MLFLOW}/comments/update`,
      { body: { id, comment } },
      (body) => commentOf(body)
    );
  }

  deleteComment(id: string): Promise<void> {
    return this.#empty('DELETE', `${MLFLOW}/comments/delete`, {
      query: { id },
    });
  }

  // Permissions (Databricks; `root` is the registry-wide object)

  getPermissions(objectId: string): Promise<Permissions> {
    return this.#call(
      'GET',
      `${PERMISSIONS}/${encodeURIComponent(objectId)}`,
      {},
      permissionsOf
    );
  }

  /** `merge` adds grants (PATCH); `replace` sets the direct grants (PUT). */
  changePermissions(
    objectId: string,
    mode: 'merge' | 'replace',
    accessControlList: readonly AccessControlRequest[]
  ): Promise<Permissions> {
    return this.#call(
      mode === 'merge' ? 'PATCH' : 'PUT',
      `${PERMISSIONS}/${encodeURIComponent(objectId)}`,
      { body: { access_control_list: accessControlList } },
      permissionsOf
    );
  }

  // Identities (SCIM; admins, but for /Me)

  me(): Promise<ScimMe> {
    return this.#call('GET', `${SCIM}/Me`, {}, (body) => {
      requireString(body, 'userName');
      return body as unknown as ScimMe;
    });
  }

  /** Every page of a SCIM listing. */
  async listScim<K extends ScimKind>(
    kind: K,
    filter?: string
  ): Promise<ScimResource<K>[]> {
    const resources: ScimResource<K>[] = [];
    for (let startIndex = 1; ; ) {
      const page = await this.#call(
        'GET',
        `${SCIM}/${kind}`,
        { query: { filter, startIndex, count: 100 } },
        (body) => ({
          total: requireNumber(body, 'totalResults'),
          items: list(body, 'Resources').map((value) => {
            const resource = record(value, 'Resources[]');
            requireString(resource, 'id');
            return resource as unknown as ScimResource<K>;
          }),
        })
      );
      resources.push(...page.items);
      startIndex += page.items.length;
      if (page.items.length === 0 || startIndex > page.total) return resources;
    }
  }

  createScim<K extends ScimKind>(
    kind: K,
    resource: Record<string, unknown>
  ): Promise<ScimResource<K>> {
    return this.#call('POST', `${SCIM}/${kind}`, { body: resource }, (body) => {
      requireString(body, 'id');
      return body as unknown as ScimResource<K>;
    });
  }

  patchScim<K extends ScimKind>(
    kind: K,
    id: string,
    operations: readonly Record<string, unknown>[]
  ): Promise<ScimResource<K>> {
    return this.#call(
      'PATCH',
      `${SCIM}/${kind}/${encodeURIComponent(id)}`,
      {
        body: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: operations,
        },
      },
      (body) => {
        requireString(body, 'id');
        return body as unknown as ScimResource<K>;
      }
    );
  }

  deleteScim(kind: ScimKind, id: string): Promise<void> {
    return this.#empty(
      'DELETE',
      `${SCIM}/${kind}/${encodeURIComponent(id)}`,
      {}
    );
  }

  // Tokens

  createToken(input: {
    lifetimeSeconds?: number | undefined;
    comment?: string | undefined;
  }): Promise<{ value: string; info: TokenInfo }> {
    return this.#call(
      'POST',
      `${API}/token/create`,
      {
        body: {
          lifetime_seconds: input.lifetimeSeconds,
          comment: input.comment,
        },
      },
      (body) => ({
        value: requireString(body, 'token_value'),
        info: record(body.token_info, 'token_info') as unknown as TokenInfo,
      })
    );
  }

  /** A token for a service principal (`applicationId`) or a user (admins). */
  createTokenFor(input: {
    applicationId?: string | undefined;
    userName?: string | undefined;
    lifetimeSeconds?: number | undefined;
    comment?: string | undefined;
  }): Promise<{ value: string; info: ManagedTokenInfo }> {
    return this.#call(
      'POST',
      `${API}/token-management/on-behalf-of/tokens`,
      {
        body: {
          application_id: input.applicationId,
          user_name: input.userName,
          lifetime_seconds: input.lifetimeSeconds,
          comment: input.comment,
        },
      },
      (body) => ({
        value: requireString(body, 'token_value'),
        info: record(
          body.token_info,
          'token_info'
        ) as unknown as ManagedTokenInfo,
      })
    );
  }

  listTokens(): Promise<TokenInfo[]> {
    return this.#call('GET', `${API}/token/list`, {}, (body) =>
      list(body, 'token_infos').map(
        (value) => record(value, 'token_infos[]') as unknown as TokenInfo
      )
    );
  }

  listAllTokens(): Promise<ManagedTokenInfo[]> {
    return this.#call('GET', `${API}/token-management/tokens`, {}, (body) =>
      list(body, 'token_infos').map(
        (value) => record(value, 'token_infos[]') as unknown as ManagedTokenInfo
      )
    );
  }

  deleteToken(tokenId: string): Promise<void> {
    return this.#empty('POST', `${API}/token/delete`, {
      body: { token_id: tokenId },
    });
  }

  revokeAnyToken(tokenId: string): Promise<void> {
    return this.#empty(
      'DELETE',
      `${API}/token-management/tokens/${encodeURIComponent(tokenId)}`,
      {}
    );
  }

  // Registry webhooks

  async listWebhooks(input: {
    modelName?: string | undefined;
    events?: readonly string[] | undefined;
  }): Promise<Webhook[]> {
    const webhooks: Webhook[] = [];
    let pageToken: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await this.#call(
        'GET',
        `${MLFLOW}/registry-webhooks/list`,
        {
          query: {
            model_name: input.modelName,
            events: input.events,
            max_results: 1000,
            page_token: pageToken,
          },
          subject: { model: input.modelName },
        },
        (body) => ({
          items: list(body, 'webhooks').map(webhookOf),
          next: optionalString(body, 'next_page_token'),
        })
      );
      webhooks.push(...page.items);
      pageToken = page.next;
      if (pageToken !== undefined && seen.has(pageToken)) {
        throw new ProtocolError(
          'the registry returned the same page token twice'
        );
      }
      if (pageToken !== undefined) seen.add(pageToken);
    } while (pageToken !== undefined);
    return webhooks;
  }

  createWebhook(
    spec: WebhookSpec & { modelName?: string | undefined }
  ): Promise<Webhook> {
    return this.#call(
      'POST',
      `${MLFLOW}/registry-webhooks/create`,
      {
        body: { model_name: spec.modelName, ...webhookBody(spec) },
        subject: { model: spec.modelName },
      },
      (body) => webhookOf(body.webhook)
    );
  }

  updateWebhook(id: string, spec: WebhookSpec): Promise<Webhook> {
    return this.#call(
      'PATCH',
      `${MLFLOW}/registry-webhooks/update`,
      { body: { id, ...webhookBody(spec) } },
      (body) => webhookOf(body.webhook)
    );
  }

  deleteWebhook(id: string): Promise<void> {
    return this.#empty('DELETE', `${MLFLOW}/registry-webhooks/delete`, {
      query: { id },
    });
  }

  testWebhook(
    id: string,
    event?: string
  ): Promise<{ statusCode: number; body: string }> {
    return this.#call(
      'POST',
      `${MLFLOW}/registry-webhooks/test`,
      { body: { id, event } },
      (body) => ({
        statusCode: requireNumber(body, 'status_code'),
        body: typeof body.body === 'string' ? body.body : '',
      })
    );
  }

  /** A call whose answer is `{}`. */
  #empty(method: string, path: string, options: CallOptions): Promise<void> {
    return this.#call(method, path, options, () => undefined);
  }

  /**
   * One API call: retries 429 and 503, maps failures to typed errors, and
   * runs `parse` on a 2xx body (a shape that does not fit names the route).
   */
  async #call<T>(
    method: string,
    path: string,
    options: CallOptions,
    parse: (body: Record<string, unknown>) => T
  ): Promise<T> {
    const url = new URL(path, this.target.host);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value === undefined) continue;
      for (const item of typeof value === 'object' ? value : [value]) {
        url.searchParams.append(key, String(item));
      }
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.target.token}`,
      'user-agent': USER_AGENT,
      accept: 'application/json',
    };
    let payload: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(options.body);
    }
    const subject = options.subject ?? {};
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      const started = Date.now();
      const timeout = AbortSignal.timeout(API_TIMEOUT_MS);
      try {
        response = await this.#fetch(url, {
          method,
          headers,
          body: payload,
          signal: this.#signal
            ? AbortSignal.any([this.#signal, timeout])
            : timeout,
        });
      } catch (error) {
        this.#onCall?.(`${method} ${path} → ${connectionReason(error)}`);
        if (this.#signal?.aborted) {
          throw new InterruptedError('interrupted', { cause: error });
        }
        throw new ConnectionError(this.target, connectionReason(error), {
          cause: error,
        });
      }
      this.#onCall?.(
        `${method} ${path} → ${response.status} (${Date.now() - started} ms)`
      );
      const text = await response.text();
      const json = parseJson(text);
      if (response.ok) {
        if (json === undefined || typeof json !== 'object' || json === null) {
          throw new ProtocolError(
            `${this.target.host} answered ${method} ${path} with a body that is not a JSON object`
          );
        }
        try {
          return parse(json as Record<string, unknown>);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          throw new ProtocolError(
            `${this.target.host} answered ${method} ${path} in an unexpected shape: ${error.message}`
          );
        }
      }
      if (
        (response.status === 429 || response.status === 503) &&
        attempt < API_ATTEMPTS
      ) {
        await this.#sleep(retryDelayMs(response, attempt));
        continue;
      }
      const error =
        json !== null && typeof json === 'object'
          ? (json as Record<string, unknown>)
          : {};
      throw new ApiError({
        status: response.status,
        errorCode:
          typeof error.error_code === 'string'
            ? error.error_code
            : `HTTP_${response.status}`,
        message:
          typeof error.message === 'string'
            ? error.message
            : text.slice(0, 200) || response.statusText,
        method,
        path,
        target: this.target,
        subject,
      });
    }
  }
}

// ---------------------------------------------------------------------------
// Presigned storage transfers. These never carry the registry token: the
// signature in the URL is the credential, and the storage host is not the
// registry. They use node:http(s) rather than fetch: a Node stream piped
// into a request with an explicit Content-Length (S3 refuses chunked
// uploads to presigned PUTs) moves bytes two to three times faster than
// fetch's web-stream bodies on loopback.

/** A stalled transfer (no bytes either way for this long) is abandoned. */
const STORAGE_IDLE_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 5;

function storageRequest(
  url: string,
  method: 'GET' | 'PUT',
  headers: Record<string, string>,
  body: Readable | undefined,
  signal: AbortSignal | undefined
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      target,
      { method, headers: { 'user-agent': USER_AGENT, ...headers }, signal },
      (response) => {
        // Storage may answer (an error) before it has read the whole body.
        body?.unpipe(request);
        body?.destroy();
        resolve(response);
      }
    );
    request.setTimeout(STORAGE_IDLE_TIMEOUT_MS, () =>
      request.destroy(
        Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })
      )
    );
    request.on('error', (error) =>
      reject(
        new StorageError(
          `storage at ${originOf(url)} is unreachable (${connectionReason(error)})`,
          undefined,
          { cause: error }
        )
      )
    );
    if (body) {
      body.on('error', (error) => request.destroy(error));
      body.pipe(request);
    } else {
      request.end();
    }
  });
}

/**
 * PUTs `size` bytes from `body` to a presigned URL.
 * @returns the ETag header, which multipart completion needs.
 * @throws StorageError on a non-2xx answer or a failed connection.
 */
export async function putPresigned(
  url: string,
  body: Readable,
  size: number,
  signal?: AbortSignal
): Promise<string | undefined> {
  const response = await storageRequest(
    url,
    'PUT',
    { 'content-length': String(size) },
    body,
    signal
  );
  if (!isSuccess(response)) throw await storageError(url, response);
  response.resume();
  const etag = response.headers.etag;
  return typeof etag === 'string' ? etag : undefined;
}

/**
 * Starts a presigned GET, following redirects.
 * @returns the response body stream and its Content-Length if sent.
 * @throws StorageError on a non-2xx answer or a failed connection.
 */
export async function getPresigned(
  url: string,
  signal?: AbortSignal
): Promise<{ body: Readable; length: number | undefined }> {
  let location = url;
  for (let hop = 0; ; hop++) {
    const response = await storageRequest(
      location,
      'GET',
      {},
      undefined,
      signal
    );
    const redirect = response.headers.location;
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && redirect && hop < MAX_REDIRECTS) {
      response.resume();
      location = new URL(redirect, location).toString();
      continue;
    }
    if (!isSuccess(response)) throw await storageError(url, response);
    const length = response.headers['content-length'];
    return {
      body: response,
      length: length === undefined ? undefined : Number(length),
    };
  }
}

function isSuccess(response: IncomingMessage): boolean {
  const status = response.statusCode ?? 0;
  return status >= 200 && status < 300;
}

/** S3's XML error (`<Code>`, `<Message>`), without echoing the URL. */
async function storageError(url: string, response: IncomingMessage) {
  const text = await readSome(response, 16 * 1024).catch(() => '');
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  const detail = [code, message].filter(Boolean).join(': ');
  return new StorageError(
    `storage at ${originOf(url)} answered ${response.statusCode}${detail ? ` ${detail}` : ''}`,
    response.statusCode
  );
}

async function readSome(stream: Readable, limit: number): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.length >= limit) {
      stream.destroy();
      break;
    }
  }
  return text;
}

// ---------------------------------------------------------------------------
// Helpers

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function retryDelayMs(response: Response, attempt: number): number {
  const header = Number(response.headers.get('retry-after'));
  if (Number.isFinite(header) && header > 0) return Math.min(header, 30) * 1000;
  return Math.random() * 250 * 2 ** attempt;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}

/** A short, user-facing reason for a failed fetch (undici puts it in `cause`). */
export function connectionReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return 'timed out';
  }
  // fetch (undici) wraps the system error in `cause`; node:http does not.
  const cause = (
    error instanceof Error && error.cause instanceof Error ? error.cause : error
  ) as (Error & { code?: unknown }) | undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timed out';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS certificate not trusted: ${code}`;
    default:
      return code ?? cause?.message ?? (error as Error).message ?? 'unknown';
  }
}

/** An ISO string as given, or epoch seconds or milliseconds as ISO. */
function timestampText(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  // Epoch seconds stay below 1e12 until the year 33658.
  return new Date(value < 1e12 ? value * 1000 : value).toISOString();
}

function parseJson(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`the registry's answer has no object ${what}`);
  }
  return value as Record<string, unknown>;
}

function field(body: Record<string, unknown>, key: string): unknown {
  return record(body[key], key);
}

function list(body: Record<string, unknown>, key: string): unknown[] {
  const value = body[key];
  // MLflow leaves empty lists out of its answers.
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new ProtocolError(`the registry's answer has no list ${key}`);
  }
  return value;
}

function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') {
    throw new ProtocolError(`the registry's answer has no string ${key}`);
  }
  return value;
}

function requireNumber(body: Record<string, unknown>, key: string): number {
  const value = typeof body[key] === 'string' ? Number(body[key]) : body[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ProtocolError(`the registry's answer has no number ${key}`);
  }
  return value;
}

function optionalString(
  body: Record<string, unknown>,
  key: string
): string | undefined {
  const value = body[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function registeredModel(value: unknown): RegisteredModel {
  const model = record(value, 'registered_model');
  requireString(model, 'name');
  list(model, 'latest_versions').forEach(modelVersion);
  return model as unknown as RegisteredModel;
}

function modelVersion(value: unknown): ModelVersion {
  const version = record(value, 'model_version');
  requireString(version, 'name');
  requireString(version, 'version');
  requireString(version, 'status');
  if (typeof version.current_stage !== 'string') {
    throw new ProtocolError(`the registry's answer has no current_stage`);
  }
  return version as unknown as ModelVersion;
}

function transitionRequest(value: unknown): TransitionRequest {
  const request = record(value, 'request');
  requireString(request, 'to_stage');
  return request as unknown as TransitionRequest;
}

function uploadTarget(value: unknown): UploadTarget {
  const file = record(value, 'files[]');
  const path = requireString(file, 'path');
  if (typeof file.url === 'string')
    return { kind: 'single', path, url: file.url };
  return {
    kind: 'multipart',
    path,
    multipartUploadId: requireString(file, 'multipart_upload_id'),
    partSize: requireNumber(file, 'part_size'),
    parts: list(file, 'parts').map((p) => {
      const part = record(p, 'parts[]');
      return {
        partNumber: requireNumber(part, 'part_number'),
        url: requireString(part, 'url'),
      };
    }),
  };
}

function commentOf(body: Record<string, unknown>): Comment {
  const comment = record(body.comment, 'comment');
  requireString(comment, 'id');
  return comment as unknown as Comment;
}

function permissionsOf(body: Record<string, unknown>): Permissions {
  requireString(body, 'object_id');
  for (const entry of list(body, 'access_control_list')) {
    list(record(entry, 'access_control_list[]'), 'all_permissions');
  }
  return body as unknown as Permissions;
}

function webhookOf(value: unknown): Webhook {
  const webhook = record(value, 'webhook');
  requireString(webhook, 'id');
  return webhook as unknown as Webhook;
}

function webhookBody(spec: WebhookSpec): Record<string, unknown> {
  return {
    events: spec.events,
    description: spec.description,
    status: spec.status,
    ...(spec.url !== undefined || spec.secret !== undefined
      ? { http_url_spec: { url: spec.url, secret: spec.secret } }
      : {}),
  };
}
