import { z } from 'zod';
import type { ModelAccess } from '#domain/access.ts';
import type { Principal } from '#domain/principal.ts';
import { listInbox } from '#domain/registry/inbox.ts';
import {
  approvalProgress,
  approveTransitionRequest,
  availableActions,
  cancelTransitionRequest,
  createTransitionRequest,
  listTransitionRequests,
  type RequestDependencies,
  rejectTransitionRequest,
} from '#domain/registry/requests.ts';
import type { Stage } from '#domain/stages.ts';
import type {
  TransitionRequest,
  TransitionRequestSettings,
} from '#domain/transition-request.ts';
import { checked } from '#http/access-guard.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import { activityJson } from '#http/wire.ts';

type Context = OperationContext<RequestDependencies>;

/**
 * Databricks' `TransitionRequest` as the caller sees it, plus extensions:
 * the stable `id`, `from_stage` (so it also reads as the `Activity` that
 * `list` returns), the model's `name` and the `version` (the inbox and
 * the list of every version mix them), and the approvals it needs under
 * its model's protected-stage policy (`approvals_required`,
 * `approvals_remaining`, `approved_by`).
 */
function requestJson(
  caller: Principal,
  view: {
    readonly request: TransitionRequest;
    readonly model: ModelAccess;
    readonly currentStage: Stage;
    readonly settings: TransitionRequestSettings;
  }
) {
  const { request, model, currentStage, settings } = view;
  const progress = approvalProgress(request, settings);
  return {
    id: request.id,
    name: model.record.model.name,
    version: String(request.version),
    activity_type: 'REQUESTED_TRANSITION',
    from_stage: request.fromStage,
    to_stage: request.toStage,
    user_id: request.creator,
    creation_timestamp: request.creationTimestamp,
    last_updated_timestamp: request.lastUpdatedTimestamp,
    ...(request.comment ? { comment: request.comment } : {}),
    available_actions: availableActions(
      caller,
      model,
      request,
      currentStage,
      settings
    ),
    approvals_required: progress.required,
    approvals_remaining: progress.remaining,
    ...(progress.approvers.length > 0
      ? { approved_by: [...progress.approvers] }
      : {}),
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
    const model = checked(access, 'model');
    const { request, settings } = await createTransitionRequest(
      deps,
      principal,
      model,
      input
    );
    return {
      request: requestJson(principal, {
        request,
        model,
        currentStage: request.fromStage,
        settings,
      }),
    };
  },
});

/** Databricks' list, by version; without one (extension), every version's. */
export const listTransitionRequestsOperation = defineOperation({
  operation: 'listTransitionRequests',
  input: z.object({
    name: fields.string(),
    version: versionField().optional(),
  }),
  run: async (input, { deps, principal, access }: Context) => {
    const model = checked(access, 'model');
    const listed = await listTransitionRequests(deps, model, input);
    return {
      requests: listed.requests.map(({ request, currentStage }) =>
        requestJson(principal, {
          request,
          model,
          currentStage,
          settings: listed.settings,
        })
      ),
    };
  },
});

/**
 * Extension: the open requests of every model that the caller may
 * approve, newest first, paged (`max_results`, `page_token`).
 */
export const listTransitionRequestInboxOperation = defineOperation({
  operation: 'listTransitionRequestInbox',
  input: z.object({
    max_results: fields.int64().optional(),
    page_token: fields.optionalString(),
  }),
  run: async (input, { deps, principal }: Context) => {
    const page = await listInbox(deps, principal, {
      maxResults: input.max_results,
      pageToken: input.page_token,
    });
    return {
      requests: page.entries.map((entry) => requestJson(principal, entry)),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  },
});

/**
 * Answers once the approval is committed; the last approval the request
 * needs is also handed to the request's workflow, which applies the
 * transition (README, design notes). Extensions: how many approvals the
 * request needs and how many it still lacks.
 */
export const approveTransitionRequestOperation = defineOperation({
  operation: 'approveTransitionRequest',
  metric: { name: 'TransitionDecisions', dimensions: { Decision: 'APPROVED' } },
  input: z.object({
    ...decisionFields,
    archive_existing_versions: fields.boolean(),
  }),
  run: async (input, { deps, principal, access }: Context) => {
    const { activity, progress } = await approveTransitionRequest(
      deps,
      principal,
      checked(access, 'request'),
      {
        comment: input.comment,
        archiveExistingVersions: input.archive_existing_versions,
      }
    );
    return {
      activity: activityJson(activity),
      approvals_required: progress.required,
      approvals_remaining: progress.remaining,
    };
  },
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
        checked(access, 'request'),
        { comment: input.comment }
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
        checked(access, 'request'),
        { comment: input.comment }
      )
    ),
  }),
});
