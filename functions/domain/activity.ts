import type { Stage } from './stages.ts';

/** Databricks' activity types (the per-version feed). */
export type ActivityType =
  | 'APPLIED_TRANSITION'
  | 'REQUESTED_TRANSITION'
  | 'CANCELLED_REQUEST'
  | 'APPROVED_REQUEST'
  | 'REJECTED_REQUEST'
  | 'SYSTEM_TRANSITION'
  | 'NEW_COMMENT';

export interface Activity {
  readonly id: string;
  readonly modelId: string;
  readonly version: number;
  readonly activityType: ActivityType;
  readonly fromStage?: Stage | undefined;
  readonly toStage?: Stage | undefined;
  readonly userId: string;
  readonly creationTimestamp: number;
  readonly lastUpdatedTimestamp: number;
  /** The user's own text. */
  readonly comment?: string | undefined;
  /** What the system did as a side effect, and why. */
  readonly systemComment?: string | undefined;
}
