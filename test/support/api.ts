import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

let ownRegistry: { url: string; token: string } | undefined;

/**
 * Points these helpers at a registry a test file started itself (one
 * configured differently from the shared one); each file runs in its own
 * module context, so no other file sees it.
 */
export function useRegistry(target: { url: string; token: string }): void {
  ownRegistry = target;
}

/** The registry under test (see test/integration/global-setup.ts). */
export function registry(): { url: string; token: string } {
  return (
    ownRegistry ?? {
      url: inject('stagegateUrl'),
      token: inject('stagegateToken'),
    }
  );
}

/**
 * One raw HTTP call, as curl or the MLflow client would make it. `query`
 * values that are arrays become repeated keys.
 */
export async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: {
    token?: string | null;
    query?: Record<string, string | number | string[]>;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {}
): Promise<ApiResponse<T>> {
  const { url, token } = registry();
  const target = new URL(path, url);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    for (const item of [value].flat()) {
      target.searchParams.append(key, String(item));
    }
  }
  const headers: Record<string, string> = { ...options.headers };
  const bearer = options.token === undefined ? token : options.token;
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !('content-type' in headers)) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(target, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = {};
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { raw: text };
    }
  }
  return {
    status: response.status,
    body: parsed as T,
    headers: response.headers,
  };
}

/** A model name no other test (or earlier run) uses. */
export function uniqueName(prefix = 'it'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export const MLFLOW = '/api/2.0/mlflow';
