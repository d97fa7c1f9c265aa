import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBTransitionRequestStore } from '#adapters/dynamodb/transition-request-store.ts';
import { DynamoDBWebhookStore } from '#adapters/dynamodb/webhook-store.ts';
import {
  closeStaleRequests,
  type RequestDependencies,
} from '#domain/registry/requests.ts';
import type { ApprovalWorkflow } from '#ports/approval-workflow.ts';
import type { RegistryTable } from './resources.ts';
import { newId, now } from './system.ts';

/**
 * The registry's dependencies with transition requests wired in: for the
 * function groups whose writes can make requests stale, and for the
 * workflow's own function.
 */
export function requestDependencies(resources: {
  table: RegistryTable;
  workflow: ApprovalWorkflow;
}): RequestDependencies {
  const { table, workflow } = resources;
  const requests = new DynamoDBTransitionRequestStore(table);
  const deps: RequestDependencies = {
    store: new DynamoDBModelRegistryStore(table),
    requests,
    workflow,
    webhooks: new DynamoDBWebhookStore(table),
    now,
    newId,
    afterVersionChanges: (record, changes) =>
      closeStaleRequests(deps, record, changes),
  };
  return deps;
}
