import { type ModelAccess, rootGrants } from '#domain/access.ts';
import type { PermissionLevel } from '#domain/permissions.ts';
import type { Principal } from '#domain/principal.ts';
import { createRegisteredModel } from '#domain/registry/models.ts';
import {
  closeStaleRequests,
  type RequestDependencies,
} from '#domain/registry/requests.ts';
import { createModelVersion } from '#domain/registry/versions.ts';
import type { Stage } from '#domain/stages.ts';
import type { DecisionOutcome } from '#domain/transition-request.ts';
import type {
  ApprovalWorkflow,
  ApprovalWorkflowInput,
} from '#ports/approval-workflow.ts';
import { MemoryModelRegistryStore } from './memory-model-registry-store.ts';
import { MemoryTransitionRequestStore } from './memory-transition-request-store.ts';

/**
 * {@link ApprovalWorkflow} that records what it is asked: the executions
 * started and the decisions sent, answering `delivered` unless told the
 * token is gone.
 */
export class FakeApprovalWorkflow implements ApprovalWorkflow {
  readonly started: { input: ApprovalWorkflowInput; attempt: number }[] = [];
  readonly sent: { taskToken: string; outcome: DecisionOutcome }[] = [];
  /** Tokens whose executions are gone (timed out, ended, died). */
  readonly goneTokens = new Set<string>();
  /** Makes `start` fail, as an unreachable Step Functions would. */
  failStart: Error | undefined;

  async start(input: ApprovalWorkflowInput, attempt = 1): Promise<void> {
    if (this.failStart) throw this.failStart;
    this.started.push({ input, attempt });
  }

  async sendDecision(
    taskToken: string,
    outcome: DecisionOutcome
  ): Promise<'delivered' | 'gone'> {
    this.sent.push({ taskToken, outcome });
    return this.goneTokens.has(taskToken) ? 'gone' : 'delivered';
  }
}

export const T0 = 1_700_000_000_000;

export type GovernanceDependencies = RequestDependencies & {
  readonly store: MemoryModelRegistryStore;
  readonly requests: MemoryTransitionRequestStore;
  readonly workflow: FakeApprovalWorkflow;
  /** Moves the clock. */
  advance(ms: number): void;
};

/**
 * The transition-request use cases' dependencies on in-memory fakes, with
 * a clock that moves only when told and ids counting up.
 */
export function governanceDependencies(): GovernanceDependencies {
  let now = T0;
  let nextId = 0;
  const store = new MemoryModelRegistryStore();
  const deps: GovernanceDependencies = {
    store,
    requests: new MemoryTransitionRequestStore(store),
    workflow: new FakeApprovalWorkflow(),
    now: () => now,
    newId: () => (nextId++).toString(16).padStart(32, '0'),
    sleep: async () => undefined,
    afterVersionChanges: (record, changes) =>
      closeStaleRequests(deps, record, changes),
    advance: (ms) => {
      now += ms;
    },
  };
  return deps;
}

export function aPrincipal(
  userName: string,
  overrides: Partial<Principal> = {}
): Principal {
  return {
    id: `id-${userName}`,
    userName,
    kind: 'user',
    isAdmin: false,
    groups: [],
    ...overrides,
  };
}

export const ADMIN = aPrincipal('admin', { id: '1', isAdmin: true });

/**
 * A model made by the admin with `versions` versions in None, and the
 * grants of `levels` (user name → level).
 */
export async function modelWithVersions(
  deps: GovernanceDependencies,
  name: string,
  versions: number,
  levels: Readonly<Record<string, PermissionLevel>> = {}
): Promise<void> {
  await createRegisteredModel(deps, ADMIN, { name });
  for (let i = 0; i < versions; i++) {
    await createModelVersion(deps, ADMIN, { name, source: `s3://b/${i}` });
  }
  const record = await deps.store.getModelRecordByName(name);
  if (!record) throw new Error(`no model ${name}`);
  await deps.store.setModelGrants(record.model.id, [
    ...record.grants,
    ...Object.entries(levels).map(([user, level]) => ({
      grantee: { kind: 'user' as const, name: user },
      level,
    })),
  ]);
}

/** The model as a route's check reads it: record and root grants. */
export async function accessTo(
  deps: GovernanceDependencies,
  name: string
): Promise<ModelAccess> {
  const record = await deps.store.getModelRecordByName(name);
  if (!record) throw new Error(`no model ${name}`);
  return { record, rootGrants: await rootGrants(deps.store) };
}

/** The stage a version is in now. */
export async function stageOf(
  deps: GovernanceDependencies,
  name: string,
  version: number
): Promise<Stage | undefined> {
  const record = await deps.store.getModelRecordByName(name);
  if (!record) return undefined;
  return (await deps.store.getVersion(record.model.id, version))?.currentStage;
}

/** A version's feed, as activity types (with who, for system ones). */
export async function feedOf(
  deps: GovernanceDependencies,
  name: string,
  version: number
): Promise<string[]> {
  const record = await deps.store.getModelRecordByName(name);
  if (!record) return [];
  return (await deps.store.listActivities(record.model.id, version)).map(
    (activity) =>
      activity.userId === 'system'
        ? `${activity.activityType} by system`
        : activity.activityType
  );
}
