import {
  DEFAULT_REGISTRY_POLICY,
  isProtected,
  type StagePolicy,
} from './stage-policy.ts';
import type { Stage } from './stages.ts';

/**
 * The life of a request: which event may move it from which status is the
 * table `LIFECYCLE` (transition-request-lifecycle.ts). OPEN is the only
 * status a decision may leave; the conditional write of the decision is
 * the commit point, so exactly one of approve, reject, cancel, expire or a
 * system close wins.
 */
export type TransitionRequestStatus =
  | 'OPEN'
  | 'APPROVED'
  | 'APPLIED'
  | 'REJECTED'
  | 'CANCELLED'
  | 'EXPIRED'
  | 'CLOSED'
  | 'FAILED';

export type DecisionOutcome = 'approved' | 'rejected' | 'cancelled' | 'closed';

export interface TransitionRequest {
  /** Stable id (extension), so Slack and email callbacks can address it. */
  readonly id: string;
  readonly modelId: string;
  readonly version: number;
  readonly toStage: Stage;
  /** The version's stage when the request was made. */
  readonly fromStage: Stage;
  /** User name of the creator (Databricks' `user_id`). */
  readonly creator: string;
  readonly comment: string;
  readonly status: TransitionRequestStatus;
  readonly creationTimestamp: number;
  readonly lastUpdatedTimestamp: number;
  /** When the request expires unless decided (epoch ms). */
  readonly expiresAt: number;
  /** The waiting execution's task token, once the workflow has one. */
  readonly taskToken?: string | undefined;
  /**
   * The execution that last took the request over (its ARN): the one
   * executor of the request's steps; an older execution still running
   * ends without applying anything.
   */
  readonly executionArn?: string | undefined;
  /** When the one reminder of an open request went out (epoch ms). */
  readonly reminderSentAt?: number | undefined;
  /**
   * The approvals recorded so far, oldest first: each by a distinct
   * approver. A request to a protected stage stays OPEN until it has the
   * approvals its policy requires; the last one decides it.
   */
  readonly approvals?: readonly Approval[] | undefined;
  /** How it was decided. */
  readonly decision?:
    | {
        readonly outcome: DecisionOutcome;
        readonly by: string;
        readonly comment?: string | undefined;
        readonly archiveExistingVersions?: boolean | undefined;
        readonly at: number;
      }
    | undefined;
}

/** One approver's approval of a request. */
export interface Approval {
  /** The approver's user name. */
  readonly by: string;
  /** Epoch ms. */
  readonly at: number;
}

/**
 * The per-model workflow settings (README, "Transition requests"), with
 * the model's protected-stage policy: what `settingsOf` answers is the
 * policy in force, the registry's with what the model's managers added.
 */
export interface TransitionRequestSettings extends StagePolicy {
  /**
   * Stages whose requests their creator may not approve (separation of
   * duties). @default ['Production']
   */
  readonly separationOfDutiesStages: readonly Stage[];
  /** Seconds until an undecided request expires. @default 7 days */
  readonly requestExpirySeconds: number;
  /**
   * Seconds a request may stay open before its possible approvers get one
   * reminder (`TRANSITION_REQUEST_REMINDER`); 0 sends none. @default 1 day
   */
  readonly reminderAfterSeconds: number;
}

/**
 * Whether the creator of a request to `to` is kept from deciding it: the
 * stage is one of the separation-of-duties stages, or a protected stage
 * (whose approvals come from others). The one rule both the authorization
 * check and the list of possible approvers follow.
 */
export function separatesDuties(
  settings: Pick<TransitionRequestSettings, 'separationOfDutiesStages'> &
    StagePolicy,
  to: Stage
): boolean {
  return (
    settings.separationOfDutiesStages.includes(to) || isProtected(settings, to)
  );
}

/** The settings of a model nobody configured, under the default policy. */
export const DEFAULT_TRANSITION_REQUEST_SETTINGS: TransitionRequestSettings = {
  separationOfDutiesStages: ['Production'],
  requestExpirySeconds: 7 * 24 * 3600,
  reminderAfterSeconds: 24 * 3600,
  ...DEFAULT_REGISTRY_POLICY,
};

/** Databricks' actions on a request, computed for the caller. */
export type TransitionRequestAction =
  | 'APPROVE_TRANSITION_REQUEST'
  | 'REJECT_TRANSITION_REQUEST'
  | 'CANCEL_TRANSITION_REQUEST';
