import type {
  ModelRecord,
  StageMembers,
  TransitionCommit,
} from '#ports/model-registry-store.ts';
import type { ModelAccess } from '../access.ts';
import type { Activity } from '../activity.ts';
import { InvalidStateError } from '../errors.ts';
import { modelVersionTransitioned } from '../events.ts';
import { type ModelVersion, parseVersionNumber } from '../model-version.ts';
import type { Principal } from '../principal.ts';
import {
  bypassComment,
  isProtected,
  type StagePolicy,
} from '../stage-policy.ts';
import {
  canonicalStage,
  isActiveStage,
  STAGES,
  type Stage,
  validateArchiveExistingVersions,
} from '../stages.ts';
import {
  type ModelVersionView,
  type RegistryDependencies,
  requireRecord,
  requireVersion,
  versionView,
  withOptimisticRetry,
} from './dependencies.ts';
import { stagesOf } from './stage-members.ts';

/**
 * Versions archived per transaction. A DynamoDB transaction holds at most
 * 100 actions; archiving one version costs three (the version, its
 * SYSTEM_TRANSITION activity and its event in the outbox), and the model
 * item, the target, its activity and its event take four more: 30 keeps
 * a margin.
 */
export const ARCHIVE_CHUNK = 30;

export interface TransitionInput {
  readonly name: string;
  readonly version: string | number;
  readonly stage: string;
  readonly archiveExistingVersions: boolean;
  readonly comment?: string | undefined;
  /**
   * The model's protected-stage policy, as the route's check read it (and
   * let only an admin into a protected stage): such a move is recorded as
   * the admin's bypass of the policy.
   */
  readonly policy?: StagePolicy | undefined;
}

export interface TransitionPlan {
  readonly commit: TransitionCommit;
  /** False when the commit only archives a first chunk of a large stage. */
  readonly final: boolean;
}

/**
 * Plans one atomic step of a transition from a consistent record. When the
 * target stage holds more versions to archive than one transaction can
 * carry, the plan archives a chunk of them first (the target does not move
 * yet); the caller commits it and plans again. The last step moves the
 * target together with the remaining archival, conditioned on the model's
 * revision, so once the target is in the stage no other version is.
 */
export function planTransition(options: {
  record: ModelRecord;
  current: ModelVersion;
  to: Stage;
  archiveExistingVersions: boolean;
  caller: Principal;
  comment?: string | undefined;
  /** Explains the target's APPLIED_TRANSITION (an admin's bypass). */
  systemComment?: string | undefined;
  now: number;
  newId: () => string;
}): TransitionPlan {
  const { record, current, to, now, caller } = options;
  const others = options.archiveExistingVersions
    ? stagesOf(record)[to].filter((v) => v !== current.version)
    : [];
  const final = others.length <= ARCHIVE_CHUNK;
  const archived = final ? others : others.slice(0, ARCHIVE_CHUNK);
  const activities: Activity[] = archived.map((version) => ({
    id: options.newId(),
    modelId: record.model.id,
    version,
    activityType: 'SYSTEM_TRANSITION',
    fromStage: to,
    toStage: 'Archived',
    userId: caller.userName,
    creationTimestamp: now,
    lastUpdatedTimestamp: now,
    systemComment: `Archived because version ${current.version} was transitioned to ${to} with archive_existing_versions.`,
  }));
  if (final) {
    activities.push({
      id: options.newId(),
      modelId: record.model.id,
      version: current.version,
      activityType: 'APPLIED_TRANSITION',
      fromStage: current.currentStage,
      toStage: to,
      userId: caller.userName,
      creationTimestamp: now,
      lastUpdatedTimestamp: now,
      comment: options.comment,
      ...(options.systemComment === undefined
        ? {}
        : { systemComment: options.systemComment }),
    });
  }
  const target = final
    ? { version: current.version, from: current.currentStage, to }
    : undefined;
  // Each version that moves announces it, the archived ones included.
  const moved = [
    ...archived.map((version) => ({
      version,
      from: to,
      to: 'Archived' as const,
    })),
    ...(target ? [target] : []),
  ];
  const events = moved.map((move) =>
    modelVersionTransitioned(
      { id: options.newId(), at: now },
      record.model,
      move,
      caller.userName
    )
  );
  return {
    final,
    commit: {
      record,
      now,
      target,
      archived,
      archivedFrom: to,
      activities,
      events,
      stagesAfter: stagesAfter(stagesOf(record), target, archived, to),
    },
  };
}

