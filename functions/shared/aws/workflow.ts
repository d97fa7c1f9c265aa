import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnApprovalWorkflow } from '#adapters/sfn/approval-workflow.ts';
import { getStringFromEnv } from '../config.ts';
import { needEnvironment } from '../needs.ts';
import { tracer } from '../powertools.ts';

/**
 * The transition-request state machine, through the function's one Step
 * Functions client, traced (`AWS_ENDPOINT_URL_SFN` locally).
 * @throws Error when `TRANSITION_REQUEST_STATE_MACHINE_ARN` is not set.
 */
export function approvalWorkflowFromEnv(): SfnApprovalWorkflow {
  return new SfnApprovalWorkflow({
    client: tracer.captureAWSv3Client(new SFNClient({})),
    stateMachineArn: getStringFromEnv(
      needEnvironment.transitionRequestWorkflow
    ),
  });
}
