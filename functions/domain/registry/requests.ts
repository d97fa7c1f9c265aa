import type { ApprovalWorkflow } from '#ports/approval-workflow.ts';
import type { ModelRecord } from '#ports/model-registry-store.ts';
import type { Notifier } from '#ports/notifier.ts';
import type { TransitionRequestStore } from '#ports/transition-request-store.ts';
import type { Activity } from '../activity.ts';
import {
  ConcurrentModificationError,
  InvalidParameterValueError,
  InvalidStateError,
  PermissionDeniedError,
  ResourceDoesNotExistError,
  StaleRequestError,
} from '../errors.ts';
import { parseVersionNumber } from '../model-version.ts';
import {
  type EffectiveLevel,
  levelAllows,
  transitionAbility,
} from '../permissions.ts';
import type { Principal } from '../principal.ts';
import { canonicalStage, type Stage } from '../stages.ts';
import {
  DEFAULT_TRANSITION_REQUEST_SETTINGS,
  type DecisionOutcome,
  type TransitionRequest,
  type TransitionRequestAction,
  type TransitionRequestSettings,
  type TransitionRequestStatus,
} from '../transition-request.ts';
import {
  type RegistryDependencies,
  requireRecord,
  requireVersion,
  withOptimisticRetry,
} from './dependencies.ts';
import { applyTransition } from './transitions.ts';

export interface RequestDependencies extends RegistryDependencies {
  readonly requests: TransitionRequestStore;
  readonly workflow: ApprovalWorkflow;
  readonly notifier: Notifier;
}

/** The `user_id` of what the registry does by itself. */
export const SYSTEM_USER = 'system';

/** How long an approve call waits for its execution to apply the transition. */
const APPLY_WAIT_MS = 10_000;

export async function settingsOf(
  deps: RequestDependencies,
  modelId: string
): Promise<TransitionRequestSettings> {
  return {
    ...DEFAULT_TRANSITION_REQUEST_SETTINGS,
    ...(await deps.requests.getSettings(modelId)),
  };
}

/** What the caller may do with a request (Databricks' `available_actions`). */
export function availableActions(
  caller: Principal,
  level: EffectiveLevel,
  request: TransitionRequest,
  currentStage: Stage,
  settings: TransitionRequestSettings
): TransitionRequestAction[] {
  const actions: TransitionRequestAction[] = [];
  const mayDecide =
    levelAllows(
      level,
      transitionAbility(currentStage, request.toStage, 'approve')
    ) &&
    !(
      settings.separationOfDutiesStages.includes(request.toStage) &&
      request.creator === caller.userName
    );
  if (mayDecide) {
    actions.push('APPROVE_TRANSITION_REQUEST', 'REJECT_TRANSITION_REQUEST');
  }
  if (
    request.creator === caller.userName ||
    levelAllows(level, 'CancelTransitionRequest')
  ) {
    actions.push('CANCEL_TRANSITION_REQUEST');
  }
  return actions;
}

function activity(
  deps: RegistryDependencies,
  request: TransitionRequest,
  fields: Pick<Activity, 'activityType' | 'userId'> &
    Partial<Pick<Activity, 'comment' | 'systemComment' | 'fromStage'>>
): Activity {
  const now = deps.now();
  return {
    id: deps.newId(),
    modelId: request.modelId,
    version: request.version,
    fromStage: fields.fromStage ?? request.fromStage,
    toStage: request.toStage,
    creationTimestamp: now,
    lastUpdatedTimestamp: now,
    ...fields,
  };
}

/**
 * A caller who may read the model asks for a stage change. The request
 * starts its own workflow execution, which waits for a decision until the
 * model's expiry.
 */
