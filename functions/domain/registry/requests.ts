import type { ApprovalWorkflow } from '#ports/approval-workflow.ts';
import type { ModelRecord } from '#ports/model-registry-store.ts';
import type { TransitionRequestStore } from '#ports/transition-request-store.ts';
import { type ModelAccess, modelResource, stageOfVersion } from '../access.ts';
import type { Activity } from '../activity.ts';
import { mapWithConcurrency } from '../artifacts/concurrency.ts';
import {
  type Ability,
  allows,
  authorize,
  type Resource,
} from '../authorization.ts';
import {
  InvalidParameterValueError,
  InvalidStateError,
  ModelVersionDoesNotExistError,
  RegisteredModelDoesNotExistError,
  ResourceDoesNotExistError,
  StaleRequestError,
} from '../errors.ts';
import { parseVersionNumber } from '../model-version.ts';
import type { Principal } from '../principal.ts';
import {
  approvalsRequired,
  effectivePolicy,
  registryPolicy,
  type StagePolicy,
  validateModelPolicy,
  validateRegistryPolicy,
} from '../stage-policy.ts';
import { canonicalStage, type Stage } from '../stages.ts';
import {
  type Approval,
  DEFAULT_TRANSITION_REQUEST_SETTINGS,
  type TransitionRequest,
  type TransitionRequestAction,
  type TransitionRequestSettings,
  type TransitionRequestStatus,
} from '../transition-request.ts';
import {
  approvalEvent,
  type DecisionEvent,
  type LifecycleEvent,
  type LifecycleStep,
  requireStep,
  stepOf,
  workAfter,
} from '../transition-request-lifecycle.ts';
import {
  type RegistryDependencies,
  withOptimisticRetry,
} from './dependencies.ts';
import {
  requestCreatedEvents,
  requestStepEvents,
  validateReminderAfter,
} from './request-events.ts';
import { applyTransition } from './transitions.ts';

export interface RequestDependencies extends RegistryDependencies {
  readonly requests: TransitionRequestStore;
  readonly workflow: ApprovalWorkflow;
}

/** The `user_id` of what the registry does by itself. */
export const SYSTEM_USER = 'system';

/** The ability each decision takes, and the action Databricks lists for it. */
const DECISIONS: Readonly<
  Record<
    DecisionEvent,
    { readonly ability: Ability; readonly action: TransitionRequestAction }
  >
> = {
  approve: {
    ability: 'registry:ApproveTransitionRequest',
    action: 'APPROVE_TRANSITION_REQUEST',
  },
  reject: {
    ability: 'registry:DecideTransitionRequest',
    action: 'REJECT_TRANSITION_REQUEST',
  },
  cancel: {
    ability: 'registry:CancelTransitionRequest',
    action: 'CANCEL_TRANSITION_REQUEST',
  },
};

/**
 * A model's settings in force: its own over the defaults, and the
 * protected-stage policy of the registry with what its managers added.
 */
export function settingsIn(
  model: Partial<TransitionRequestSettings>,
  registry: Partial<StagePolicy>
): TransitionRequestSettings {
  return {
    ...DEFAULT_TRANSITION_REQUEST_SETTINGS,
    ...model,
    ...effectivePolicy(registryPolicy(registry), model),
  };
}

/** {@link settingsIn} of a model, in one read. */
export async function settingsOf(
  deps: { readonly requests: Pick<TransitionRequestStore, 'getSettings'> },
  modelId: string
): Promise<TransitionRequestSettings> {
  const stored = await deps.requests.getSettings(modelId);
  return settingsIn(stored.model, stored.registry);
}

/**
 * {@link settingsIn} of a model as the route's check read it: from the
 * settings read with it, else in one read.
 */
export async function settingsOfModel(
  deps: { readonly requests: Pick<TransitionRequestStore, 'getSettings'> },
  model: Pick<ModelAccess, 'record' | 'settings'>
): Promise<TransitionRequestSettings> {
  return model.settings
    ? settingsIn(model.settings.model, model.settings.registry)
    : settingsOf(deps, model.record.model.id);
}

/** How far a request is on its way to the approvals it needs. */
export interface ApprovalProgress {
  readonly required: number;
  readonly remaining: number;
  /** Who approved it so far, oldest first. */
  readonly approvers: readonly string[];
}

