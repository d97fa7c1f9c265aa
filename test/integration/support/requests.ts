import { expect } from 'vitest';
import {
  type ApiResponse,
  call,
  MLFLOW,
  uniqueName,
} from '../../support/api.ts';
import {
  createUserWithToken,
  grant,
  modelId,
  type PermissionLevelName,
  type UserWithToken,
} from './principals.ts';

/**
 * Transition requests, comments and activity feeds over the public API, for
 * the transition-request tests. Calls go as the admin of `registry()` unless
 * a token is given; they answer the raw response so tests assert refusals.
 */

export const REQUESTS = `${MLFLOW}/transition-requests`;
export const COMMENTS = `${MLFLOW}/comments`;
export const SETTINGS = '/api/2.0/stagegate/transition-requests/settings';
export const ACTIVITIES = '/api/2.0/stagegate/activities/list';
export const NOTIFICATIONS = '/api/2.0/stagegate/notifications/list';
export const HEX_ID = /^[0-9a-f]{32}$/;

/** A request as create and list answer it (Databricks' shape plus `id`). */
export interface RequestJson {
  id: string;
  activity_type: string;
  from_stage: string;
  to_stage: string;
  user_id: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  comment?: string;
  available_actions: string[];
  name: string;
  version: string;
  approvals_required: number;
  approvals_remaining: number;
  approved_by?: string[];
}

export interface ActivityJson {
  id: string;
  activity_type: string;
  from_stage?: string;
  to_stage?: string;
  user_id: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  comment?: string;
  system_comment?: string;
}

export interface CommentJson {
  id: string;
  comment: string;
  user_id: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  available_actions: string[];
}

/** A notice to people: a version's event that has recipients. */
export interface NotificationJson {
  id: string;
  /** The generic type; `events` has the stage-specific one too. */
  event: string;
  events: string[];
  request_id?: string;
  version: string;
  recipients: Record<string, string>[];
  text: string;
  creation_timestamp: number;
}

export interface SettingsJson {
  name: string;
  separation_of_duties_stages: string[];
  request_expiry_seconds: number;
  reminder_after_seconds: number;
  protected_stages: string[];
  required_approvals: number;
}

export interface ErrorJson {
  error_code: string;
  message: string;
}

/** `{ token }` when one is given, else nothing (the admin's). */
function as(token: string | undefined): { token?: string } {
  return token === undefined ? {} : { token };
}

/** Fails with the answered body, so a wrong status explains itself. */
export function expectStatus(
  response: ApiResponse<unknown>,
  status: number
): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
}

/** A new model (as the admin) with `versions` versions, all in None. */
export async function createModel(
  versions: number,
  prefix = 'tr'
): Promise<{ name: string; id: string }> {
  const name = uniqueName(prefix);
  expectStatus(
    await call('POST', `${MLFLOW}/registered-models/create`, {
      body: { name },
    }),
    200
  );
  for (let index = 1; index <= versions; index += 1) {
    expectStatus(
      await call('POST', `${MLFLOW}/model-versions/create`, {
        body: { name, source: `s3://requests/${name}/${index}` },
      }),
      200
    );
  }
  return { name, id: await modelId(name) };
}

/** Grants (PATCH, as the admin) each user its level on the model. */
export async function grantLevels(
  id: string,
  levels: readonly [UserWithToken, PermissionLevelName][]
): Promise<void> {
  const response = await grant(
    id,
    levels.map(([user, permission_level]) => ({
      user_name: user.userName,
      permission_level,
    })),
    'PATCH'
  );
  expectStatus(response, 200);
}

/** Users with tokens and no grant yet, made concurrently. */
export function createUsers(count: number): Promise<UserWithToken[]> {
  return Promise.all(
    Array.from({ length: count }, () => createUserWithToken())
  );
}

/** The user name the admin token acts as (`GET /Me`). */
export async function adminUserName(): Promise<string> {
  const me = await call<{ userName: string }>(
    'GET',
    '/api/2.0/preview/scim/v2/Me'
  );
  expectStatus(me, 200);
  return me.body.userName;
}

export function createRequest(
  body: {
    name: string;
    version: string;
    stage: string;
    comment?: string;
  },
  token?: string
) {
  return call<{ request: RequestJson } & Partial<ErrorJson>>(
    'POST',
    `${REQUESTS}/create`,
    { body, ...as(token) }
  );
}

/** Creates a request, asserting success. */
export async function openRequest(
  body: { name: string; version: string; stage: string; comment?: string },
  token?: string
): Promise<RequestJson> {
  const created = await createRequest(body, token);
  expectStatus(created, 200);
  return created.body.request;
}

export function listRequests(name: string, version: string, token?: string) {
  return call<{ requests: RequestJson[] } & Partial<ErrorJson>>(
    'GET',
    `${REQUESTS}/list`,
    { query: { name, version }, ...as(token) }
  );
}

