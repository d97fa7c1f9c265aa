import { randomBytes } from 'node:crypto';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { OutboxNotifier } from '#adapters/dynamodb/outbox-notifier.ts';
import { DynamoDBTransitionRequestStore } from '#adapters/dynamodb/transition-request-store.ts';
import { DynamoDBWebhookStore } from '#adapters/dynamodb/webhook-store.ts';
import { SfnApprovalWorkflow } from '#adapters/sfn/approval-workflow.ts';
import {
  closeStaleRequests,
  type RequestDependencies,
} from '#domain/registry/requests.ts';
import { registryTableFromEnv } from './aws.ts';
import { getStringFromEnv } from './config.ts';

/**
 * The registry's dependencies with transition requests wired in: for the
 * function groups whose writes can make requests stale, and for the
 * workflow's own function. Called once, at a handler's module scope.
 */
export function requestDependenciesFromEnv(): RequestDependencies {
  const table = registryTableFromEnv();
  const requests = new DynamoDBTransitionRequestStore(table);
  const deps: RequestDependencies = {
    store: new DynamoDBModelRegistryStore(table),
    requests,
    workflow: new SfnApprovalWorkflow({
      client: new SFNClient({}),
      stateMachineArn: getStringFromEnv('TRANSITION_REQUEST_STATE_MACHINE_ARN'),
    }),
    notifier: new OutboxNotifier({ requests }),
    webhooks: new DynamoDBWebhookStore(table),
    now: () => Date.now(),
    newId: () => randomBytes(16).toString('hex'),
    afterVersionChanges: (record, changes) =>
      closeStaleRequests(deps, record, changes),
  };
  return deps;
}
