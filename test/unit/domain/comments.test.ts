import { describe, expect, it } from 'vitest';
import {
  InvalidParameterValueError,
  ModelVersionDoesNotExistError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import {
  commentActions,
  createComment,
  deleteComment,
  updateComment,
} from '#domain/registry/comments.ts';
import { transitionModelVersionStage } from '#domain/registry/transitions.ts';
import {
  ADMIN,
  accessTo,
  aPrincipal,
  type GovernanceDependencies,
  governanceDependencies,
  modelWithVersions,
  T0,
} from '#test/support/governance.ts';

const bob = aPrincipal('bob');
const carol = aPrincipal('carol');

async function setUp(): Promise<GovernanceDependencies> {
  const deps = governanceDependencies();
  await modelWithVersions(deps, 'm', 1, { bob: 'CAN_READ' });
  return deps;
}

async function rejectionOf(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => undefined,
    (error: unknown) => error
  );
}

describe('comments', () => {
  describe('createComment', () => {
    it('writes a NEW_COMMENT activity from the version’s current stage, which the store finds by id', async () => {
      // Prepare
      const deps = await setUp();
      await transitionModelVersionStage(deps, ADMIN, {
        name: 'm',
        version: 1,
        stage: 'Staging',
        archiveExistingVersions: false,
      });

      // Act
      const comment = await createComment(
        deps,
        bob,
        await accessTo(deps, 'm'),
        { version: '1', comment: 'looks good' }
      );

      // Assess
      expect(comment).toMatchObject({
        activityType: 'NEW_COMMENT',
        fromStage: 'Staging',
        userId: 'bob',
        comment: 'looks good',
        creationTimestamp: T0,
      });
      expect(await deps.requests.findCommentById(comment.id)).toEqual(comment);
    });

    it('refuses an empty comment, one over the length limit, and an unknown version', async () => {
      // Prepare
      const deps = await setUp();
      const model = await accessTo(deps, 'm');

      // Act
      const empty = await rejectionOf(
        createComment(deps, bob, model, { version: 1, comment: '  ' })
      );
      const long = await rejectionOf(
        createComment(deps, bob, model, {
          version: 1,
          comment: 'x'.repeat(limits.commentLength + 1),
        })
      );
      const unknown = await rejectionOf(
        createComment(deps, bob, model, { version: 3, comment: 'hi' })
      );

      // Assess
      expect(empty).toBeInstanceOf(InvalidParameterValueError);
      expect(long).toBeInstanceOf(InvalidParameterValueError);
      expect((long as Error).message).toContain(`${limits.commentLength}`);
      expect(unknown).toBeInstanceOf(ModelVersionDoesNotExistError);
    });
  });

  describe('updateComment and deleteComment', () => {
    it('edits a comment’s text and time, and deletes it', async () => {
      // Prepare
      const deps = await setUp();
      const comment = await createComment(
        deps,
        bob,
        await accessTo(deps, 'm'),
        { version: 1, comment: 'first' }
      );
      deps.advance(5);

      // Act
      const edited = await updateComment(deps, comment, 'second');
      await deleteComment(deps, comment);

      // Assess
      expect(edited).toEqual({
        ...comment,
        comment: 'second',
        lastUpdatedTimestamp: T0 + 5,
      });
      expect(await deps.requests.findCommentById(comment.id)).toBeUndefined();
      await expect(updateComment(deps, comment, 'late')).rejects.toThrow(
        ResourceDoesNotExistError
      );
    });

    it('refuses an edit to an empty text', async () => {
      // Prepare
      const deps = await setUp();
      const comment = await createComment(
        deps,
        bob,
        await accessTo(deps, 'm'),
        { version: 1, comment: 'first' }
      );

      // Act & Assess
      await expect(updateComment(deps, comment, '')).rejects.toThrow(
        InvalidParameterValueError
      );
    });
  });

  describe('commentActions', () => {
    it('offers edit and delete to the author only', async () => {
      // Prepare
      const deps = await setUp();
      const comment = await createComment(
        deps,
        bob,
        await accessTo(deps, 'm'),
        { version: 1, comment: 'mine' }
      );

      // Act & Assess
      expect(commentActions(bob, comment)).toEqual([
        'EDIT_COMMENT',
        'DELETE_COMMENT',
      ]);
      expect(commentActions(carol, comment)).toEqual([]);
    });
  });
});