export function approvalProgress(
  request: Pick<TransitionRequest, 'toStage' | 'approvals'>,
  policy: StagePolicy
): ApprovalProgress {
  const approvers = (request.approvals ?? []).map((approval) => approval.by);
  const required = approvalsRequired(policy, request.toStage);
  return {
    required,
    remaining: Math.max(0, required - approvers.length),
    approvers,
  };
}

/**
 * What deciding (or cancelling) a version's request depends on, read once
 * by whoever addresses it (the route's check) and used by the decision.
 */
export interface RequestAddress {
  readonly model: ModelAccess;
  readonly version: number;
  /** The stage the caller named. */
  readonly to: Stage;
  /** The version's stage; `undefined` when the model has no such version. */
  readonly currentStage: Stage | undefined;
  readonly settings: TransitionRequestSettings;
  /** The addressed open request (by id, else the oldest match), if any. */
  readonly request: TransitionRequest | undefined;
  /** The creator the caller named (Databricks' cancel), if any. */
  readonly creator?: string | undefined;
}

/**
 * Addresses an open request as Databricks does, by version and target
 * stage (and creator, for a cancel), or by its id (the extension
 * `request_id`): two reads, the version's open requests and the model's
 * settings; the version's stage comes from the model's record.
 */
export async function addressRequest(
  requests: Pick<TransitionRequestStore, 'listOpenRequests' | 'getSettings'>,
  model: ModelAccess,
  input: {
    readonly version: string | number;
    readonly stage: string;
    readonly requestId?: string | undefined;
    readonly creator?: string | undefined;
  }
): Promise<RequestAddress> {
  const to = canonicalStage(input.stage);
  const version = parseVersionNumber(input.version);
  const modelId = model.record.model.id;
  const currentStage = stageOfVersion(model.record, version);
  const [open, settings] = await Promise.all([
    currentStage === undefined
      ? []
      : requests.listOpenRequests(modelId, version),
    settingsOfModel({ requests }, model),
  ]);
  const request = open.find(
    (candidate) =>
      candidate.toStage === to &&
      (input.creator === undefined || candidate.creator === input.creator) &&
      (input.requestId === undefined || candidate.id === input.requestId)
  );
  return {
    model,
    version,
    to,
    currentStage,
    settings,
    request,
    creator: input.creator,
  };
}

/** A request as `authorize` sees it, for deciding or cancelling. */
export function requestResource(
  address: Pick<
    RequestAddress,
    'model' | 'to' | 'currentStage' | 'settings' | 'request'
  >
): Resource {
  return {
    kind: 'request',
    model: modelResource(address.model),
    // A missing version is the use case's 404 to report, after the check
    // on the target stage alone.
    from: address.currentStage ?? 'None',
    to: address.request?.toStage ?? address.to,
    separationOfDutiesStages: address.settings.separationOfDutiesStages,
    policy: address.settings,
    creator: address.request?.creator,
    approvers: address.request?.approvals?.map((approval) => approval.by),
  };
}

/** What the caller may do with a request (Databricks' `available_actions`). */
export function availableActions(
  caller: Principal,
  model: ModelAccess,
  request: TransitionRequest,
  currentStage: Stage,
  settings: TransitionRequestSettings
): TransitionRequestAction[] {
  const resource = requestResource({
    model,
    to: request.toStage,
    currentStage,
    settings,
    request,
  });
  return (Object.keys(DECISIONS) as DecisionEvent[])
    .filter(
      (event) =>
        stepOf(request.status, event) !== undefined &&
        allows(caller, DECISIONS[event].ability, resource)
    )
    .map((event) => DECISIONS[event].action);
}

/** The activity a step writes, by whom its table cell says. */
function stepActivity(
  deps: RegistryDependencies,
  request: TransitionRequest,
  step: LifecycleStep,
  fields: {
    readonly caller?: string;
    readonly comment?: string | undefined;
    readonly systemComment?: string | undefined;
  }
): Activity | undefined {
  if (!step.activity || step.activity.withTransition) return undefined;
  const now = deps.now();
  return {
    id: deps.newId(),
    modelId: request.modelId,
    version: request.version,
    activityType: step.activity.type,
    fromStage: request.fromStage,
    toStage: request.toStage,
    userId: step.activity.by === 'system' ? SYSTEM_USER : (fields.caller ?? ''),
    creationTimestamp: now,
    lastUpdatedTimestamp: now,
    ...(fields.comment === undefined ? {} : { comment: fields.comment }),
    ...(fields.systemComment === undefined
      ? {}
      : { systemComment: fields.systemComment }),
  };
}

