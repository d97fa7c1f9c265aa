import {
  ApiError,
  type ml,
  WorkspaceClient,
} from '@databricks/sdk-experimental';
import { expect, vi } from 'vitest';
import { registry, uniqueName } from '../support/api.ts';

/** The Databricks SDK, unchanged, pointed at the registry under test. */
export function client(token = registry().token): WorkspaceClient {
  return new WorkspaceClient({
    host: registry().url,
    token,
    authType: 'pat',
    env: {},
    retryTimeoutSeconds: 10,
  });
}

type SearchParams = Parameters<WorkspaceClient['apiClient']['searchParams']>[0];

/** One request as the SDK's API client was asked to send it. */
export interface SentRequest {
  readonly method: string;
  readonly path: string;
  readonly query: SearchParams;
  readonly payload: unknown;
}

/**
 * Records every request `w` sends from now on (the SDK still sends them):
 * how many pages an iterator fetched, and with which page token.
 */
export function recordRequests(w: WorkspaceClient): SentRequest[] {
  const sent: SentRequest[] = [];
  const send = w.apiClient.request.bind(w.apiClient);
  vi.spyOn(w.apiClient, 'request').mockImplementation((options, context) => {
    sent.push({
      method: options.method,
      path: options.path,
      query: { ...options.query },
      payload: options.payload,
    });
    return send(options, context);
  });
  return sent;
}

/** Drains one of the SDK's iterators. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** What `action` was rejected with (`undefined` if it succeeded). */
export function failureOf(action: Promise<unknown>): Promise<unknown> {
  return action.then(
    () => undefined,
    (error: unknown) => error
  );
}

/** The error is the SDK's `ApiError` with this Databricks code and status. */
export function expectApiError(
  failure: unknown,
  errorCode: string,
  statusCode: number
): asserts failure is ApiError {
  expect(failure).toBeInstanceOf(ApiError);
  expect({
    errorCode: (failure as ApiError).errorCode,
    statusCode: (failure as ApiError).statusCode,
  }).toEqual({ errorCode, statusCode });
}

/**
 * A new model with `count` versions (1…count) registered through the SDK,
 * each from its own source path.
 */
export async function modelWithVersions(
  w: WorkspaceClient,
  count: number,
  prefix = 'sdk'
): Promise<{ name: string; versions: ml.ModelVersion[] }> {
  const name = uniqueName(prefix);
  await w.modelRegistry.createModel({ name });
  const versions: ml.ModelVersion[] = [];
  for (let index = 1; index <= count; index += 1) {
    const created = await w.modelRegistry.createModelVersion({
      name,
      source: `s3://artifacts/${name}/${index}`,
    });
    if (created.model_version) versions.push(created.model_version);
  }
  return { name, versions };
}
