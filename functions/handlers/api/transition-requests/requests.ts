import { z } from 'zod';
import {
  approveTransitionRequest,
  availableActions,
  cancelTransitionRequest,
  createTransitionRequest,
  listTransitionRequests,
  type RequestDependencies,
  rejectTransitionRequest,
} from '#domain/registry/requests.ts';
import type {
  TransitionRequest,
  TransitionRequestAction,
} from '#domain/transition-request.ts';
import { checked } from '#http/access-guard.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import { activityJson, activitySchema, stageSchema } from '#http/wire.ts';

/** A transition request, readable as the `REQUESTED_TRANSITION` activity. */
export const transitionRequestSchema = z
  .object({
    id: z.string().meta({ description: 'Stable id (extension).' }),
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
  })
  .meta({ id: 'TransitionRequest' });

type Context = OperationContext<RequestDependencies>;

/**
 * Databricks' `TransitionRequest`, plus the stable `id` (an extension) and
 * `from_stage`, so it also reads as the `Activity` that `list` returns.
 */
function requestJson(
  request: TransitionRequest,
  actions: readonly TransitionRequestAction[]
): z.infer<typeof transitionRequestSchema> {
  return {
    id: request.id,
    activity_type: 'REQUESTED_TRANSITION',
    from_stage: request.fromStage,
    to_stage: request.toStage,
    user_id: request.creator,
    creation_timestamp: request.creationTimestamp,
    last_updated_timestamp: request.lastUpdatedTimestamp,
    ...(request.comment ? { comment: request.comment } : {}),
    available_actions: [...actions],
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
      request: requestJson(
        request,
        availableActions(principal, model, request, request.fromStage, settings)
      ),
    };
  },
});

export const listTransitionRequestsOperation = defineOperation({
  operation: 'listTransitionRequests',
  summary: "List a model version's open transition requests, oldest first",
  output: z.object({ requests: z.array(transitionRequestSchema) }),
  input: z.object({ name: fields.string(), version: versionField() }),
  run: async (input, { deps, principal, access }: Context) => {
    const model = checked(access, 'model');
    const listed = await listTransitionRequests(deps, model, input);
    return {
      requests: listed.requests.map((request) =>
        requestJson(
          request,
          availableActions(
            principal,
            model,
            request,
            listed.currentStage,
            listed.settings
          )
        )
      ),
    };
  },
});

/**
 * Answers once the approval is committed and handed to the request's
 * workflow, which applies the transition (README, design notes).
 */
export const approveTransitionRequestOperation = defineOperation({
  operation: 'approveTransitionRequest',
  summary:
    'Approve a transition request; its workflow then applies the transition',
  output: z.object({ activity: activitySchema }),
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
        checked(access, 'request'),
        {
          comment: input.comment,
          archiveExistingVersions: input.archive_existing_versions,
        }
      )
    ),
  }),
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
