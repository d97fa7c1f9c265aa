import { describe, expect, it } from 'vitest';
import type { Activity } from '#domain/activity.ts';
import {
  ConcurrentModificationError,
  InvalidStateError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  StaleRequestError,
} from '#domain/errors.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import type { Stage } from '#domain/stages.ts';
import type { TransitionRequest } from '#domain/transition-request.ts';
import type {
  ModelRecord,
  ModelRegistryStore,
} from '#ports/model-registry-store.ts';
import type { TransitionRequestStore } from '#ports/transition-request-store.ts';

/**
 * Returns a request store and the registry store over the same (empty)
 * table: requests live in their model's partition and are checked against
 * their version's stage.
 */
export type TransitionRequestStoreFactory = () => Promise<{
  requests: TransitionRequestStore;
  models: ModelRegistryStore;
}>;

const T0 = 1_700_000_000_000;
const MODEL_ID = 'c'.repeat(32);

function idOf(index: number): string {
  return index.toString(16).padStart(32, '0');
}

/** A model with `count` versions, all in None. */
async function modelWithVersions(
  models: ModelRegistryStore,
  count: number
): Promise<ModelRecord> {
  await models.createRegisteredModel(
    {
      id: MODEL_ID,
      name: 'churn',
      description: '',
      creationTimestamp: T0,
      lastUpdatedTimestamp: T0,
      userId: 'alice@example.com',
      tags: [],
      aliases: [],
    },
    []
  );
  for (let i = 1; i <= count; i++) {
    const record = await models.getModelRecordById(MODEL_ID);
    if (!record) throw new Error('no model');
    const version: ModelVersion = {
      modelId: MODEL_ID,
      version: i,
      currentStage: 'None',
      description: '',
      source: `s3://artifacts/churn/${i}`,
      runId: '',
      runLink: '',
      status: 'READY',
      statusMessage: '',
      tags: [],
      creationTimestamp: T0 + i,
      lastUpdatedTimestamp: T0 + i,
      userId: 'alice@example.com',
    };
    await models.createVersion(record, version);
  }
  const record = await models.getModelRecordById(MODEL_ID);
  if (!record) throw new Error('no model');
  return record;
}

/** Moves a version directly, as a transition commits it. */
async function moveVersion(
  models: ModelRegistryStore,
  version: number,
  from: Stage,
  to: Stage
): Promise<void> {
  const record = await models.getModelRecordById(MODEL_ID);
  if (!record) throw new Error('no model');
  const stagesAfter = Object.fromEntries(
    Object.entries(record.stages).map(([stage, versions]) => [
      stage,
      stage === from
        ? versions.filter((v) => v !== version)
        : stage === to
          ? [...versions, version].sort((a, b) => a - b)
          : [...versions],
    ])
  ) as Record<Stage, number[]>;
  await models.commitTransition({
    record,
    now: T0 + 50_000,
    target: { version, from, to },
    archived: [],
    activities: [],
    stagesAfter,
  });
}

function aRequest(
  overrides: Partial<TransitionRequest> = {}
): TransitionRequest {
  return {
    id: idOf(1),
    modelId: MODEL_ID,
    version: 1,
    toStage: 'Staging',
    fromStage: 'None',
    creator: 'bob@example.com',
    comment: 'please',
    status: 'OPEN',
    creationTimestamp: T0 + 1000,
    lastUpdatedTimestamp: T0 + 1000,
    expiresAt: T0 + 1000 + 7 * 24 * 3600 * 1000,
    ...overrides,
  };
}

function anActivity(
  request: TransitionRequest,
  overrides: Partial<Activity> = {}
): Activity {
  return {
    // One activity per request: its id is the request's, marked.
    id: `a${request.id.slice(1)}`,
    modelId: request.modelId,
    version: request.version,
    activityType: 'REQUESTED_TRANSITION',
    fromStage: request.fromStage,
    toStage: request.toStage,
    userId: request.creator,
    creationTimestamp: request.creationTimestamp,
    lastUpdatedTimestamp: request.creationTimestamp,
    comment: request.comment,
    systemComment: undefined,
    ...overrides,
  };
}

