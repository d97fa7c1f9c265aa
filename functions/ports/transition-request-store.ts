import type { Activity } from '#domain/activity.ts';
import type { RegistryEvent } from '#domain/events.ts';
import type { StagePolicy } from '#domain/stage-policy.ts';
import type { Stage } from '#domain/stages.ts';
import type {
  Approval,
  TransitionRequest,
  TransitionRequestSettings,
} from '#domain/transition-request.ts';
import type { LifecycleEvent } from '#domain/transition-request-lifecycle.ts';

/** What a lifecycle step writes besides the request's new status. */
export interface LifecycleChange {
  /** Epoch ms: the request's `lastUpdatedTimestamp`. */
  readonly at: number;
  /** How the request was decided (user decisions and system closes). */
  readonly decision?: TransitionRequest['decision'];
  /** The step's activity, in the same transaction. */
  readonly activity?: Activity | undefined;
  /** The events the step announces (the outbox, same transaction). */
  readonly events?: readonly RegistryEvent[] | undefined;
  /**
   * An approval to append to the request's approvals, committed only if
   * the request still has exactly the approvals it was read with: of two
   * concurrent approvals on one read, one commits.
   */
  readonly approval?: Approval | undefined;
}

/**
 * What is stored for a model (its managers' choices: the protected stages
 * and approvals they added on top of the registry's policy) and the
 * registry's policy; the domain merges them with the defaults.
 */
export interface StoredSettings {
  readonly model: Partial<TransitionRequestSettings>;
  readonly registry: Partial<StagePolicy>;
}

/** An open request with its position in the newest-first walk. */
export interface PositionedRequest {
  readonly request: TransitionRequest;
  /** Opaque; resume a walk strictly after it. */
  readonly position: string;
}

export interface OpenRequestsPage {
  readonly requests: readonly PositionedRequest[];
  /** True when the walk has nothing after the last request returned. */
  readonly exhausted: boolean;
}

/**
 * Transition requests, their lifecycle, comments and settings; each write
 * that announces something takes its events into the same transaction
 * (the outbox). Every change of a request's status is one cell of
 * `LIFECYCLE` (transition-request-lifecycle.ts), committed conditioned on
 * the status it leaves: of concurrent events exactly one commits.
 */
export interface TransitionRequestStore {
  /**
   * Stores an open request with its REQUESTED_TRANSITION activity and
   * events, if the
   * version is still in `fromStage` and the creator has no open request for
   * the same version and stage.
   * @throws ResourceAlreadyExistsError for a duplicate open request;
   *   ConcurrentModificationError when the version changed stage.
   */
  createRequest(
    request: TransitionRequest,
    activity: Activity,
    events?: readonly RegistryEvent[]
  ): Promise<void>;
  getRequest(
    modelId: string,
    version: number,
    requestId: string
  ): Promise<TransitionRequest | undefined>;
  /** By id alone (callbacks); `undefined` when unknown. */
  findRequestById(requestId: string): Promise<TransitionRequest | undefined>;
  /**
   * A version's open requests (every version's, without one), oldest
   * first.
   */
  listOpenRequests(
    modelId: string,
    version?: number
  ): Promise<readonly TransitionRequest[]>;
  /**
   * The registry's open requests, newest first (by creation, then id),
   * strictly after `after` when given, at most `limit`: the inbox's walk,
   * an index query, never a scan. Eventually consistent; approved
   * requests not yet applied are left out.
   */
  listOpenRequestsNewestFirst(query: {
    readonly after?: string | undefined;
    readonly limit: number;
  }): Promise<OpenRequestsPage>;
  /**
   * Every request of the registry whose workflow has work left (`isPending`:
   * open, or approved and not yet applied), for re-arming executions.
   */
  listPendingRequests(): Promise<readonly TransitionRequest[]>;
  /**
   * Commits `event` on a request read in `request.status`: the status
   * becomes the step's `to`, with the change's decision and activity, only
   * if the request is still in that status (and, for a step that
   * `requiresFromStage`, its version still in `request.fromStage`). The
   * open-request lock goes once the request leaves OPEN.
   * @throws InvalidStateError when the request has left that status, or
   *   the event cannot happen in it; StaleRequestError when the version
   *   left the stage the request was made from.
   */
  commit(
    request: TransitionRequest,
    event: LifecycleEvent,
    change: LifecycleChange
  ): Promise<void>;
  /**
   * Records the execution that takes the request over (its `start` step).
   * @returns false when the request is no longer pending.
   */
  recordExecution(
    request: TransitionRequest,
    executionArn: string
  ): Promise<boolean>;
  /**
   * Stores the waiting execution's task token (its `wait` step).
   * @returns false when the request is no longer open (decided meanwhile).
   */
  setTaskToken(request: TransitionRequest, taskToken: string): Promise<boolean>;

  /** Stores a comment with the events that announce it. */
  putComment(
    activity: Activity,
    events?: readonly RegistryEvent[]
  ): Promise<void>;
  findCommentById(commentId: string): Promise<Activity | undefined>;
  updateComment(
    activity: Activity,
    comment: string,
    now: number
  ): Promise<void>;
  deleteComment(activity: Activity): Promise<void>;

  /**
   * A model's stored settings with the registry's policy, in one round
   * trip: every decision and every check of a direct transition needs
   * both.
   */
  getSettings(modelId: string): Promise<StoredSettings>;
  /**
   * {@link getSettings} of many models at once (missing ones have `{}`),
   * with the registry's policy read once.
   */
  getSettingsOfModels(modelIds: readonly string[]): Promise<{
    readonly models: ReadonlyMap<string, Partial<TransitionRequestSettings>>;
    readonly registry: Partial<StagePolicy>;
  }>;
  /** Merges `settings` into the model's stored settings. */
  setSettings(
    modelId: string,
    settings: Partial<TransitionRequestSettings>
  ): Promise<void>;
  /** The registry's stored protected-stage policy (`{}` until set). */
  getRegistryPolicy(): Promise<Partial<StagePolicy>>;
  /** Replaces the registry's protected-stage policy. */
  setRegistryPolicy(policy: StagePolicy): Promise<void>;

  /**
   * Marks an open request reminded (`reminderSentAt`), with the reminder's
   * events, once: only while it is still OPEN and was never reminded.
   * @returns false when it was reminded already or is no longer open.
   */
  recordReminder(
    request: TransitionRequest,
    at: number,
    events: readonly RegistryEvent[]
  ): Promise<boolean>;
}

export type { Stage };
