import type { DecisionOutcome } from '#domain/transition-request.ts';

/** What a request's execution starts with. */
export interface ApprovalWorkflowInput {
  readonly requestId: string;
  readonly modelId: string;
  readonly version: number;
  /** The callback state's timeout: the request expires then. */
  readonly expiresInSeconds: number;
}

/**
 * The approval workflow of one transition request (a Standard Step
 * Functions execution). Decisions are committed in the table first; this
 * port only tells the waiting execution.
 */
export interface ApprovalWorkflow {
  /**
   * Starts an execution for the request. `attempt` distinguishes a later
   * execution (re-armed after a local restart, or taking over an approved
   * request whose execution is gone) from the first one.
   */
  start(input: ApprovalWorkflowInput, attempt?: number): Promise<void>;
  /**
   * Hands a committed decision to the waiting execution.
   * @returns 'gone' when the task token is no longer valid (timed out,
   *   already answered, or the execution is gone); the caller then starts
   *   a fresh execution if the decision leaves work to do.
   */
  sendDecision(
    taskToken: string,
    outcome: DecisionOutcome
  ): Promise<'delivered' | 'gone'>;
  /**
   * Whether the execution recorded on a request still runs: `running`,
   * `ended` (succeeded, failed, timed out or stopped) or `missing` (never
   * existed here, or deleted with its state machine). Only the scheduled
   * reconciliation asks.
   */
  executionState(executionArn: string): Promise<ExecutionState>;
}

export type ExecutionState = 'running' | 'ended' | 'missing';
