import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBOutboxStore } from '#adapters/dynamodb/outbox-store.ts';
import { DynamoDBSlackStore } from '#adapters/dynamodb/slack-store.ts';
import type { RequestDependencies } from '#domain/registry/requests.ts';
import {
  createCommentOperation,
  deleteCommentOperation,
  updateCommentOperation,
} from '#handlers/api/transition-requests/comments.ts';
import {
  getRegistryPolicyOperation,
  updateRegistryPolicyOperation,
} from '#handlers/api/transition-requests/policy.ts';
import {
  approveTransitionRequestOperation,
  createTransitionRequestOperation,
  deleteTransitionRequestOperation,
  listTransitionRequestInboxOperation,
  listTransitionRequestsOperation,
  rejectTransitionRequestOperation,
} from '#handlers/api/transition-requests/requests.ts';
import {
  getTransitionRequestSettingsOperation,
  listNotificationsOperation,
  type NotificationDependencies,
  setTransitionRequestSettingsOperation,
} from '#handlers/api/transition-requests/settings.ts';
import {
  getRegistrySlackSettingsOperation,
  getSlackSettingsOperation,
  type SlackSettingsDependencies,
  updateRegistrySlackSettingsOperation,
  updateSlackSettingsOperation,
} from '#handlers/api/transition-requests/slack-settings.ts';
import { requestDependencies } from '#shared/request-dependencies.ts';
import {
  defineApiRoot,
  type GuardDependencies,
  registryTableNeed,
} from '../api-root.ts';

export type TransitionRequestsDependencies = RequestDependencies &
  NotificationDependencies &
  SlackSettingsDependencies &
  GuardDependencies;

/** Requests, decisions, comments and settings: the workflow, no artifacts. */
export const transitionRequestsRoot =
  defineApiRoot<TransitionRequestsDependencies>()({
    group: 'transition-requests',
    needs: { table: registryTableNeed, transitionRequestWorkflow: 'request' },
    operations: [
      createTransitionRequestOperation,
      listTransitionRequestsOperation,
      approveTransitionRequestOperation,
      rejectTransitionRequestOperation,
      deleteTransitionRequestOperation,
      createCommentOperation,
      updateCommentOperation,
      deleteCommentOperation,
      getTransitionRequestSettingsOperation,
      setTransitionRequestSettingsOperation,
      listNotificationsOperation,
      listTransitionRequestInboxOperation,
      getRegistryPolicyOperation,
      updateRegistryPolicyOperation,
      getSlackSettingsOperation,
      updateSlackSettingsOperation,
      getRegistrySlackSettingsOperation,
      updateRegistrySlackSettingsOperation,
    ],
    wire: ({ table, workflow }) => ({
      ...requestDependencies({ table, workflow }),
      outbox: new DynamoDBOutboxStore(table),
      identities: new DynamoDBIdentityStore(table),
      slack: new DynamoDBSlackStore(table),
    }),
  });
