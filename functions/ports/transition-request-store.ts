import type { Activity } from '#domain/activity.ts';
import type { Stage } from '#domain/stages.ts';
import type {
  TransitionRequest,
  TransitionRequestSettings,
  TransitionRequestStatus,
} from '#domain/transition-request.ts';

/** A notification the notifier recorded (the outbox). */
export interface Notification {
  readonly id: string;
  readonly modelId: string;
  readonly version: number;
  readonly requestId: string;
  readonly event: 'TRANSITION_REQUEST_CREATED';
  readonly text: string;
  readonly creationTimestamp: number;
}

/**
 * Transition requests, their decisions, comments, settings and the
 * notification outbox. The decision is one conditional transaction (OPEN →
 * decided, the open-request lock released, the activity written), so
 * exactly one decision commits.
 */
export interface TransitionRequestStore {
  /**
   * Stores an open request with its REQUESTED_TRANSITION activity, if the
   * version is still in `fromStage` and the creator has no open request for
   * the same version and stage.
   * @throws ResourceAlreadyExistsError for a duplicate open request;
   *   ConcurrentModificationError when the version changed stage.
   */
  createRequest(request: TransitionRequest, activity: Activity): Promise<void>;
  getRequest(
    modelId: string,
    version: number,
    requestId: string
  ): Promise<TransitionRequest | undefined>;
  /** By id alone (callbacks); `undefined` when unknown. */
  findRequestById(requestId: string): Promise<TransitionRequest | undefined>;
  /** A version's open requests, oldest first. */
  listOpenRequests(
    modelId: string,
    version: number
  ): Promise<readonly TransitionRequest[]>;
  /** Every open request of the registry (restart re-arming, sweeps). */
  listAllOpenRequests(): Promise<readonly TransitionRequest[]>;
  /**
   * Commits a decision: status OPEN → `status`, with the activity.
   * @throws InvalidStateError when the request is no longer open.
   */
  decide(
    request: TransitionRequest,
    status: Exclude<TransitionRequestStatus, 'OPEN'>,
    decision: NonNullable<TransitionRequest['decision']>,
    activity: Activity | undefined
  ): Promise<void>;
  /**
   * Stores the waiting execution's task token.
   * @returns false when the request is no longer open (decided meanwhile).
   */
  setTaskToken(request: TransitionRequest, taskToken: string): Promise<boolean>;
  /** APPROVED → APPLIED or FAILED; idempotent. */
  markFinal(
    request: TransitionRequest,
    status: 'APPLIED' | 'FAILED',
    now: number
  ): Promise<void>;

  putComment(activity: Activity): Promise<void>;
  findCommentById(commentId: string): Promise<Activity | undefined>;
  updateComment(
    activity: Activity,
    comment: string,
    now: number
  ): Promise<void>;
  deleteComment(activity: Activity): Promise<void>;

  getSettings(modelId: string): Promise<Partial<TransitionRequestSettings>>;
  setSettings(
    modelId: string,
    settings: Partial<TransitionRequestSettings>
  ): Promise<void>;

  recordNotification(notification: Notification): Promise<void>;
  listNotifications(
    modelId: string,
    version: number
  ): Promise<readonly Notification[]>;
}

export type { Stage };
