import type { ActivityType } from './activity.ts';
import { InvalidStateError } from './errors.ts';
import type {
  DecisionOutcome,
  TransitionRequestStatus,
} from './transition-request.ts';

/** What can happen to a transition request. */
export type LifecycleEvent =
  /** An execution of the request's workflow takes it over. */
  | 'start'
  /**
   * The execution waits for a decision. Approvers were told by the
   * request's `TRANSITION_REQUEST_CREATED` event, written with it.
   */
  | 'wait'
  /** A user's decisions, from any channel, through the one decide path. */
  | 'approve'
  /**
   * An approval that is not yet the last one a request to a protected
   * stage needs: recorded, and the request stays open for the others.
   */
  | 'approve-partially'
  | 'reject'
  | 'cancel'
  /** Nobody decided before the request's expiry. */
  | 'expire'
  /** Its version left the stage it was asked from, or was deleted. */
  | 'close-stale'
  /** Its workflow failed for good. */
  | 'fail'
  /** The approved transition committed. */
  | 'applied'
  /** The approved transition could not be made (version moved or gone). */
  | 'apply-failed';

/** The events a user decides, with the ability each takes. */
export type DecisionEvent = Extract<
  LifecycleEvent,
  'approve' | 'reject' | 'cancel'
>;

/** Whose name the activity of a step carries. */
export type ActivityAuthor =
  /** The user whose call made the event. */
  | 'caller'
  /** `system` (Databricks' `user_id` of what the registry does itself). */
  | 'system'
  /** The user who approved the request. */
  | 'approver';

/** What the request's execution does in a status. */
export type WorkflowWork =
  /** Wait for a decision (until the expiry). */
  | 'wait'
  /** Apply the approved transition. */
  | 'apply'
  /** Nothing: the execution ends. */
  | 'end';

/** One cell of the lifecycle: an event in a status. */
export interface LifecycleStep {
  /** The status the request is in afterwards. */
  readonly to: TransitionRequestStatus;
  /**
   * The activity written in the same commit as the status. With
   * `withTransition`, the transition's own commit writes it (with a
   * SYSTEM_TRANSITION per archived version), not the request's.
   */
  readonly activity?:
    | {
        readonly type: ActivityType;
        readonly by: ActivityAuthor;
        readonly withTransition?: true;
      }
    | undefined;
  /**
   * The decision sent to the execution waiting on the request's task token
   * (SendTaskSuccess) once the step committed. Absent when nothing waits.
   */
  readonly release?: DecisionOutcome | undefined;
  /**
   * The step commits only while the version is still in the stage the
   * request was made from; otherwise the request is stale.
   */
  readonly requiresFromStage?: true;
}

const SYSTEM_CLOSE = {
  type: 'CANCELLED_REQUEST',
  by: 'system',
} as const satisfies LifecycleStep['activity'];

/**
 * The lifecycle of a transition request: status × event → the step. An
 * event missing from a status cannot happen there; the store commits each
 * step conditioned on the status it leaves, so of concurrent events exactly
 * one commits. Statuses without a `start` step are final.
 */
export const LIFECYCLE: Readonly<
  Record<
    TransitionRequestStatus,
    Readonly<Partial<Record<LifecycleEvent, LifecycleStep>>>
  >
