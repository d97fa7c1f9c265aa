import { type ModelAccess, stageOfVersion } from '../access.ts';
import type { Activity } from '../activity.ts';
import {
  InvalidParameterValueError,
  ModelVersionDoesNotExistError,
} from '../errors.ts';
import { commentCreated } from '../events.ts';
import { limits } from '../limits.ts';
import { parseVersionNumber } from '../model-version.ts';
import type { Principal } from '../principal.ts';
import type { RequestDependencies } from './requests.ts';

function validateComment(comment: string): string {
  if (comment.trim() === '') {
    throw new InvalidParameterValueError('A comment cannot be empty.');
  }
  if (comment.length > limits.commentLength) {
    throw new InvalidParameterValueError(
      `Comment had length ${comment.length}, which exceeded length limit of ${limits.commentLength}`
    );
  }
  return comment;
}

/**
 * A NEW_COMMENT activity on a version; anyone who can read may comment.
 * @param model the model as the route's check read it.
 */
export async function createComment(
  deps: RequestDependencies,
  caller: Principal,
  model: ModelAccess,
  input: { version: string | number; comment: string }
): Promise<Activity> {
  const comment = validateComment(input.comment);
  const number = parseVersionNumber(input.version);
  const stage = stageOfVersion(model.record, number);
  if (stage === undefined) {
    throw new ModelVersionDoesNotExistError(model.record.model.name, number);
  }
  const now = deps.now();
  const activity: Activity = {
    id: deps.newId(),
    modelId: model.record.model.id,
    version: number,
    activityType: 'NEW_COMMENT',
    fromStage: stage,
    userId: caller.userName,
    creationTimestamp: now,
    lastUpdatedTimestamp: now,
    comment,
  };
  await deps.requests.putComment(activity, [
    commentCreated({ id: deps.newId(), at: now }, model.record.model, {
      version: number,
      userId: caller.userName,
      comment,
    }),
  ]);
  return activity;
}

/**
 * Edits a comment the caller was authorized to edit
 * (`registry:EditComment`: its author).
 */
export async function updateComment(
  deps: RequestDependencies,
  comment: Activity,
  text: string
): Promise<Activity> {
  const validated = validateComment(text);
  const now = deps.now();
  await deps.requests.updateComment(comment, validated, now);
  return { ...comment, comment: validated, lastUpdatedTimestamp: now };
}

/**
 * Deletes a comment the caller was authorized to delete
 * (`registry:DeleteComment`: its author, or a Can Manage holder).
 */
export async function deleteComment(
  deps: RequestDependencies,
  comment: Activity
): Promise<void> {
  await deps.requests.deleteComment(comment);
}

/** What the caller may do with a comment (Databricks' `available_actions`). */
export type CommentAction = 'EDIT_COMMENT' | 'DELETE_COMMENT';

export function commentActions(
  caller: Principal,
  comment: Activity
): CommentAction[] {
  return comment.userId === caller.userName
    ? ['EDIT_COMMENT', 'DELETE_COMMENT']
    : [];
}