/**
 * A caller who may request the change asks for it. The request starts its
 * own workflow execution, which waits for a decision until the model's
 * expiry.
 * @param model the model as the route's check read it.
 */
export async function createTransitionRequest(
  deps: RequestDependencies,
  caller: Principal,
  model: ModelAccess,
  input: {
    version: string | number;
    stage: string;
    comment?: string | undefined;
  }
): Promise<{
  request: TransitionRequest;
  settings: TransitionRequestSettings;
}> {
  const to = canonicalStage(input.stage);
  const number = parseVersionNumber(input.version);
  const settings = await settingsOfModel(deps, model);
  let attempts = 0;
  const request = await withOptimisticRetry(deps, async () => {
    // The first attempt plans on the record the check read; one after a
    // lost race (the version moved meanwhile) on a fresh read.
    attempts += 1;
    const record =
      attempts === 1
        ? model.record
        : await deps.store.getModelRecordById(model.record.model.id);
    if (!record) {
      throw new RegisteredModelDoesNotExistError(model.record.model.name);
    }
    const name = record.model.name;
    const from = stageOfVersion(record, number);
    if (from === undefined) {
      throw new ModelVersionDoesNotExistError(name, number);
    }
    if (from === to) {
      throw new InvalidParameterValueError(
        `Version ${number} of '${name}' is already in ${to}.`
      );
    }
    const now = deps.now();
    const created: TransitionRequest = {
      id: deps.newId(),
      modelId: model.record.model.id,
      version: number,
      toStage: to,
      fromStage: from,
      creator: caller.userName,
      comment: input.comment ?? '',
      status: 'OPEN',
      creationTimestamp: now,
      lastUpdatedTimestamp: now,
      expiresAt: now + settings.requestExpirySeconds * 1000,
    };
    await deps.requests.createRequest(
      created,
      {
        id: deps.newId(),
        modelId: created.modelId,
        version: created.version,
        activityType: 'REQUESTED_TRANSITION',
        fromStage: from,
        toStage: to,
        userId: caller.userName,
        creationTimestamp: now,
        lastUpdatedTimestamp: now,
        ...(input.comment === undefined ? {} : { comment: input.comment }),
      },
      requestCreatedEvents(deps, created, { ...model, record }, settings)
    );
    return created;
  });
  try {
    await deps.workflow.start({
      requestId: request.id,
      modelId: request.modelId,
      version: request.version,
      expiresInSeconds: settings.requestExpirySeconds,
    });
  } catch (error) {
    // Never an open request without a workflow behind it.
    await closeRequest(
      deps,
      request,
      'fail',
      'The approval workflow could not be started.'
    );
    throw error;
  }
  return { request, settings };
}

/** An open request with its version's stage now. */
export interface ListedRequest {
  readonly request: TransitionRequest;
  readonly currentStage: Stage;
}

/**
 * Open requests of a version, or of every version of the model without
 * one, oldest first.
 */
export async function listTransitionRequests(
  deps: RequestDependencies,
  model: ModelAccess,
  input: { version?: string | number | undefined }
): Promise<{
  requests: readonly ListedRequest[];
  settings: TransitionRequestSettings;
}> {
  const { record } = model;
  const number =
    input.version === undefined ? undefined : parseVersionNumber(input.version);
  if (number !== undefined && stageOfVersion(record, number) === undefined) {
    throw new ModelVersionDoesNotExistError(record.model.name, number);
  }
  const [requests, settings] = await Promise.all([
    deps.requests.listOpenRequests(record.model.id, number),
    settingsOf(deps, record.model.id),
  ]);
  return {
    // A deleted version's requests are being closed with it.
    requests: requests.flatMap((request) => {
      const currentStage = stageOfVersion(record, request.version);
      return currentStage === undefined ? [] : [{ request, currentStage }];
    }),
    settings,
  };
}

export interface DecisionInput {
  readonly comment?: string | undefined;
}

/** What an approval did: its activity, and the approvals still needed. */
export interface ApprovalResult {
  readonly activity: Activity;
  readonly progress: ApprovalProgress;
}

/**
 * Approves the addressed request. The last approval its policy needs
 * decides it: committed (the commit point) and handed to the request's
 * workflow, which applies the transition; the caller sees it applied in
 * the APPLIED_TRANSITION activity and the version's stage
 * (docs/design-notes.md). An approval before that is recorded, and the request stays open.
 */
