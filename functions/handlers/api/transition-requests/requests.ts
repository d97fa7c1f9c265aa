import { z } from 'zod';
import { parseVersionNumber } from '#domain/model-version.ts';
import {
  approveTransitionRequest,
  availableActions,
  cancelTransitionRequest,
  createTransitionRequest,
  listTransitionRequests,
  type RequestDependencies,
  rejectTransitionRequest,
  settingsOf,
} from '#domain/registry/requests.ts';
import type { TransitionRequest } from '#domain/transition-request.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import { activityJson } from '#http/wire.ts';

type Context = OperationContext<RequestDependencies>;

/**
 * Databricks' `TransitionRequest`, plus the stable `id` (an extension) and
 * `from_stage`, so it also reads as the `Activity` that `list` returns.
 */
function requestJson(request: TransitionRequest, actions: readonly string[]) {
  return {
    id: request.id,
    activity_type: 'REQUESTED_TRANSITION',
    from_stage: request.fromStage,
    to_stage: request.toStage,
    user_id: request.creator,
    creation_timestamp: request.creationTimestamp,
    last_updated_timestamp: request.lastUpdatedTimestamp,
    ...(request.comment ? { comment: request.comment } : {}),
    available_actions: actions,
  };
}

const decisionFields = {
  name: fields.string(),
  version: versionField(),
  stage: fields.string(),
  comment: fields.optionalString(),
  request_id: fields.optionalString(),
};

export const createTransitionRequestOperation = defineOperation({
  operation: 'createTransitionRequest',
  input: z.object({
    name: fields.string(),
    version: versionField(),
    stage: fields.string(),
    comment: fields.optionalString(),
  }),
  run: async (input, { deps, principal, access }: Context) => {
    const { request, record } = await createTransitionRequest(
      deps,
      principal,
      input
    );
    const settings = await settingsOf(deps, record.model.id);
    return {
      request: requestJson(
        request,
        availableActions(
          principal,
          access.level ?? 'NO_PERMISSIONS',
          request,
          request.fromStage,
          settings
        )
      ),
    };
  },
});

export const listTransitionRequestsOperation = defineOperation({
  operation: 'listTransitionRequests',
  input: z.object({ name: fields.string(), version: versionField() }),
  run: async (input, { deps, principal, access }: Context) => {
    parseVersionNumber(input.version);
    const listed = await listTransitionRequests(deps, input);
    return {
      requests: listed.requests.map((request) =>
        requestJson(
          request,
          availableActions(
            principal,
            access.level ?? 'NO_PERMISSIONS',
            request,
            listed.currentStage,
            listed.settings
          )
        )
      ),
    };
  },
});

export const approveTransitionRequestOperation = defineOperation({
  operation: 'approveTransitionRequest',
  metric: { name: 'TransitionDecisions', dimensions: { Decision: 'APPROVED' } },
  input: z.object({
    ...decisionFields,
    archive_existing_versions: fields.boolean(),
  }),
  run: async (input, { deps, principal, access }: Context) => ({
    activity: activityJson(
      await approveTransitionRequest(
        deps,
        principal,
        access.level ?? 'NO_PERMISSIONS',
        {
          ...input,
          requestId: input.request_id,
          archiveExistingVersions: input.archive_existing_versions,
        }
      )
    ),
  }),
});

export const rejectTransitionRequestOperation = defineOperation({
  operation: 'rejectTransitionRequest',
  metric: { name: 'TransitionDecisions', dimensions: { Decision: 'REJECTED' } },
  input: z.object(decisionFields),
  run: async (input, { deps, principal, access }: Context) => ({
    activity: activityJson(
      await rejectTransitionRequest(
        deps,
        principal,
        access.level ?? 'NO_PERMISSIONS',
        { ...input, requestId: input.request_id }
      )
    ),
  }),
});

/** Databricks' delete is the cancel; `creator` names whose request it is. */
export const deleteTransitionRequestOperation = defineOperation({
  operation: 'deleteTransitionRequest',
  metric: {
    name: 'TransitionDecisions',
    dimensions: { Decision: 'CANCELLED' },
  },
  input: z.object({ ...decisionFields, creator: fields.string() }),
  run: async (input, { deps, principal, access }: Context) => ({
    activity: activityJson(
      await cancelTransitionRequest(
        deps,
        principal,
        access.level ?? 'NO_PERMISSIONS',
        { ...input, requestId: input.request_id }
      )
    ),
  }),
});