> = {
  OPEN: {
    start: { to: 'OPEN' },
    wait: { to: 'OPEN' },
    approve: {
      to: 'APPROVED',
      activity: { type: 'APPROVED_REQUEST', by: 'caller' },
      release: 'approved',
      requiresFromStage: true,
    },
    // Nothing is released: the execution keeps waiting for the last one.
    'approve-partially': {
      to: 'OPEN',
      activity: { type: 'APPROVED_REQUEST', by: 'caller' },
      requiresFromStage: true,
    },
    reject: {
      to: 'REJECTED',
      activity: { type: 'REJECTED_REQUEST', by: 'caller' },
      release: 'rejected',
    },
    cancel: {
      to: 'CANCELLED',
      activity: { type: 'CANCELLED_REQUEST', by: 'caller' },
      release: 'cancelled',
    },
    // The wait itself timed out: nothing is left to release.
    expire: { to: 'EXPIRED', activity: SYSTEM_CLOSE },
    'close-stale': { to: 'CLOSED', activity: SYSTEM_CLOSE, release: 'closed' },
    fail: { to: 'FAILED', activity: SYSTEM_CLOSE, release: 'closed' },
  },
  APPROVED: {
    start: { to: 'APPROVED' },
    applied: {
      to: 'APPLIED',
      activity: {
        type: 'APPLIED_TRANSITION',
        by: 'approver',
        withTransition: true,
      },
    },
    'apply-failed': { to: 'FAILED' },
    fail: { to: 'FAILED' },
  },
  APPLIED: {},
  REJECTED: {},
  CANCELLED: {},
  EXPIRED: {},
  CLOSED: {},
  FAILED: {},
};

export const REQUEST_STATUSES = Object.keys(
  LIFECYCLE
) as readonly TransitionRequestStatus[];

/** The step of `event` in `status`, if the event can happen there. */
export function stepOf(
  status: TransitionRequestStatus,
  event: LifecycleEvent
): LifecycleStep | undefined {
  return LIFECYCLE[status][event];
}

/**
 * The step of `event` for a request in `status`.
 * @throws InvalidStateError when the event cannot happen in that status.
 */
export function requireStep(
  request: { readonly id: string; readonly status: TransitionRequestStatus },
  event: LifecycleEvent
): LifecycleStep {
  const step = stepOf(request.status, event);
  if (!step) {
    throw new InvalidStateError(
      `Transition request ${request.id} is ${request.status}, which no '${event}' step leaves.`
    );
  }
  return step;
}

/**
 * The event a user's approval is, given the approvals the request already
 * has and the ones it needs: the last needed one approves it (and hands it
 * to the workflow); any before it is recorded and leaves it open.
 */
export function approvalEvent(
  approvalsBefore: number,
  required: number
): Extract<LifecycleEvent, 'approve' | 'approve-partially'> {
  return approvalsBefore + 1 >= required ? 'approve' : 'approve-partially';
}

/** The statuses `event` can leave. */
export function statusesLeavingBy(
  event: LifecycleEvent
): TransitionRequestStatus[] {
  return REQUEST_STATUSES.filter((status) => stepOf(status, event));
}

/** Whether a request in `status` still has its workflow's work ahead. */
export function isPending(status: TransitionRequestStatus): boolean {
  return stepOf(status, 'start') !== undefined;
}

/**
 * What an execution does with a request in `status`: wait for a decision
 * while a user can still decide it, apply it once it is approved, else
 * end. The state machine's Choice states route the same way (a test holds
 * them together).
 */
export function workIn(status: TransitionRequestStatus): WorkflowWork {
  if (stepOf(status, 'wait')) return 'wait';
  if (stepOf(status, 'applied')) return 'apply';
  return 'end';
}

/** Every step of the table. */
function allSteps(): LifecycleStep[] {
  return REQUEST_STATUSES.flatMap((status) => Object.values(LIFECYCLE[status]));
}

/**
 * What an execution does after receiving `outcome` on its task token: the
 * work of the status the releasing step leads to (every step releasing an
 * outcome leads to the same work; a test holds the table to that).
 */
export function workAfter(outcome: DecisionOutcome): WorkflowWork {
  const step = allSteps().find((candidate) => candidate.release === outcome);
  return step ? workIn(step.to) : 'end';
}

/** Every outcome a step may send to a waiting execution. */
export function releasedOutcomes(): DecisionOutcome[] {
  return [
    ...new Set(
      allSteps().flatMap((step) => (step.release ? [step.release] : []))
    ),
  ];
}