export async function approveTransitionRequest(
  deps: RequestDependencies,
  caller: Principal,
  address: RequestAddress,
  input: DecisionInput & { readonly archiveExistingVersions: boolean }
): Promise<ApprovalResult> {
  const { activity, request } = await decide(
    deps,
    caller,
    address,
    'approve',
    input
  );
  return { activity, progress: approvalProgress(request, address.settings) };
}

export async function rejectTransitionRequest(
  deps: RequestDependencies,
  caller: Principal,
  address: RequestAddress,
  input: DecisionInput
): Promise<Activity> {
  return (await decide(deps, caller, address, 'reject', input)).activity;
}

/** Cancel (Databricks' delete): the request's creator, or a Can Manage holder. */
export async function cancelTransitionRequest(
  deps: RequestDependencies,
  caller: Principal,
  address: RequestAddress,
  input: DecisionInput
): Promise<Activity> {
  return (await decide(deps, caller, address, 'cancel', input)).activity;
}

/**
 * Attempts of an approval that loses its race to another approval of the
 * same request (each attempt re-reads the request and is authorized anew).
 */
const APPROVAL_ATTEMPTS = 3;

/**
 * Every user's decision, whichever decider carries it: authorized on the
 * addressed request (rights, separation of duties, distinct approvers),
 * committed as its lifecycle step, then released to the waiting
 * execution.
 * @returns the step's activity and the request as committed.
 */
async function decide(
  deps: RequestDependencies,
  caller: Principal,
  address: RequestAddress,
  event: DecisionEvent,
  input: DecisionInput & { readonly archiveExistingVersions?: boolean }
): Promise<{ activity: Activity; request: TransitionRequest }> {
  let current = address;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await decideOnce(deps, caller, current, event, input);
    } catch (error) {
      const again =
        event === 'approve' && attempt < APPROVAL_ATTEMPTS
          ? await afterConcurrentApproval(deps, current, error)
          : undefined;
      if (!again) throw error;
      current = again;
    }
  }
}

/**
 * After an approval lost its commit to another approval of the same
 * request (still open, with more approvals than read), the address with
 * the request as it is now; otherwise `undefined` (the error stands).
 */
async function afterConcurrentApproval(
  deps: RequestDependencies,
  address: RequestAddress,
  error: unknown
): Promise<RequestAddress | undefined> {
  const read = address.request;
  if (
    !read ||
    !(error instanceof InvalidStateError) ||
    error instanceof StaleRequestError
  ) {
    return undefined;
  }
  const now = await deps.requests.getRequest(
    read.modelId,
    read.version,
    read.id
  );
  const approvals = (request: TransitionRequest) =>
    request.approvals?.length ?? 0;
  return now?.status === 'OPEN' && approvals(now) > approvals(read)
    ? { ...address, request: now }
    : undefined;
}

async function decideOnce(
  deps: RequestDependencies,
  caller: Principal,
  address: RequestAddress,
  decision: DecisionEvent,
  input: DecisionInput & { readonly archiveExistingVersions?: boolean }
): Promise<{ activity: Activity; request: TransitionRequest }> {
  authorize(caller, DECISIONS[decision].ability, requestResource(address));
  const request = addressedRequest(address);
  const progress = approvalProgress(request, address.settings);
  const event: LifecycleEvent =
    decision === 'approve'
      ? approvalEvent(progress.approvers.length, progress.required)
      : decision;
  const step = requireStep(request, event);
  if (step.requiresFromStage && address.currentStage !== request.fromStage) {
    // The version moved since the request was made: the request is stale,
    // so it is closed (with a system activity saying why), not decided.
    await closeRequest(
      deps,
      request,
      'close-stale',
      `Closed because version ${request.version} moved from ${request.fromStage} to ${address.currentStage} after the request was made.`
    );
    throw new InvalidStateError(
      `The request is stale: version ${request.version} is now in ${address.currentStage}, not ${request.fromStage}. It was closed.`
    );
  }
  const approval: Approval | undefined =
    decision === 'approve'
      ? { by: caller.userName, at: deps.now() }
      : undefined;
  const activity = stepActivity(deps, request, step, {
    caller: caller.userName,
    comment: input.comment,
    systemComment:
      approval && progress.required > 1
        ? approvalCount(progress.approvers.length + 1, progress.required)
        : undefined,
  });
  if (!activity) throw new Error(`The ${event} step writes no activity.`);
  const at = activity.creationTimestamp;
  try {
    await deps.requests.commit(request, event, {
      at,
      // A request leaving OPEN is decided; one staying open is not yet.
      ...(step.to === 'OPEN'
        ? {}
        : {
            decision: {
              outcome: step.release ?? 'closed',
              by: caller.userName,
              comment: input.comment,
              at,
              ...(input.archiveExistingVersions === undefined
                ? {}
                : { archiveExistingVersions: input.archiveExistingVersions }),
            },
          }),
      approval,
      activity,
      events: requestStepEvents(deps, request, event, {
        modelName: address.model.record.model.name,
        by: caller.userName,
        comment: input.comment,
      }),
    });
  } catch (error) {
    // The version moved between our read and the commit: stale, as above.
    if (error instanceof StaleRequestError) {
      await closeRequest(
        deps,
        request,
        'close-stale',
        `Closed because ${error.message}`
      );
    }
    throw error;
  }
  await release(deps, request, step);
  return {
    activity,
    request: {
      ...request,
      status: step.to,
      lastUpdatedTimestamp: at,
      ...(approval
        ? { approvals: [...(request.approvals ?? []), approval] }
        : {}),
    },
  };
}

