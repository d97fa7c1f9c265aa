import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { createApiHandler } from '#http/api-handler.ts';
import { registryTableFromEnv } from '#shared/aws.ts';
import { requestDependenciesFromEnv } from '#shared/request-dependencies.ts';
import {
  createCommentOperation,
  deleteCommentOperation,
  updateCommentOperation,
} from './transition-requests/comments.ts';
import {
  approveTransitionRequestOperation,
  createTransitionRequestOperation,
  deleteTransitionRequestOperation,
  listTransitionRequestsOperation,
  rejectTransitionRequestOperation,
} from './transition-requests/requests.ts';
import {
  getTransitionRequestSettingsOperation,
  listNotificationsOperation,
  setTransitionRequestSettingsOperation,
} from './transition-requests/settings.ts';

const deps = requestDependenciesFromEnv();

export const handler = createApiHandler({
  group: 'transition-requests',
  deps,
  guard: createRouteGuard({
    identities: new DynamoDBIdentityStore(registryTableFromEnv()),
    store: deps.store,
    requests: deps.requests,
  }),
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
  ],
});