export async function createTransitionRequest(
  deps: RequestDependencies,
  caller: Principal,
  input: {
    name: string;
    version: string | number;
    stage: string;
    comment?: string | undefined;
  }
): Promise<{ request: TransitionRequest; record: ModelRecord }> {
  const to = canonicalStage(input.stage);
  const number = parseVersionNumber(input.version);
  const created = await withOptimisticRetry(deps, async () => {
    const record = await requireRecord(deps, input.name);
    const version = await requireVersion(deps, record, number);
    if (version.currentStage === to) {
      throw new InvalidParameterValueError(
        `Version ${number} of '${input.name}' is already in ${to}.`
      );
    }
    const settings = await settingsOf(deps, record.model.id);
    const now = deps.now();
    const request: TransitionRequest = {
      id: deps.newId(),
      modelId: record.model.id,
      version: number,
      toStage: to,
      fromStage: version.currentStage,
      creator: caller.userName,
      comment: input.comment ?? '',
      status: 'OPEN',
      creationTimestamp: now,
      lastUpdatedTimestamp: now,
      expiresAt: now + settings.requestExpirySeconds * 1000,
    };
    await deps.requests.createRequest(
      request,
      activity(deps, request, {
        activityType: 'REQUESTED_TRANSITION',
        userId: caller.userName,
        comment: input.comment,
      })
    );
    return { request, record, settings };
  });
  try {
    await deps.workflow.start({
      requestId: created.request.id,
      modelId: created.request.modelId,
      version: created.request.version,
      expiresInSeconds: created.settings.requestExpirySeconds,
    });
  } catch (error) {
    // Never an open request without a workflow behind it.
    await closeRequest(
      deps,
      created.request,
      'FAILED',
      'The approval workflow could not be started.'
    );
    throw error;
  }
  return { request: created.request, record: created.record };
}

/** Open requests of a version, oldest first. */
export async function listTransitionRequests(
  deps: RequestDependencies,
  input: { name: string; version: string | number }
): Promise<{
  requests: readonly TransitionRequest[];
  record: ModelRecord;
  currentStage: Stage;
  settings: TransitionRequestSettings;
}> {
  const number = parseVersionNumber(input.version);
  const record = await requireRecord(deps, input.name);
  const version = await requireVersion(deps, record, number);
  return {
    requests: await deps.requests.listOpenRequests(record.model.id, number),
    record,
    currentStage: version.currentStage,
    settings: await settingsOf(deps, record.model.id),
  };
}

interface DecisionInput {
  readonly name: string;
  readonly version: string | number;
  readonly stage: string;
  readonly comment?: string | undefined;
  /** Extension: decide this request rather than the oldest matching one. */
  readonly requestId?: string | undefined;
}

/** The open request a decision addresses (by id, else the oldest). */
async function addressedRequest(
  deps: RequestDependencies,
  input: DecisionInput,
  creator?: string
): Promise<{
  request: TransitionRequest;
  record: ModelRecord;
  currentStage: Stage;
}> {
  const to = canonicalStage(input.stage);
  const number = parseVersionNumber(input.version);
  const record = await requireRecord(deps, input.name);
  const version = await requireVersion(deps, record, number);
  const open = (
    await deps.requests.listOpenRequests(record.model.id, number)
  ).filter(
    (r) =>
      r.toStage === to &&
      (creator === undefined || r.creator === creator) &&
      (input.requestId === undefined || r.id === input.requestId)
  );
  const request = open[0];
  if (!request) {
    throw new ResourceDoesNotExistError(
      `No open request to move version ${number} of '${input.name}' to ${to}${creator ? ` by ${creator}` : ''}.`
    );
  }
  return { request, record, currentStage: version.currentStage };
}

/**
 * A request whose version is no longer where it was asked from is stale:
 * it is closed, with a system activity saying why, instead of decided.
 */
async function assertStillValid(
  deps: RequestDependencies,
  request: TransitionRequest,
  currentStage: Stage
): Promise<void> {
  if (currentStage !== request.fromStage) {
    await closeRequest(
      deps,
      request,
      'CLOSED',
      `Closed because version ${request.version} moved from ${request.fromStage} to ${currentStage} after the request was made.`
    );
    throw new InvalidStateError(
      `The request is stale: version ${request.version} is now in ${currentStage}, not ${request.fromStage}. It was closed.`
    );
  }
}

export async function approveTransitionRequest(
  deps: RequestDependencies,
  caller: Principal,
  level: EffectiveLevel,
  input: DecisionInput & { archiveExistingVersions: boolean }
): Promise<Activity> {
  const { request, record, currentStage } = await addressedRequest(deps, input);
  await assertMayDecide(deps, caller, level, request, currentStage, record);
  await assertStillValid(deps, request, currentStage);
  const approved = activity(deps, request, {
    activityType: 'APPROVED_REQUEST',
    userId: caller.userName,
    comment: input.comment,
  });
  try {
    await deps.requests.decide(
      request,
      'APPROVED',
      {
        outcome: 'approved',
        by: caller.userName,
        comment: input.comment,
        archiveExistingVersions: input.archiveExistingVersions,
        at: approved.creationTimestamp,
      },
      approved
    );
  } catch (error) {
    // The version moved between our read and the decision: the request is
    // stale, so it is closed (with a system activity) rather than approved.
    if (error instanceof StaleRequestError) {
      await closeRequest(
        deps,
        request,
        'CLOSED',
        `Closed because ${error.message}`
      );
    }
    throw error;
  }
  await deliver(deps, request, 'approved');
  await waitUntilApplied(deps, request);
  return approved;
}