/** The system comment of the n-th of several approvals a request needs. */
function approvalCount(nth: number, required: number): string {
  const left = required - nth;
  return left > 0
    ? `Approval ${nth} of ${required}: the request stays open until ${left} more approver${left === 1 ? '' : 's'} (not the requester) approve${left === 1 ? 's' : ''} it.`
    : `Approval ${nth} of ${required}: the request is approved.`;
}

/** The addressed request, or the 404 that addressing nothing is. */
function addressedRequest(address: RequestAddress): TransitionRequest {
  const name = address.model.record.model.name;
  if (address.currentStage === undefined) {
    throw new ModelVersionDoesNotExistError(name, address.version);
  }
  if (!address.request) {
    throw new ResourceDoesNotExistError(
      `No open request to move version ${address.version} of '${name}' to ${address.to}${address.creator ? ` by ${address.creator}` : ''}.`
    );
  }
  return address.request;
}

/**
 * Hands a committed step to the execution waiting on the request's task
 * token. Without a token yet, the execution's wait step finds the request
 * decided when it stores its token, and forwards the decision itself.
 * Where the token is gone (the execution timed out, ended or died) and
 * the step leaves work to do, a fresh execution takes the request over:
 * the state machine stays the one executor of every step.
 */
async function release(
  deps: RequestDependencies,
  request: TransitionRequest,
  step: LifecycleStep
): Promise<void> {
  if (!step.release) return;
  // Read after the commit: a token stored after our first read counts.
  const current = await deps.requests.getRequest(
    request.modelId,
    request.version,
    request.id
  );
  const token = current?.taskToken;
  if (!current || !token) return;
  const delivered = await deps.workflow.sendDecision(token, step.release);
  if (delivered === 'gone' && workAfter(step.release) !== 'end') {
    await restartWorkflow(deps, current);
  }
}

/** A fresh execution for a request whose execution is gone. */
export async function restartWorkflow(
  deps: Pick<RequestDependencies, 'workflow' | 'now'>,
  request: TransitionRequest
): Promise<void> {
  const now = deps.now();
  await deps.workflow.start(
    {
      requestId: request.id,
      modelId: request.modelId,
      version: request.version,
      expiresInSeconds: Math.max(
        1,
        Math.ceil((request.expiresAt - now) / 1000)
      ),
    },
    now
  );
}

/**
 * Applies an approved request: the same transactional transition (with
 * archival) as a direct one, by the approver. Only the execution that last
 * took the request over applies it (an older one still running ends), and
 * an applied or failed request is left alone.
 * @param executionArn the applying execution, when a workflow applies it.
 */
export async function applyApprovedRequest(
  deps: RequestDependencies,
  request: TransitionRequest,
  executionArn?: string
): Promise<TransitionRequestStatus> {
  const decision = request.decision;
  if (!stepOf(request.status, 'applied') || !decision) return request.status;
  if (
    executionArn !== undefined &&
    request.executionArn !== undefined &&
    request.executionArn !== executionArn
  ) {
    return request.status;
  }
  let event: LifecycleEvent = 'applied';
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
    if (
      !(error instanceof ResourceDoesNotExistError) &&
      !(error instanceof InvalidStateError)
    ) {
      throw error;
    }
    event = 'apply-failed';
  }
  const step = requireStep(request, event);
  try {
    await deps.requests.commit(request, event, { at: deps.now() });
  } catch (error) {
    if (!(error instanceof InvalidStateError)) throw error;
    // Another execution finished it first (or the model went with it).
    const now = await deps.requests.getRequest(
      request.modelId,
      request.version,
      request.id
    );
    return now?.status ?? step.to;
  }
  return step.to;
}