function stagesAfter(
  stages: StageMembers,
  target: TransitionCommit['target'],
  archived: readonly number[],
  archivedFrom: Stage
): Record<Stage, number[]> {
  const after = Object.fromEntries(
    STAGES.map((stage) => [stage, [...stages[stage]]])
  ) as Record<Stage, number[]>;
  const move = (version: number, from: Stage, to: Stage) => {
    after[from] = after[from].filter((v) => v !== version);
    after[to] = [...after[to].filter((v) => v !== version), version].sort(
      (a, b) => a - b
    );
  };
  for (const version of archived) move(version, archivedFrom, 'Archived');
  if (target) move(target.version, target.from, target.to);
  return after;
}

/**
 * The one transactional path of every stage change, direct or approved:
 * plans on a consistent read, commits conditioned on the model's revision
 * (re-reading on a lost race), archives a large stage in chunks first, and
 * then lets the requests the change made stale be closed.
 * @returns the record the final commit was planned on.
 */
export async function applyTransition(
  deps: RegistryDependencies,
  options: {
    loadRecord: () => Promise<ModelRecord>;
    /**
     * The model's record (and versions read with it) when the route's
     * check read it: the first attempt plans on it, a retry after a lost
     * race and every further chunk on a fresh read.
     */
    known?: Pick<ModelAccess, 'record' | 'versions'> | undefined;
    version: number;
    to: Stage;
    archiveExistingVersions: boolean;
    actor: Principal;
    comment?: string | undefined;
    systemComment?: string | undefined;
    /**
     * Apply only if the version is still in this stage (an approved
     * request, made from it); otherwise refuse with InvalidStateError.
     */
    requireFrom?: Stage | undefined;
  }
): Promise<ModelRecord> {
  const { version, to } = options;
  const archived: number[] = [];
  let known = options.known;
  for (;;) {
    const plan = await withOptimisticRetry(deps, async () => {
      const given = known;
      known = undefined;
      const record = given?.record ?? (await options.loadRecord());
      const current =
        given?.versions?.get(version) ??
        (await requireVersion(deps, record, version));
      if (
        options.requireFrom !== undefined &&
        current.currentStage !== options.requireFrom
      ) {
        throw new InvalidStateError(
          `Version ${version} of '${record.model.name}' moved from ${options.requireFrom} to ${current.currentStage} before the approved transition could be applied.`
        );
      }
      if (isActiveStage(to) && current.status !== 'READY') {
        throw new InvalidStateError(
          `Version ${version} of '${record.model.name}' is ${current.status}; only READY versions can move to ${to}.`
        );
      }
      const planned = planTransition({
        record,
        current,
        to,
        archiveExistingVersions: options.archiveExistingVersions,
        caller: options.actor,
        comment: options.comment,
        systemComment: options.systemComment,
        now: deps.now(),
        newId: deps.newId,
      });
      await deps.store.commitTransition(planned.commit);
      return planned;
    });
    archived.push(...plan.commit.archived);
    if (plan.final) {
      await deps.afterVersionChanges?.(plan.commit.record, [
        ...archived.map((v) => ({ version: v, stage: 'Archived' as const })),
        { version, stage: to },
      ]);
      return plan.commit.record;
    }
  }
}

/**
 * Moves a version to a stage directly (the caller may; others file a
 * request), archiving the stage's other versions when asked, with
 * APPLIED_TRANSITION and SYSTEM_TRANSITION activities in the same
 * transaction.
 * @param known the model's record, and versions read with it, when the
 *   route's check read them: the first attempt plans on them.
 */
export async function transitionModelVersionStage(
  deps: RegistryDependencies,
  caller: Principal,
  input: TransitionInput,
  known?: Pick<ModelAccess, 'record' | 'versions'>
): Promise<ModelVersionView> {
  const to = canonicalStage(input.stage);
  validateArchiveExistingVersions(to, input.archiveExistingVersions);
  const number = parseVersionNumber(input.version);
  const record = await applyTransition(deps, {
    loadRecord: () => requireRecord(deps, input.name),
    known,
    version: number,
    to,
    archiveExistingVersions: input.archiveExistingVersions,
    actor: caller,
    comment: input.comment,
    systemComment:
      input.policy && caller.isAdmin && isProtected(input.policy, to)
        ? bypassComment(input.policy, caller.userName, to)
        : undefined,
  });
  return versionView(record.model, await requireVersion(deps, record, number), {
    withAliases: true,
  });
}
