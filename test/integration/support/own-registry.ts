import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiResponse } from '../../support/api.ts';
import {
  type StartedRegistry,
  startRegistryProcess,
} from '../../support/local-process.ts';

/**
 * A local registry of a test file's own, for settings the shared one must
 * not have (an allow-list, a short grace period, IP access lists): started
 * with `env`, stopped and removed by `stop`.
 */
export interface OwnRegistry {
  readonly url: string;
  readonly adminToken: string;
  readonly dataDir: string;
  /** One raw HTTP call, as `call` of test/support/api.ts makes it. */
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: {
      token?: string | null;
      query?: Record<string, string | number | string[]>;
      body?: unknown;
      headers?: Record<string, string>;
    }
  ): Promise<ApiResponse<T>>;
  stop(): Promise<void>;
}

export async function startOwnRegistry(
  name: string,
  env: Record<string, string>
): Promise<OwnRegistry> {
  const dataDir = mkdtempSync(join(tmpdir(), `stagegate-${name}-`));
  const adminToken = `dapi${randomBytes(16).toString('hex')}`;
  let registry: StartedRegistry;
  try {
    registry = await startRegistryProcess({
      dataDir,
      adminToken,
      // Every answer held to its operation's published output schema, as
      // in the suite's shared registry.
      env: { STAGEGATE_CHECK_RESPONSES: 'true', ...env },
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const { url } = registry;
  return {
    url,
    adminToken,
    dataDir,
    async call<T>(
      method: string,
      path: string,
      options: {
        token?: string | null;
        query?: Record<string, string | number | string[]>;
        body?: unknown;
        headers?: Record<string, string>;
      } = {}
    ): Promise<ApiResponse<T>> {
      const target = new URL(path, url);
      for (const [key, value] of Object.entries(options.query ?? {})) {
        for (const item of [value].flat()) {
          target.searchParams.append(key, String(item));
        }
      }
      const headers: Record<string, string> = { ...options.headers };
      const bearer = options.token === undefined ? adminToken : options.token;
      if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
      const body =
        options.body === undefined ? undefined : JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
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
    },
    async stop() {
      registry.child.kill('SIGTERM');
      await registry.exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