/** The open requests of a version, as the caller sees them. */
export async function openRequests(
  name: string,
  version: string,
  token?: string
): Promise<RequestJson[]> {
  const listed = await listRequests(name, version, token);
  expectStatus(listed, 200);
  return listed.body.requests ?? [];
}

export function approve(
  body: {
    name: string;
    version: string;
    stage: string;
    archive_existing_versions?: boolean;
    comment?: string;
    request_id?: string;
  },
  token?: string
) {
  return call<
    {
      activity: ActivityJson;
      approvals_required: number;
      approvals_remaining: number;
    } & Partial<ErrorJson>
  >('POST', `${REQUESTS}/approve`, {
    body: { archive_existing_versions: false, ...body },
    ...as(token),
  });
}

export function reject(
  body: {
    name: string;
    version: string;
    stage: string;
    comment?: string;
    request_id?: string;
  },
  token?: string
) {
  return call<{ activity: ActivityJson } & Partial<ErrorJson>>(
    'POST',
    `${REQUESTS}/reject`,
    { body, ...as(token) }
  );
}

/** Databricks' `DELETE transition-requests/delete` (the cancel). */
export function cancel(
  query: {
    name: string;
    version: string;
    stage: string;
    creator: string;
    comment?: string;
  },
  token?: string
) {
  return call<{ activity: ActivityJson } & Partial<ErrorJson>>(
    'DELETE',
    `${REQUESTS}/delete`,
    { query, ...as(token) }
  );
}

/** A version's activity feed, oldest first. */
export async function activities(
  name: string,
  version: string
): Promise<ActivityJson[]> {
  const response = await call<{ activities?: ActivityJson[] }>(
    'GET',
    ACTIVITIES,
    { query: { name, version } }
  );
  expectStatus(response, 200);
  return response.body.activities ?? [];
}

export async function notifications(
  name: string,
  version: string
): Promise<NotificationJson[]> {
  const response = await call<{ notifications?: NotificationJson[] }>(
    'GET',
    NOTIFICATIONS,
    { query: { name, version } }
  );
  expectStatus(response, 200);
  return response.body.notifications ?? [];
}

export async function stageOf(name: string, version: string): Promise<string> {
  const got = await call<{ model_version: { current_stage: string } }>(
    'GET',
    `${MLFLOW}/model-versions/get`,
    { query: { name, version } }
  );
  expectStatus(got, 200);
  return got.body.model_version.current_stage;
}

/**
 * The stage of a version whose request was just approved. The approve call
 * answers once the decision is committed and handed to the request's
 * workflow, which applies the transition shortly after (README, design
 * notes): this polls until the version is in `stage` or `timeoutMs`
 * passes, and answers the last stage either way, so the caller's
 * assertion fails with what was last seen.
 */
export async function appliedStage(
  name: string,
  version: string,
  stage: string,
  timeoutMs = 10_000
): Promise<string> {
  return pollUntil(
    () => stageOf(name, version),
    (current) => current === stage,
    { timeoutMs, intervalMs: 20 }
  );
}

/**
 * A version's feed once the approval of a request to `stage` is applied
 * (its APPLIED_TRANSITION to `stage` is in the feed), or the last feed
 * seen after `timeoutMs`.
 */
export async function appliedFeed(
  name: string,
  version: string,
  stage: string,
  timeoutMs = 10_000
): Promise<ActivityJson[]> {
  return pollUntil(
    () => activities(name, version),
    (feed) =>
      feed.some(
        (activity) =>
          activity.activity_type === 'APPLIED_TRANSITION' &&
          activity.to_stage === stage
      ),
    { timeoutMs, intervalMs: 20 }
  );
}

/** A direct transition as the admin, asserting success. */
export async function moveTo(
  name: string,
  version: string,
  stage: string,
  archive = false
): Promise<void> {
  expectStatus(
    await call('POST', `${MLFLOW}/model-versions/transition-stage`, {
      body: { name, version, stage, archive_existing_versions: archive },
    }),
    200
  );
}

export function patchSettings(
  body: {
    name: string;
    separation_of_duties_stages?: string[];
    request_expiry_seconds?: number;
    protected_stages?: string[];
    required_approvals?: number;
  },
  token?: string
) {
  return call<{ settings: SettingsJson } & Partial<ErrorJson>>(
    'PATCH',
    SETTINGS,
    { body, ...as(token) }
  );
}

export function getSettings(name: string, token?: string) {
  return call<{ settings: SettingsJson } & Partial<ErrorJson>>(
    'GET',
    SETTINGS,
    { query: { name }, ...as(token) }
  );
}

/**
 * Polls `probe` until `done` holds or `timeoutMs` passes, and answers the
 * last value either way: the caller asserts on it, so a timeout fails with
 * what was last seen rather than hanging.
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number } = {}
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) =>
      setTimeout(resolve, options.intervalMs ?? 100)
    );
  }
}

/** Activity types of a feed, in order. */
export function typesOf(feed: readonly ActivityJson[]): string[] {
  return feed.map((activity) => activity.activity_type);
}