const approval = (at: number) => ({
  outcome: 'approved' as const,
  by: 'carol@example.com',
  comment: 'ok',
  archiveExistingVersions: true,
  at,
});

/**
 * The behaviour every {@link TransitionRequestStore} implementation must
 * share, run against the in-memory fake and against DynamoDB Local.
 */
export function describeTransitionRequestStoreContract(
  name: string,
  createStores: TransitionRequestStoreFactory
): void {
  describe(`TransitionRequestStore contract (${name})`, () => {
    /** Stores with a model of `versions` versions and `requests` open. */
    async function withRequests(
      versions: number,
      ...requests: TransitionRequest[]
    ) {
      const stores = await createStores();
      await modelWithVersions(stores.models, versions);
      for (const request of requests) {
        await stores.requests.createRequest(request, anActivity(request));
      }
      return stores;
    }

    describe('createRequest', () => {
      it('stores an open request, readable by key and by id, with its REQUESTED_TRANSITION activity', async () => {
        // Prepare
        const request = aRequest();

        // Act
        const { requests, models } = await withRequests(1, request);

        // Assess
        expect(await requests.getRequest(MODEL_ID, 1, request.id)).toEqual({
          ...request,
          taskToken: undefined,
          executionArn: undefined,
          decision: undefined,
        });
        expect((await requests.findRequestById(request.id))?.id).toBe(
          request.id
        );
        expect(
          (await models.listActivities(MODEL_ID, 1)).map((a) => a.activityType)
        ).toEqual(['REQUESTED_TRANSITION']);
      });

      it('refuses the same creator a second open request for a version and stage, and accepts others', async () => {
        // Prepare
        const { requests } = await withRequests(1, aRequest());
        const again = aRequest({ id: idOf(2) });
        const otherStage = aRequest({ id: idOf(3), toStage: 'Production' });
        const otherCreator = aRequest({ id: idOf(4), creator: 'dan' });

        // Act
        const refused = await requests
          .createRequest(again, anActivity(again))
          .catch((error: unknown) => error);
        await requests.createRequest(otherStage, anActivity(otherStage));
        await requests.createRequest(otherCreator, anActivity(otherCreator));

        // Assess
        expect(refused).toBeInstanceOf(ResourceAlreadyExistsError);
        expect(
          (await requests.listOpenRequests(MODEL_ID, 1)).map((r) => r.id)
        ).toEqual([idOf(1), idOf(3), idOf(4)]);
      });

      it('refuses a request whose version left its from-stage, writing nothing', async () => {
        // Prepare
        const { requests, models } = await withRequests(1);
        await moveVersion(models, 1, 'None', 'Staging');
        const request = aRequest({ toStage: 'Production' });

        // Act
        const refused = requests.createRequest(request, anActivity(request));

        // Assess
        await expect(refused).rejects.toThrow(ConcurrentModificationError);
        expect(await requests.getRequest(MODEL_ID, 1, request.id)).toBe(
          undefined
        );
        expect(await models.listActivities(MODEL_ID, 1)).toEqual([]);
      });

      it('answers undefined for a request it does not hold', async () => {
        // Prepare
        const { requests } = await withRequests(1);

        // Act & Assess
        expect(await requests.getRequest(MODEL_ID, 1, idOf(9))).toBe(undefined);
        expect(await requests.findRequestById(idOf(9))).toBe(undefined);
      });
    });

    describe('listOpenRequests / listPendingRequests', () => {
      it('lists a version’s open requests oldest first, and pending ones (open or approved) registry-wide', async () => {
        // Prepare
        const newer = aRequest({
          id: idOf(1),
          creationTimestamp: T0 + 3000,
          creator: 'x',
        });
        const older = aRequest({
          id: idOf(2),
          creationTimestamp: T0 + 2000,
          creator: 'y',
        });
        const approved = aRequest({ id: idOf(3), creator: 'z' });
        const rejected = aRequest({ id: idOf(4), creator: 'w' });
        const ofVersion2 = aRequest({ id: idOf(5), version: 2 });
        const { requests } = await withRequests(
          2,
          newer,
          older,
          approved,
          rejected,
          ofVersion2
        );
        await requests.commit(approved, 'approve', {
          at: T0 + 4000,
          decision: approval(T0 + 4000),
        });
        await requests.commit(rejected, 'reject', { at: T0 + 4000 });

        // Act
        const open = await requests.listOpenRequests(MODEL_ID, 1);
        const pending = await requests.listPendingRequests();

        // Assess
        expect(open.map((r) => r.id)).toEqual([idOf(2), idOf(1)]);
        expect(pending.map((r) => r.id).sort()).toEqual(
          [idOf(1), idOf(2), idOf(3), idOf(5)].sort()
        );
      });
    });

    describe('commit', () => {
      it('commits an approval: APPROVED with its decision and activity, the lock released, still pending', async () => {
        // Prepare
        const request = aRequest();
        const { requests, models } = await withRequests(1, request);
        const activity = anActivity(request, {
          id: idOf(100),
          activityType: 'APPROVED_REQUEST',
          userId: 'carol@example.com',
          creationTimestamp: T0 + 5000,
          lastUpdatedTimestamp: T0 + 5000,
          comment: 'ok',
        });

        // Act
        await requests.commit(request, 'approve', {
          at: T0 + 5000,
          decision: approval(T0 + 5000),
          activity,
        });

        // Assess
        expect(
          await requests.getRequest(MODEL_ID, 1, request.id)
        ).toMatchObject({
          status: 'APPROVED',
          lastUpdatedTimestamp: T0 + 5000,
          decision: approval(T0 + 5000),
        });
        expect(
          (await models.listActivities(MODEL_ID, 1)).map((a) => a.activityType)
        ).toEqual(['REQUESTED_TRANSITION', 'APPROVED_REQUEST']);
        expect(await requests.listOpenRequests(MODEL_ID, 1)).toEqual([]);
        expect((await requests.listPendingRequests()).map((r) => r.id)).toEqual(
          [request.id]
        );
        const again = aRequest({ id: idOf(2) });
        await requests.createRequest(again, anActivity(again));
      });

      it('lets exactly one of two decisions from OPEN commit; the loser writes nothing', async () => {
        // Prepare
        const request = aRequest();
        const { requests, models } = await withRequests(1, request);
        const rejected = anActivity(request, {
          id: idOf(101),
          activityType: 'REJECTED_REQUEST',
          creationTimestamp: T0 + 6000,
        });
        const cancelled = anActivity(request, {
          id: idOf(102),
          activityType: 'CANCELLED_REQUEST',
          creationTimestamp: T0 + 6001,
        });
        await requests.commit(request, 'reject', {
          at: T0 + 6000,
          activity: rejected,
        });

        // Act
        const lost = requests.commit(request, 'cancel', {
          at: T0 + 6001,
          activity: cancelled,
        });

        // Assess
        await expect(lost).rejects.toThrow(InvalidStateError);
        expect(
          (await requests.getRequest(MODEL_ID, 1, request.id))?.status
        ).toBe('REJECTED');
        expect(
          (await models.listActivities(MODEL_ID, 1)).map((a) => a.id)
        ).not.toContain(cancelled.id);
      });

      it('refuses an approval once the version left the from-stage (stale), changing nothing', async () => {
        // Prepare
        const request = aRequest({ toStage: 'Production' });
        const { requests, models } = await withRequests(1, request);
        await moveVersion(models, 1, 'None', 'Staging');

        // Act
        const stale = requests.commit(request, 'approve', {
          at: T0 + 7000,
          decision: approval(T0 + 7000),
        });

        // Assess
        await expect(stale).rejects.toThrow(StaleRequestError);
        expect(
          (await requests.getRequest(MODEL_ID, 1, request.id))?.status
        ).toBe('OPEN');
      });

      it('takes an approved request to APPLIED, out of the pending ones', async () => {
        // Prepare
        const request = aRequest();
        const { requests } = await withRequests(1, request);
        await requests.commit(request, 'approve', {
          at: T0 + 5000,
          decision: approval(T0 + 5000),
        });
        const approved = await requests.getRequest(MODEL_ID, 1, request.id);
        if (!approved) throw new Error('gone');

        // Act
        await requests.commit(approved, 'applied', { at: T0 + 8000 });

        // Assess
        expect(
          await requests.getRequest(MODEL_ID, 1, request.id)
        ).toMatchObject({
          status: 'APPLIED',
          lastUpdatedTimestamp: T0 + 8000,
          decision: approval(T0 + 5000),
        });
        expect(await requests.listPendingRequests()).toEqual([]);
      });

      it.each([
        ['reject', 'REJECTED'],
        ['cancel', 'CANCELLED'],
        ['expire', 'EXPIRED'],
        ['close-stale', 'CLOSED'],
        ['fail', 'FAILED'],
      ] as const)(
        'takes an open request by %s to %s, final',
        async (event, status) => {
          // Prepare
          const request = aRequest();
          const { requests } = await withRequests(1, request);

          // Act
          await requests.commit(request, event, { at: T0 + 9000 });

          // Assess
          expect(
            (await requests.getRequest(MODEL_ID, 1, request.id))?.status
          ).toBe(status);
          expect(await requests.listPendingRequests()).toEqual([]);
          expect(await requests.listOpenRequests(MODEL_ID, 1)).toEqual([]);
        }
      );

      it('refuses an event that cannot happen in the status read, and a request read before another change', async () => {
        // Prepare
        const request = aRequest();
        const { requests } = await withRequests(1, request);

        // Act
        const notApproved = await requests
          .commit(request, 'applied', { at: T0 + 9000 })
          .catch((error: unknown) => error);
        await requests.commit(request, 'reject', { at: T0 + 9000 });
        const readBefore = await requests
          .commit(request, 'expire', { at: T0 + 9001 })
          .catch((error: unknown) => error);

        // Assess
        expect(notApproved).toBeInstanceOf(InvalidStateError);
        expect(readBefore).toBeInstanceOf(InvalidStateError);
        expect(
          (await requests.getRequest(MODEL_ID, 1, request.id))?.status
        ).toBe('REJECTED');
      });
    });

    describe('setTaskToken / recordExecution', () => {
      it('stores the token while the request is open, and not once it is decided', async () => {
        // Prepare
        const request = aRequest();
        const { requests } = await withRequests(1, request);

        // Act
        const whileOpen = await requests.setTaskToken(request, 'token-1');
        await requests.commit(request, 'cancel', { at: T0 + 9000 });
        const decided = await requests.setTaskToken(request, 'token-2');

        // Assess
        expect([whileOpen, decided]).toEqual([true, false]);
        expect(
          (await requests.getRequest(MODEL_ID, 1, request.id))?.taskToken
        ).toBe('token-1');
      });

      it('records the execution while the request is pending (open or approved), and not once it is final', async () => {
        // Prepare
        const request = aRequest();
        const { requests } = await withRequests(1, request);

        // Act
        const whileOpen = await requests.recordExecution(request, 'arn:1');
        await requests.commit(request, 'approve', {
          at: T0 + 5000,
          decision: approval(T0 + 5000),
        });
        const whileApproved = await requests.recordExecution(request, 'arn:2');
        const approved = await requests.getRequest(MODEL_ID, 1, request.id);
        if (!approved) throw new Error('gone');
        await requests.commit(approved, 'apply-failed', { at: T0 + 6000 });
        const whenFinal = await requests.recordExecution(request, 'arn:3');

        // Assess
        expect([whileOpen, whileApproved, whenFinal]).toEqual([
          true,
          true,
          false,
        ]);
        expect(
          await requests.getRequest(MODEL_ID, 1, request.id)
        ).toMatchObject({ status: 'FAILED', executionArn: 'arn:2' });
      });

      it('answers false for a request it does not hold', async () => {
        // Prepare
        const { requests } = await withRequests(1);

        // Act & Assess
        expect(await requests.setTaskToken(aRequest(), 't')).toBe(false);
        expect(await requests.recordExecution(aRequest(), 'arn')).toBe(false);
      });
    });

    describe('comments', () => {
      it('puts, finds, edits and deletes a comment, which the feed shows', async () => {
        // Prepare
        const { requests, models } = await withRequests(1);
        const comment: Activity = {
          id: idOf(200),
          modelId: MODEL_ID,
          version: 1,
          activityType: 'NEW_COMMENT',
          fromStage: 'None',
          toStage: undefined,
          userId: 'bob@example.com',
          creationTimestamp: T0 + 100,
          lastUpdatedTimestamp: T0 + 100,
          comment: 'first',
          systemComment: undefined,
        };

        // Act
        await requests.putComment(comment);
        const found = await requests.findCommentById(comment.id);
        await requests.updateComment(comment, 'edited', T0 + 200);
        const edited = await requests.findCommentById(comment.id);
        const feed = await models.listActivities(MODEL_ID, 1);
        await requests.deleteComment(comment);

        // Assess
        expect(found).toEqual(comment);
        expect(edited).toEqual({
          ...comment,
          comment: 'edited',
          lastUpdatedTimestamp: T0 + 200,
        });
        expect(feed.map((a) => a.comment)).toEqual(['edited']);
        expect(await requests.findCommentById(comment.id)).toBe(undefined);
        expect(await models.listActivities(MODEL_ID, 1)).toEqual([]);
        await expect(
          requests.updateComment(comment, 'late', T0 + 300)
        ).rejects.toThrow(ResourceDoesNotExistError);
      });

      it('finds no comment by the id of another activity', async () => {
        // Prepare
        const request = aRequest();
        const { requests } = await withRequests(1, request);

        // Act & Assess
        expect(await requests.findCommentById(anActivity(request).id)).toBe(
          undefined
        );
      });
    });

    describe('settings', () => {
      it('answers none until set, and merges what is set', async () => {
        // Prepare
        const { requests } = await withRequests(1);

        // Act
        const before = await requests.getSettings(MODEL_ID);
        await requests.setSettings(MODEL_ID, {
          separationOfDutiesStages: ['Staging'],
        });
        await requests.setSettings(MODEL_ID, { requestExpirySeconds: 60 });

        // Assess
        expect(before).toEqual({});
        expect(await requests.getSettings(MODEL_ID)).toEqual({
          separationOfDutiesStages: ['Staging'],
          requestExpirySeconds: 60,
        });
      });
    });

    describe('notifications', () => {
      it('records one notification per request, listed oldest first', async () => {
        // Prepare
        const { requests } = await withRequests(1);
        const notification = (requestId: string, at: number) => ({
          id: `n-${requestId}-${at}`,
          modelId: MODEL_ID,
          version: 1,
          requestId,
          event: 'TRANSITION_REQUEST_CREATED' as const,
          text: `request ${requestId}`,
          creationTimestamp: at,
        });

        // Act
        await requests.recordNotification(notification(idOf(2), T0 + 20));
        await requests.recordNotification(notification(idOf(1), T0 + 10));
        await requests.recordNotification(notification(idOf(1), T0 + 30));

        // Assess
        expect(await requests.listNotifications(MODEL_ID, 1)).toEqual([
          notification(idOf(1), T0 + 10),
          notification(idOf(2), T0 + 20),
        ]);
      });
    });

    describe('model deletion', () => {
      it('takes the model’s requests, settings and notifications with it', async () => {
        // Prepare
        const request = aRequest();
        const { requests, models } = await withRequests(1, request);
        await requests.setSettings(MODEL_ID, { requestExpirySeconds: 60 });
        await requests.recordNotification({
          id: 'n1',
          modelId: MODEL_ID,
          version: 1,
          requestId: request.id,
          event: 'TRANSITION_REQUEST_CREATED',
          text: 'x',
          creationTimestamp: T0,
        });
        const record = await models.getModelRecordById(MODEL_ID);
        if (!record) throw new Error('no model');

        // Act
        await models.deleteModel(record, T0);

        // Assess
        expect(await requests.getRequest(MODEL_ID, 1, request.id)).toBe(
          undefined
        );
        expect(await requests.listOpenRequests(MODEL_ID, 1)).toEqual([]);
        expect(await requests.listPendingRequests()).toEqual([]);
        expect(await requests.getSettings(MODEL_ID)).toEqual({});
        expect(await requests.listNotifications(MODEL_ID, 1)).toEqual([]);
      });
    });
  });
}
