import { expect } from 'vitest';
import type { ErrorCode } from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import type {
  RegistryDependencies,
  VersionChange,
} from '#domain/registry/dependencies.ts';
import { createRegisteredModel } from '#domain/registry/models.ts';
import { transitionModelVersionStage } from '#domain/registry/transitions.ts';
import { createModelVersion } from '#domain/registry/versions.ts';
import type { Stage } from '#domain/stages.ts';
import type { ModelRecord } from '#ports/model-registry-store.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';

export const NOW = 1_700_000_000_000;

export function user(id: string, userName: string): Principal {
  return { id, userName, kind: 'user', isAdmin: false, groups: [] };
}

export const alice = user('42', 'alice@example.com');
export const bob = user('43', 'bob@example.com');

export interface RegistryWorld extends RegistryDependencies {
  readonly store: MemoryModelRegistryStore;
  /** The clock `now` reads; tests move it. */
  readonly clock: { now: number };
  /** Every call of `afterVersionChanges`, in order. */
  readonly changes: { record: ModelRecord; changes: VersionChange[] }[];
  /** Every back-off the optimistic retry slept. */
  readonly sleeps: number[];
}

/**
 * The registry's dependencies in memory: a clock the test moves, ids
 * counted up in hex, no real sleeping, and the version changes it reports.
 */
export function registryWorld(
  store: MemoryModelRegistryStore = new MemoryModelRegistryStore()
): RegistryWorld {
  let nextId = 0;
  const clock = { now: NOW };
  const changes: RegistryWorld['changes'] = [];
  const sleeps: number[] = [];
  return {
    store,
    clock,
    changes,
    sleeps,
    now: () => clock.now,
    newId: () => (nextId++).toString(16).padStart(32, '0'),
    sleep: async (ms) => void sleeps.push(ms),
    afterVersionChanges: async (record, versionChanges) =>
      void changes.push({ record, changes: [...versionChanges] }),
  };
}

/** A model named `name` with `count` READY versions, all in None. */
export async function modelWithVersions(
  deps: RegistryDependencies,
  name: string,
  count: number,
  caller: Principal = alice
): Promise<void> {
  await createRegisteredModel(deps, caller, { name });
  for (let i = 0; i < count; i += 1) {
    await createModelVersion(deps, caller, {
      name,
      source: `s3://bucket/${name}/${i + 1}`,
    });
  }
}

/** Moves versions into a stage directly, without archiving anything. */
export async function moveTo(
  deps: RegistryDependencies,
  name: string,
  stage: Stage,
  versions: readonly number[]
): Promise<void> {
  for (const version of versions) {
    await transitionModelVersionStage(deps, alice, {
      name,
      version,
      stage,
      archiveExistingVersions: false,
    });
  }
}

/**
 * Asserts that `attempt` fails with an error of `errorClass` carrying
 * `code` (and, when given, a message matching `message`).
 */
export async function expectRefusal(
  attempt: Promise<unknown>,
  errorClass: new (...args: never[]) => Error,
  code: ErrorCode,
  message?: string | RegExp
): Promise<void> {
  await expect(attempt).rejects.toThrow(errorClass);
  await expect(attempt).rejects.toHaveProperty('code', code);
  if (message !== undefined) await expect(attempt).rejects.toThrow(message);
}
