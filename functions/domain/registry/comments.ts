import { assertAllowed, levelOn, rootGrants } from '../access.ts';
import type { Activity } from '../activity.ts';
import {
  InvalidParameterValueError,
  PermissionDeniedError,
  ResourceDoesNotExistError,
} from '../errors.ts';
import { limits } from '../limits.ts';
import { parseVersionNumber } from '../model-version.ts';
import { type EffectiveLevel, levelAllows } from '../permissions.ts';
import type { Principal } from '../principal.ts';
import { requireRecord, requireVersion } from './dependencies.ts';
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

/** A NEW_COMMENT activity on a version; anyone who can read may comment. */
export async function createComment(
  deps: RequestDependencies,
  caller: Principal,
  input: { name: string; version: string | number; comment: string }
): Promise<Activity> {
  const comment = validateComment(input.comment);
  const number = parseVersionNumber(input.version);
  const record = await requireRecord(deps, input.name);
  const version = await requireVersion(deps, record, number);
  const now = deps.now();
  const activity: Activity = {
    id: deps.newId(),
    modelId: record.model.id,
    version: number,
    activityType: 'NEW_COMMENT',
    fromStage: version.currentStage,
    userId: caller.userName,
    creationTimestamp: now,
    lastUpdatedTimestamp: now,
    comment,
  };
  await deps.requests.putComment(activity);
  return activity;
}

/** The comment, if the caller can read its model, with the caller's level. */
async function readableComment(
  deps: RequestDependencies,
  caller: Principal,
  id: string
): Promise<{ comment: Activity; level: EffectiveLevel }> {
  const comment = await deps.requests.findCommentById(id);
  const record = comment
    ? await deps.store.getModelRecordById(comment.modelId)
    : undefined;
  if (!comment || !record) {
    throw new ResourceDoesNotExistError(`Comment ${id} not found.`);
  }
  const level = levelOn(caller, record, await rootGrants(deps.store));
  assertAllowed(caller, level, 'ReadRegisteredModel', record.model.name);
  return { comment, level };
}

/** Only its author edits a comment. */
export async function updateComment(
  deps: RequestDependencies,
  caller: Principal,
  input: { id: string; comment: string }
): Promise<Activity> {
  const text = validateComment(input.comment);
  const { comment } = await readableComment(deps, caller, input.id);
  if (comment.userId !== caller.userName) {
    throw new PermissionDeniedError(
      'Only the author of a comment may edit it.'
    );
  }
  const now = deps.now();
  await deps.requests.updateComment(comment, text, now);
  return { ...comment, comment: text, lastUpdatedTimestamp: now };
}

/** Its author, or a Can Manage holder (moderation), deletes a comment. */
export async function deleteComment(
  deps: RequestDependencies,
  caller: Principal,
  input: { id: string }
): Promise<void> {
  const { comment, level } = await readableComment(deps, caller, input.id);
  if (
    comment.userId !== caller.userName &&
    !levelAllows(level, 'DeleteModelVersion')
  ) {
    throw new PermissionDeniedError(
      'Only the author of a comment or a CAN_MANAGE holder may delete it.'
    );
  }
  await deps.requests.deleteComment(comment);
}

export function commentActions(caller: Principal, comment: Activity) {
  return comment.userId === caller.userName
    ? ['EDIT_COMMENT', 'DELETE_COMMENT']
    : [];
}
