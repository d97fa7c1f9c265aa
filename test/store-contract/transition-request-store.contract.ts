import { describe, expect, it } from 'vitest';
import type { Activity } from '#domain/activity.ts';
import {
  ConcurrentModificationError,
  InvalidStateError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  StaleRequestError,
} from '#domain/errors.ts';
import {
  commentCreated,
  type RegistryEvent,
  transitionRequestCreated,
  transitionRequestDecided,
  transitionRequestReminder,
} from '#domain/events.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import { stagesOf } from '#domain/registry/stage-members.ts';
import type { Stage } from '#domain/stages.ts';
import type { TransitionRequest } from '#domain/transition-request.ts';
import type {
  ModelRecord,
  ModelRegistryStore,
} from '#ports/model-registry-store.ts';
import type { OutboxStore } from '#ports/outbox-store.ts';
import type { TransitionRequestStore } from '#ports/transition-request-store.ts';

/**
 * Returns a request store and the registry store over the same (empty)
 * table: requests live in their model's partition and are checked against
 * their version's stage.
 */
export type TransitionRequestStoreFactory = () => Promise<{
  requests: TransitionRequestStore;
  models: ModelRegistryStore;
  /** The outbox the stores' writes put their events into. */
  outbox: OutboxStore;
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
    Object.entries(stagesOf(record)).map(([stage, versions]) => [
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

/** A version event of the contract's model, at `at`. */
function aTagEvent(id: string, at: number): RegistryEvent {
  return {
    id,
    types: ['MODEL_VERSION_TAG_SET'],
    modelId: MODEL_ID,
    modelName: 'churn',
    version: 1,
    timestamp: at,
    userId: 'alice@example.com',
    tags: [{ key: 'k', value: 'v' }],
    text: 'tagged',
  };
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

      it('lists every version’s open requests oldest first without a version', async () => {
        // Prepare
        const second = aRequest({
          id: idOf(1),
          version: 2,
          creationTimestamp: T0 + 3000,
        });
        const first = aRequest({ id: idOf(2), creationTimestamp: T0 + 2000 });
        const decided = aRequest({ id: idOf(3), version: 2, creator: 'z' });
        const { requests } = await withRequests(2, second, first, decided);
        await requests.commit(decided, 'reject', { at: T0 + 4000 });

        // Act
        const open = await requests.listOpenRequests(MODEL_ID);

        // Assess
        expect(open.map((r) => [r.id, r.version])).toEqual([
          [idOf(2), 1],
          [idOf(1), 2],
        ]);
      });
    });

    describe('listOpenRequestsNewestFirst', () => {
      it('walks the open requests newest first, page by page after a position, leaving out decided ones', async () => {
        // Prepare
        const made = [1, 2, 3, 4, 5].map((n) =>
          aRequest({
            id: idOf(n),
            creator: `user-${n}`,
            // Two at the same time: the id breaks the tie.
            creationTimestamp: T0 + 1000 * Math.min(n, 4),
          })
        );
        const { requests } = await withRequests(1, ...made);
        const [approved, , rejected] = made as [
          TransitionRequest,
          TransitionRequest,
          TransitionRequest,
        ];
        await requests.commit(approved, 'approve', {
          at: T0 + 9000,
          decision: approval(T0 + 9000),
        });
        await requests.commit(rejected, 'reject', { at: T0 + 9000 });

        // Act
        const first = await requests.listOpenRequestsNewestFirst({ limit: 2 });
        const second = await requests.listOpenRequestsNewestFirst({
          after: first.requests.at(-1)?.position,
          limit: 2,
        });

        // Assess
        expect(first.requests.map((r) => r.request.id)).toEqual([
          idOf(5),
          idOf(4),
        ]);
        expect(first.exhausted).toBe(false);
        expect(second.requests.map((r) => r.request.id)).toEqual([idOf(2)]);
        expect(second.exhausted).toBe(true);
        expect(second.requests[0]?.request).toMatchObject({
          status: 'OPEN',
          creator: 'user-2',
        });
      });

      it('answers an empty, exhausted page past the last position', async () => {
        // Prepare
        const { requests } = await withRequests(1, aRequest());
        const all = await requests.listOpenRequestsNewestFirst({ limit: 10 });

        // Act
        const past = await requests.listOpenRequestsNewestFirst({
          after: all.requests.at(-1)?.position,
          limit: 10,
        });

        // Assess
        expect(all.requests).toHaveLength(1);
        expect(all.exhausted).toBe(true);
        expect(past).toEqual({ requests: [], exhausted: true });
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

      it('records a partial approval: still OPEN, locked and pending, with the approval appended', async () => {
        // Prepare
        const request = aRequest();
        const { requests, models } = await withRequests(1, request);
        const activity = anActivity(request, {
          id: idOf(100),
          activityType: 'APPROVED_REQUEST',
          userId: 'carol@example.com',
          creationTimestamp: T0 + 5000,
          lastUpdatedTimestamp: T0 + 5000,
        });

        // Act
        await requests.commit(request, 'approve-partially', {
          at: T0 + 5000,
          approval: { by: 'carol@example.com', at: T0 + 5000 },
          activity,
        });
        const once = await requests.getRequest(MODEL_ID, 1, request.id);
        if (!once) throw new Error('no request');
        await requests.commit(once, 'approve', {
          at: T0 + 6000,
          decision: approval(T0 + 6000),
          approval: { by: 'dave@example.com', at: T0 + 6000 },
        });

        // Assess
        expect(once).toMatchObject({
          status: 'OPEN',
          lastUpdatedTimestamp: T0 + 5000,
          approvals: [{ by: 'carol@example.com', at: T0 + 5000 }],
        });
        expect(once.decision).toBeUndefined();
        expect(
          await requests.getRequest(MODEL_ID, 1, request.id)
        ).toMatchObject({
          status: 'APPROVED',
          approvals: [
            { by: 'carol@example.com', at: T0 + 5000 },
            { by: 'dave@example.com', at: T0 + 6000 },
          ],
        });
        expect(
          (await models.listActivities(MODEL_ID, 1)).map((a) => a.activityType)
        ).toEqual(['REQUESTED_TRANSITION', 'APPROVED_REQUEST']);
      });

      it('lets one of two approvals planned on the same read count; the other writes nothing', async () => {
        // Prepare
        const request = aRequest();
        const { requests, models } = await withRequests(1, request);
        const approve = (by: string, id: number) =>
          requests.commit(request, 'approve-partially', {
            at: T0 + 5000,
            approval: { by, at: T0 + 5000 },
            activity: anActivity(request, {
              id: idOf(id),
              activityType: 'APPROVED_REQUEST',
              userId: by,
            }),
          });
        await approve('carol@example.com', 100);

        // Act
        const lost = approve('dave@example.com', 101);

        // Assess
        await expect(lost).rejects.toBeInstanceOf(InvalidStateError);
        expect(
          (await requests.getRequest(MODEL_ID, 1, request.id))?.approvals
        ).toEqual([{ by: 'carol@example.com', at: T0 + 5000 }]);
        expect(await models.listActivities(MODEL_ID, 1)).toHaveLength(2);
        expect(
          (await requests.listOpenRequests(MODEL_ID, 1)).map((r) => r.id)
        ).toEqual([request.id]);
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
        expect(before).toEqual({ model: {}, registry: {} });
        expect(await requests.getSettings(MODEL_ID)).toEqual({
          model: {
            separationOfDutiesStages: ['Staging'],
            requestExpirySeconds: 60,
          },
          registry: {},
        });
      });

      it('reads the registry’s policy with a model’s settings, and many models’ at once', async () => {
        // Prepare
        const { requests } = await withRequests(1);
        const before = await requests.getRegistryPolicy();
        await requests.setRegistryPolicy({
          protectedStages: ['Staging', 'Production'],
          requiredApprovals: 2,
        });
        await requests.setSettings(MODEL_ID, {
          protectedStages: ['Staging', 'Production', 'Archived'],
          requiredApprovals: 3,
        });

        // Act
        const one = await requests.getSettings(MODEL_ID);
        const many = await requests.getSettingsOfModels([MODEL_ID, 'other']);

        // Assess
        const registry = {
          protectedStages: ['Staging', 'Production'],
          requiredApprovals: 2,
        };
        expect(before).toEqual({});
        expect(await requests.getRegistryPolicy()).toEqual(registry);
        expect(one).toEqual({
          model: {
            protectedStages: ['Staging', 'Production', 'Archived'],
            requiredApprovals: 3,
          },
          registry,
        });
        expect(many.registry).toEqual(registry);
        expect(Object.fromEntries(many.models)).toEqual({
          [MODEL_ID]: one.model,
          other: {},
        });
      });
    });

    describe('events (the outbox)', () => {
      const model = { id: MODEL_ID, name: 'churn' };
      const created = (request: TransitionRequest, id: string) =>
        transitionRequestCreated(
          { id, at: request.creationTimestamp },
          request,
          'churn',
          [{ kind: 'group', name: 'admins' }]
        );
      const pendingIds = async (outbox: OutboxStore) =>
        (await outbox.listPending({ limit: 100 })).map((event) => event.id);

      it('writes a request’s events with it, and none when it is refused', async () => {
        // Prepare
        const request = aRequest();
        const { requests, models, outbox } = await withRequests(1);
        await requests.createRequest(request, anActivity(request), [
          created(request, idOf(0xe1)),
        ]);

        // Act
        const duplicate = { ...aRequest({ id: idOf(2) }) };
        await expect(
          requests.createRequest(duplicate, anActivity(duplicate), [
            created(duplicate, idOf(0xe2)),
          ])
        ).rejects.toThrow(ResourceAlreadyExistsError);

        // Assess
        expect(await pendingIds(outbox)).toEqual([idOf(0xe1)]);
        const [stored] = await outbox.listPending({ limit: 1 });
        expect(stored).toEqual(created(request, idOf(0xe1)));
        expect(models).toBeDefined();
      });

      it('writes a lifecycle step’s events only when the step commits', async () => {
        // Prepare
        const request = aRequest();
        const { requests, outbox } = await withRequests(1, request);
        const decided = (id: string) =>
          transitionRequestDecided({ id, at: T0 + 2000 }, request, 'churn', {
            event: 'reject',
            by: 'carol@example.com',
          });
        await requests.commit(request, 'reject', {
          at: T0 + 2000,
          events: [decided(idOf(0xe3))],
        });

        // Act: a second decision on the same read loses
        await expect(
          requests.commit(request, 'cancel', {
            at: T0 + 3000,
            events: [decided(idOf(0xe4))],
          })
        ).rejects.toThrow(InvalidStateError);

        // Assess
        expect(await pendingIds(outbox)).toEqual([idOf(0xe3)]);
      });

      it('writes a comment’s events with it', async () => {
        // Prepare
        const { requests, outbox } = await withRequests(1);
        const comment = anActivity(aRequest(), {
          id: idOf(0xc1),
          activityType: 'NEW_COMMENT',
          comment: 'looks good',
        });

        // Act
        await requests.putComment(comment, [
          commentCreated({ id: idOf(0xe5), at: T0 + 1000 }, model, {
            version: 1,
            userId: comment.userId,
            comment: 'looks good',
          }),
        ]);

        // Assess
        expect(await pendingIds(outbox)).toEqual([idOf(0xe5)]);
        expect(
          (await outbox.listVersionEvents(MODEL_ID, 1)).map((e) => e.types)
        ).toEqual([['COMMENT_CREATED']]);
      });

      it('reminds an open request once, and a decided one never', async () => {
        // Prepare
        const open = aRequest();
        const decided = aRequest({ id: idOf(2), creator: 'dan@example.com' });
        const { requests, outbox } = await withRequests(1, open, decided);
        await requests.commit(decided, 'cancel', { at: T0 + 1500 });
        const reminder = (request: TransitionRequest, id: string) =>
          transitionRequestReminder(
            { id, at: T0 + 90_000_000 },
            request,
            'churn',
            []
          );

        // Act
        const first = await requests.recordReminder(open, T0 + 90_000_000, [
          reminder(open, idOf(0xe6)),
        ]);
        const again = await requests.recordReminder(open, T0 + 90_000_001, [
          reminder(open, idOf(0xe7)),
        ]);
        const closed = await requests.recordReminder(decided, T0 + 90_000_000, [
          reminder(decided, idOf(0xe8)),
        ]);

        // Assess
        expect([first, again, closed]).toEqual([true, false, false]);
        expect(await pendingIds(outbox)).toEqual([idOf(0xe6)]);
        expect(
          (await requests.getRequest(MODEL_ID, 1, open.id))?.reminderSentAt
        ).toBe(T0 + 90_000_000);
      });

      it('lists pending events oldest first and drops dispatched ones', async () => {
        // Prepare
        const { outbox, models } = await withRequests(0);
        const record = await models.getModelRecordById(MODEL_ID);
        if (!record) throw new Error('no model');
        const late = aTagEvent(idOf(0xf2), T0 + 20);
        const early = aTagEvent(idOf(0xf1), T0 + 10);
        await models.createRegisteredModel(
          { ...record.model, id: 'd'.repeat(32), name: 'other' },
          [],
          [late, early]
        );

        // Act
        const before = await pendingIds(outbox);
        const older = await outbox.listPending({ limit: 10, before: T0 + 15 });
        await outbox.markDispatched(early, T0 + 30);
        await outbox.markDispatched(early, T0 + 31);

        // Assess
        expect(before).toEqual([idOf(0xf1), idOf(0xf2)]);
        expect(older.map((event) => event.id)).toEqual([idOf(0xf1)]);
        expect(await pendingIds(outbox)).toEqual([idOf(0xf2)]);
      });
    });

    describe('model deletion', () => {
      it('takes the model’s requests and settings with it', async () => {
        // Prepare
        const request = aRequest();
        const { requests, models } = await withRequests(1, request);
        await requests.setSettings(MODEL_ID, { requestExpirySeconds: 60 });
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
        expect(await requests.getSettings(MODEL_ID)).toEqual({
          model: {},
          registry: {},
        });
        expect(
          await requests.listOpenRequestsNewestFirst({ limit: 10 })
        ).toEqual({ requests: [], exhausted: true });
      });
    });
  });
}