export async function rejectTransitionRequest(
  deps: RequestDependencies,
  caller: Principal,
  level: EffectiveLevel,
  input: DecisionInput
): Promise<Activity> {
  const { request, record, currentStage } = await addressedRequest(deps, input);
  await assertMayDecide(deps, caller, level, request, currentStage, record);
  const rejected = activity(deps, request, {
    activityType: 'REJECTED_REQUEST',
    userId: caller.userName,
    comment: input.comment,
  });
  await deps.requests.decide(
    request,
    'REJECTED',
    {
      outcome: 'rejected',
      by: caller.userName,
      comment: input.comment,
      at: rejected.creationTimestamp,
    },
    rejected
  );
  await deliver(deps, request, 'rejected');
  return rejected;
}

/** Cancel (Databricks' delete): the request's creator, or a Can Manage holder. */
export async function cancelTransitionRequest(
  deps: RequestDependencies,
  caller: Principal,
  level: EffectiveLevel,
  input: DecisionInput & { creator: string }
): Promise<Activity> {
  const { request } = await addressedRequest(deps, input, input.creator);
  if (
    request.creator !== caller.userName &&
    !levelAllows(level, 'CancelTransitionRequest')
  ) {
    throw new PermissionDeniedError(
      `${caller.userName} may not cancel a request made by ${request.creator}: only its creator or a CAN_MANAGE holder may.`
    );
  }
  const cancelled = activity(deps, request, {
    activityType: 'CANCELLED_REQUEST',
    userId: caller.userName,
    comment: input.comment,
  });
  await deps.requests.decide(
    request,
    'CANCELLED',
    {
      outcome: 'cancelled',
      by: caller.userName,
      comment: input.comment,
      at: cancelled.creationTimestamp,
    },
    cancelled
  );
  await deliver(deps, request, 'cancelled');
  return cancelled;
}

async function assertMayDecide(
  deps: RequestDependencies,
  caller: Principal,
  level: EffectiveLevel,
  request: TransitionRequest,
  currentStage: Stage,
  record: ModelRecord
): Promise<void> {
  const ability = transitionAbility(currentStage, request.toStage, 'approve');
  if (!levelAllows(level, ability)) {
    throw new PermissionDeniedError(
      `${caller.userName} does not have permission to decide a request to move a version of '${record.model.name}' from ${currentStage} to ${request.toStage}.`
    );
  }
  const settings = await settingsOf(deps, record.model.id);
  if (
    settings.separationOfDutiesStages.includes(request.toStage) &&
    request.creator === caller.userName
  ) {
    throw new PermissionDeniedError(
      `Separation of duties: the creator of a request to ${request.toStage} may not decide it.`
    );
  }
}

/**
 * Hands a committed decision to the waiting execution. A token that is gone
 * (the execution timed out or died) is reconciled here: an approval is
 * applied directly, through the same transactional path.
 */
async function deliver(
  deps: RequestDependencies,
  request: TransitionRequest,
  outcome: DecisionOutcome
): Promise<void> {
  const current = await deps.requests.getRequest(
    request.modelId,
    request.version,
    request.id
  );
  const token = current?.taskToken;
  // Without a token yet, the execution's notify step finds the request
  // decided when it stores its token, and forwards the decision itself.
  if (!token) return;
  const delivered = await deps.workflow.sendDecision(token, outcome);
  if (delivered === 'gone' && outcome === 'approved' && current) {
    await applyApprovedRequest(deps, current);
  }
}

async function waitUntilApplied(
  deps: RequestDependencies,
  request: TransitionRequest
): Promise<void> {
  const sleep =
    deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = deps.now() + APPLY_WAIT_MS;
  while (deps.now() < deadline) {
    const current = await deps.requests.getRequest(
      request.modelId,
      request.version,
      request.id
    );
    if (current?.status !== 'APPROVED') return;
    await sleep(50);
  }
}

/**
 * Applies an approved request: the same transactional transition (with
 * archival) as a direct one, by the approver. Idempotent: an applied or
 * failed request is left alone.
 */
