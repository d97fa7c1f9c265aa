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
import { activityJson, activitySchema, stageSchema } from '#http/wire.ts';

/** A transition request, readable as the `REQUESTED_TRANSITION` activity. */
export const transitionRequestSchema = z
  .object({
    id: z.string().meta({ description: 'Stable id (extension).' }),
    name: z.string().meta({ description: "The model's name (extension)." }),
    version: z.string().meta({ description: 'The version (extension).' }),
    activity_type: z.literal('REQUESTED_TRANSITION'),
    from_stage: stageSchema,
    to_stage: stageSchema,
    user_id: z.string().meta({ description: "The requester's user name." }),
    creation_timestamp: z.number().int(),
    last_updated_timestamp: z.number().int(),
    comment: z.string().optional(),
    available_actions: z.array(
      z.enum([
        'APPROVE_TRANSITION_REQUEST',
        'REJECT_TRANSITION_REQUEST',
        'CANCEL_TRANSITION_REQUEST',
      ])
    ),
    approvals_required: z.number().int().meta({
      description:
        'Approvals from distinct approvers the request needs (extension).',
    }),
    approvals_remaining: z
      .number()
      .int()
      .meta({ description: 'Approvals it still lacks (extension).' }),
    approved_by: z.array(z.string()).optional().meta({
      description: 'The user names that approved it so far (extension).',
    }),
  })
  .meta({ id: 'TransitionRequest' });

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
): z.infer<typeof transitionRequestSchema> {
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
  summary: 'Request a stage transition',
  output: z.object({ request: transitionRequestSchema }),
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
  summary:
    "List a model version's open transition requests, oldest first; without a version, every version's",
  output: z.object({ requests: z.array(transitionRequestSchema) }),
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
  summary:
    'List the open transition requests the caller may approve, newest first (extension)',
  output: z.object({
    requests: z.array(transitionRequestSchema),
    next_page_token: z.string().optional(),
  }),
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
  summary:
    'Approve a transition request; its last needed approval applies the transition',
  output: z.object({
    activity: activitySchema,
    approvals_required: z.number().int().meta({
      description: 'Approvals the request needs (extension).',
    }),
    approvals_remaining: z
      .number()
      .int()
      .meta({ description: 'Approvals it still lacks (extension).' }),
  }),
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
  summary: 'Reject a transition request',
  output: z.object({ activity: activitySchema }),
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
  summary: 'Cancel a transition request',
  output: z.object({ activity: activitySchema }),
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
