import { z } from 'zod';
import type { Activity } from '#domain/activity.ts';
import type { Principal } from '#domain/principal.ts';
import {
  commentActions,
  createComment,
  deleteComment,
  updateComment,
} from '#domain/registry/comments.ts';
import type { RequestDependencies } from '#domain/registry/requests.ts';
import { checked } from '#http/access-guard.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields, versionField } from '#http/validation.ts';
import { emptySchema } from '#http/wire.ts';

export const commentSchema = z
  .object({
    id: z.string(),
    comment: z.string(),
    user_id: z.string(),
    creation_timestamp: z.number().int(),
    last_updated_timestamp: z.number().int(),
    available_actions: z.array(z.enum(['EDIT_COMMENT', 'DELETE_COMMENT'])),
  })
  .meta({ id: 'Comment' });

type Context = OperationContext<RequestDependencies>;

/** Databricks' `CommentObject`. */
function commentJson(caller: Principal, comment: Activity) {
  return {
    id: comment.id,
    comment: comment.comment ?? '',
    user_id: comment.userId,
    creation_timestamp: comment.creationTimestamp,
    last_updated_timestamp: comment.lastUpdatedTimestamp,
    available_actions: commentActions(caller, comment),
  };
}

export const createCommentOperation = defineOperation({
  operation: 'createComment',
  summary: 'Comment on a model version',
  output: z.object({ comment: commentSchema }),
  input: z.object({
    name: fields.string(),
    version: versionField(),
    comment: fields.string(),
  }),
  run: async (input, { deps, principal, access }: Context) => ({
    comment: commentJson(
      principal,
      await createComment(deps, principal, checked(access, 'model'), input)
    ),
  }),
});

export const updateCommentOperation = defineOperation({
  operation: 'updateComment',
  summary: 'Edit a comment',
  output: z.object({ comment: commentSchema }),
  input: z.object({ id: fields.string(), comment: fields.string() }),
  run: async (input, { deps, principal, access }: Context) => ({
    comment: commentJson(
      principal,
      await updateComment(deps, checked(access, 'comment'), input.comment)
    ),
  }),
});

export const deleteCommentOperation = defineOperation({
  operation: 'deleteComment',
  summary: 'Delete a comment',
  output: emptySchema,
  input: z.object({ id: fields.string() }),
  run: async (_input, { deps, access }: Context) => {
    await deleteComment(deps, checked(access, 'comment'));
    return {};
  },
});