export async function applyApprovedRequest(
  deps: RequestDependencies,
  request: TransitionRequest
): Promise<TransitionRequestStatus> {
  if (request.status !== 'APPROVED' || !request.decision) return request.status;
  const decision = request.decision;
  try {
    await applyTransition(deps, {
      loadRecord: async () => {
        const record = await deps.store.getModelRecordById(request.modelId);
        if (!record) {
          throw new ResourceDoesNotExistError('The model no longer exists.');
        }
        return record;
      },
      version: request.version,
      to: request.toStage,
      requireFrom: request.fromStage,
      archiveExistingVersions: decision.archiveExistingVersions ?? false,
      // The transition is the approver's: its activity names them.
      actor: {
        id: '',
        userName: decision.by,
        kind: 'user',
        isAdmin: false,
        groups: [],
      },
      comment: decision.comment,
    });
  } catch (error) {
    if (error instanceof ConcurrentModificationError) throw error;
    if (
      error instanceof ResourceDoesNotExistError ||
      error instanceof InvalidStateError
    ) {
      await deps.requests.markFinal(request, 'FAILED', deps.now());
      return 'FAILED';
    }
    throw error;
  }
  await deps.requests.markFinal(request, 'APPLIED', deps.now());
  return 'APPLIED';
}

/**
 * Closes an open request without a user's decision (stale, expired, its
 * version deleted, its workflow failed), with a system activity saying why,
 * and releases the waiting execution. A request already decided is left.
 * @returns whether this call closed it.
 */
export async function closeRequest(
  deps: RequestDependencies,
  request: TransitionRequest,
  status: 'CLOSED' | 'EXPIRED' | 'FAILED',
  why: string
): Promise<boolean> {
  try {
    await deps.requests.decide(
      request,
      status,
      { outcome: 'closed', by: SYSTEM_USER, at: deps.now() },
      activity(deps, request, {
        activityType: 'CANCELLED_REQUEST',
        userId: SYSTEM_USER,
        systemComment: why,
      })
    );
  } catch (error) {
    if (error instanceof InvalidStateError) return false;
    throw error;
  }
  const current = await deps.requests.getRequest(
    request.modelId,
    request.version,
    request.id
  );
  if (current?.taskToken && status !== 'EXPIRED') {
    await deps.workflow.sendDecision(current.taskToken, 'closed');
  }
  return true;
}

/**
 * After versions changed stage (or were deleted), closes the open requests
 * they made stale: those whose version left the stage they were asked
 * from, those fulfilled by another move to their target, and all of a
 * deleted version's.
 */
export async function closeStaleRequests(
  deps: RequestDependencies,
  record: ModelRecord,
  changes: readonly { version: number; stage: Stage | 'DELETED' }[]
): Promise<void> {
  for (const change of changes) {
    const open = await deps.requests.listOpenRequests(
      record.model.id,
      change.version
    );
    for (const request of open) {
      if (change.stage === 'DELETED') {
        await closeRequest(
          deps,
          request,
          'CLOSED',
          `Closed because version ${change.version} was deleted.`
        );
      } else if (request.toStage === change.stage) {
        await closeRequest(
          deps,
          request,
          'CLOSED',
          `Closed because version ${change.version} was moved to ${change.stage} by another transition.`
        );
      } else if (request.fromStage !== change.stage) {
        await closeRequest(
          deps,
          request,
          'CLOSED',
          `Closed because version ${change.version} left ${request.fromStage} for ${change.stage}.`
        );
      }
    }
  }
}

export async function setTransitionRequestSettings(
  deps: RequestDependencies,
  input: {
    name: string;
    separationOfDutiesStages?: readonly string[] | undefined;
    requestExpirySeconds?: number | undefined;
  }
): Promise<TransitionRequestSettings> {
  const record = await requireRecord(deps, input.name);
  const changes: {
    -readonly [K in keyof TransitionRequestSettings]?: TransitionRequestSettings[K];
  } = {};
  if (input.separationOfDutiesStages !== undefined) {
    changes.separationOfDutiesStages = [
      ...new Set(input.separationOfDutiesStages.map(canonicalStage)),
    ];
  }
  if (input.requestExpirySeconds !== undefined) {
    const seconds = input.requestExpirySeconds;
    // Step Functions Standard executions last at most a year.
    if (
      !Number.isInteger(seconds) ||
      seconds < 1 ||
      seconds > 360 * 24 * 3600
    ) {
      throw new InvalidParameterValueError(
        'request_expiry_seconds must be a whole number of seconds between 1 and 31104000 (360 days).'
      );
    }
    changes.requestExpirySeconds = seconds;
  }
  await deps.requests.setSettings(record.model.id, changes);
  return settingsOf(deps, record.model.id);
}