/**
 * A step the registry takes by itself (expiry, a stale request, a failed
 * workflow), with a system activity saying why where its cell has one,
 * released to a waiting execution. A request no longer where the step
 * leaves from is left as it is.
 * @returns whether this call made the step.
 */
export async function closeRequest(
  deps: RequestDependencies,
  request: TransitionRequest,
  event: Extract<LifecycleEvent, 'expire' | 'close-stale' | 'fail'>,
  why: string
): Promise<boolean> {
  const step = stepOf(request.status, event);
  if (!step) return false;
  const activity = stepActivity(deps, request, step, { systemComment: why });
  const at = deps.now();
  try {
    await deps.requests.commit(request, event, {
      at,
      // A request leaving OPEN is decided: by the system, closed.
      ...(request.status === 'OPEN'
        ? { decision: { outcome: 'closed', by: SYSTEM_USER, at } }
        : {}),
      activity,
      events: requestStepEvents(deps, request, event, { by: SYSTEM_USER }),
    });
  } catch (error) {
    if (error instanceof InvalidStateError) return false;
    throw error;
  }
  await release(deps, request, step);
  return true;
}

/** Open-request reads in flight at once while closing stale requests. */
const STALE_REQUEST_READS = 8;

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
  // The versions' open requests are read side by side (an archival moves
  // many versions at once); they are closed one after the other.
  const opens = await mapWithConcurrency(
    changes,
    STALE_REQUEST_READS,
    (change) => deps.requests.listOpenRequests(record.model.id, change.version)
  );
  for (const [index, change] of changes.entries()) {
    for (const request of opens[index] ?? []) {
      const why =
        change.stage === 'DELETED'
          ? `Closed because version ${change.version} was deleted.`
          : request.toStage === change.stage
            ? `Closed because version ${change.version} was moved to ${change.stage} by another transition.`
            : request.fromStage !== change.stage
              ? `Closed because version ${change.version} left ${request.fromStage} for ${change.stage}.`
              : undefined;
      if (why) await closeRequest(deps, request, 'close-stale', why);
    }
  }
}

/**
 * A model's settings, by its managers: separation of duties, expiry, and
 * protected stages and approvals on top of the registry's policy (never
 * below it).
 */
export async function setTransitionRequestSettings(
  deps: RequestDependencies,
  record: ModelRecord,
  input: {
    separationOfDutiesStages?: readonly string[] | undefined;
    requestExpirySeconds?: number | undefined;
    reminderAfterSeconds?: number | undefined;
    protectedStages?: readonly string[] | undefined;
    requiredApprovals?: number | undefined;
  }
): Promise<TransitionRequestSettings> {
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
  if (input.reminderAfterSeconds !== undefined) {
    changes.reminderAfterSeconds = validateReminderAfter(
      input.reminderAfterSeconds
    );
  }
  if (
    input.protectedStages !== undefined ||
    input.requiredApprovals !== undefined
  ) {
    const { registry } = await deps.requests.getSettings(record.model.id);
    Object.assign(
      changes,
      validateModelPolicy(registryPolicy(registry), {
        protectedStages: input.protectedStages,
        requiredApprovals: input.requiredApprovals,
      })
    );
  }
  await deps.requests.setSettings(record.model.id, changes);
  return settingsOf(deps, record.model.id);
}

/** The registry's protected-stage policy, for every model. */
export async function getRegistryPolicy(deps: {
  readonly requests: Pick<TransitionRequestStore, 'getRegistryPolicy'>;
}): Promise<StagePolicy> {
  return registryPolicy(await deps.requests.getRegistryPolicy());
}

/**
 * Sets the registry's policy (admins; the route's check holds them to
 * that). Fields left out keep their value. Models keep what their managers
 * added on top; nothing a model stored lowers the new policy.
 */
export async function setRegistryPolicy(
  deps: {
    readonly requests: Pick<
      TransitionRequestStore,
      'getRegistryPolicy' | 'setRegistryPolicy'
    >;
  },
  input: {
    readonly protectedStages?: readonly string[] | undefined;
    readonly requiredApprovals?: number | undefined;
  }
): Promise<StagePolicy> {
  const changes = validateRegistryPolicy(input);
  const policy = { ...(await getRegistryPolicy(deps)), ...changes };
  await deps.requests.setRegistryPolicy(policy);
  return policy;
}
