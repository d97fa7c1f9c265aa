import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type {
  ApprovalWorkflow,
  ApprovalWorkflowInput,
  ExecutionState,
} from '#ports/approval-workflow.ts';

/** {@link ApprovalWorkflow} on a Standard Step Functions state machine. */
export class SfnApprovalWorkflow implements ApprovalWorkflow {
  readonly #client: SFNClient;
  readonly #stateMachineArn: string;

  constructor(options: { client: SFNClient; stateMachineArn: string }) {
    this.#client = options.client;
    this.#stateMachineArn = options.stateMachineArn;
  }

  async start(input: ApprovalWorkflowInput, attempt = 1): Promise<void> {
    try {
      await this.#client.send(
        new StartExecutionCommand({
          stateMachineArn: this.#stateMachineArn,
          // The request id names the execution, so a retried start is
          // idempotent (same name, same input).
          name:
            attempt === 1 ? input.requestId : `${input.requestId}-${attempt}`,
          input: JSON.stringify(input),
        })
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  }

  async sendDecision(
    taskToken: string,
    outcome: string
  ): Promise<'delivered' | 'gone'> {
    try {
      await this.#client.send(
        new SendTaskSuccessCommand({
          taskToken,
          output: JSON.stringify({ outcome }),
        })
      );
      return 'delivered';
    } catch (error) {
      if (error instanceof TaskTimedOut || error instanceof InvalidToken) {
        return 'gone';
      }
      throw error;
    }
  }

  async executionState(executionArn: string): Promise<ExecutionState> {
    try {
      const { status } = await this.#client.send(
        new DescribeExecutionCommand({ executionArn })
      );
      return status === 'RUNNING' || status === 'PENDING_REDRIVE'
        ? 'running'
        : 'ended';
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return 'missing';
      throw error;
    }
  }
}
