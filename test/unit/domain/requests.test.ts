import { describe, expect, it } from 'vitest';
import {
  InvalidParameterValueError,
  InvalidStateError,
  ModelVersionDoesNotExistError,
  PermissionDeniedError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  StaleRequestError,
} from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import {
  addressRequest,
  applyApprovedRequest,
  approveTransitionRequest,
  availableActions,
  cancelTransitionRequest,
  closeRequest,
  closeStaleRequests,
  createTransitionRequest,
  listTransitionRequests,
  type RequestAddress,
  rejectTransitionRequest,
  restartWorkflow,
  setTransitionRequestSettings,
  settingsOf,
} from '#domain/registry/requests.ts';
import { transitionModelVersionStage } from '#domain/registry/transitions.ts';
import type { TransitionRequest } from '#domain/transition-request.ts';
import {
  ADMIN,
  accessTo,
  aPrincipal,
  feedOf,
  type GovernanceDependencies,
  governanceDependencies,
  modelWithVersions,
  stageOf,
  T0,
} from '#test/support/governance.ts';

const reader = aPrincipal('reader');
const editor = aPrincipal('editor');
const stagingManager = aPrincipal('staging-manager');
const productionManager = aPrincipal('production-manager');
const manager = aPrincipal('manager');

const LEVELS = {
  reader: 'CAN_READ',
  editor: 'CAN_EDIT',
  'staging-manager': 'CAN_MANAGE_STAGING_VERSIONS',
  'production-manager': 'CAN_MANAGE_PRODUCTION_VERSIONS',
  manager: 'CAN_MANAGE',
} as const;

/** A model `m` with `versions` versions and one user per level. */
async function setUp(versions = 1): Promise<GovernanceDependencies> {
  const deps = governanceDependencies();
  await modelWithVersions(deps, 'm', versions, LEVELS);
  return deps;
}

async function request(
  deps: GovernanceDependencies,
  by: Principal,
  stage: string,
  version = 1
): Promise<TransitionRequest> {
  const { request: created } = await createTransitionRequest(
    deps,
    by,
    await accessTo(deps, 'm'),
    { version, stage, comment: `${by.userName} asks` }
  );
  return created;
}

async function address(
  deps: GovernanceDependencies,
  stage: string,
  options: { version?: number; requestId?: string; creator?: string } = {}
): Promise<RequestAddress> {
  return addressRequest(deps.requests, await accessTo(deps, 'm'), {
    version: options.version ?? 1,
    stage,
    requestId: options.requestId,
    creator: options.creator,
  });
}

async function statusOf(
  deps: GovernanceDependencies,
  created: TransitionRequest
) {
  return (
    await deps.requests.getRequest(created.modelId, created.version, created.id)
  )?.status;
}

async function rejectionOf(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => undefined,
    (error: unknown) => error
  );
}

describe('transition requests', () => {
  describe('createTransitionRequest', () => {
    it('stores an open request with its activity and starts its workflow, expiring as the settings say', async () => {
      // Prepare
      const deps = await setUp();
      await deps.requests.setSettings(
        (await accessTo(deps, 'm')).record.model.id,
        { requestExpirySeconds: 60 }
      );

      // Act
      const created = await request(deps, reader, 'staging');

      // Assess
      expect(created).toMatchObject({
        version: 1,
        fromStage: 'None',
        toStage: 'Staging',
        creator: 'reader',
        comment: 'reader asks',
        status: 'OPEN',
        expiresAt: T0 + 60_000,
      });
      expect(await feedOf(deps, 'm', 1)).toEqual(['REQUESTED_TRANSITION']);
      expect(deps.workflow.started).toEqual([
        {
          input: {
            requestId: created.id,
            modelId: created.modelId,
            version: 1,
            expiresInSeconds: 60,
          },
          attempt: 1,
        },
      ]);
    });

    it('refuses a request to the version’s own stage, an unknown version, and a second one by the same creator', async () => {
      // Prepare
      const deps = await setUp();
      await request(deps, reader, 'Staging');

      // Act
      const toOwnStage = await rejectionOf(request(deps, reader, 'None'));
      const unknown = await rejectionOf(request(deps, reader, 'Staging', 9));
      const again = await rejectionOf(request(deps, reader, 'Staging'));

      // Assess
      expect(toOwnStage).toBeInstanceOf(InvalidParameterValueError);
      expect(unknown).toBeInstanceOf(ModelVersionDoesNotExistError);
      expect(again).toBeInstanceOf(ResourceAlreadyExistsError);
    });

    it('plans again on a fresh read when the version moved after the check read the model', async () => {
      // Prepare
      const deps = await setUp();
      const readBefore = await accessTo(deps, 'm');
      await transitionModelVersionStage(deps, ADMIN, {
        name: 'm',
        version: 1,
        stage: 'Staging',
        archiveExistingVersions: false,
      });

      // Act
      const { request: created } = await createTransitionRequest(
        deps,
        reader,
        readBefore,
        { version: 1, stage: 'Production' }
      );

      // Assess
      expect(created.fromStage).toBe('Staging');
    });

    it('closes the request as FAILED when its workflow cannot start', async () => {
      // Prepare
      const deps = await setUp();
      deps.workflow.failStart = new Error('states unreachable');

      // Act
      const failure = await rejectionOf(request(deps, reader, 'Staging'));

      // Assess
      expect(failure).toBe(deps.workflow.failStart);
      const [closed] = await deps.requests.listPendingRequests();
      expect(closed).toBeUndefined();
      expect(await feedOf(deps, 'm', 1)).toEqual([
        'REQUESTED_TRANSITION',
        'CANCELLED_REQUEST by system',
      ]);
    });
  });

  describe('addressRequest', () => {
    it('addresses the oldest open request to the stage, or the one named by id or creator', async () => {
      // Prepare
      const deps = await setUp();
      const oldest = await request(deps, reader, 'Staging');
      deps.advance(1);
      const newer = await request(deps, editor, 'Staging');
      await request(deps, manager, 'Production');

      // Act
      const byStage = await address(deps, 'staging');
      const byId = await address(deps, 'Staging', { requestId: newer.id });
      const byCreator = await address(deps, 'Staging', { creator: 'editor' });
      const nobody = await address(deps, 'Archived');

      // Assess
      expect(byStage.request?.id).toBe(oldest.id);
      expect(byStage).toMatchObject({ to: 'Staging', currentStage: 'None' });
      expect(byId.request?.id).toBe(newer.id);
      expect(byCreator.request?.id).toBe(newer.id);
      expect(nobody.request).toBeUndefined();
    });

    it('reads no request of a version the model does not have', async () => {
      // Act
      const deps = await setUp();
      const missing = await address(deps, 'Staging', { version: 7 });

      // Assess
      expect(missing).toMatchObject({
        currentStage: undefined,
        request: undefined,
      });
    });
  });

  describe('availableActions', () => {
    it('offers the decisions to those who may decide, and the cancel to the creator and managers', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, reader, 'Staging');
      const model = await accessTo(deps, 'm');
      const settings = await settingsOf(deps, model.record.model.id);
      const actions = (who: Principal) =>
        availableActions(who, model, created, 'None', settings);

      // Act & Assess
      expect(actions(reader)).toEqual(['CANCEL_TRANSITION_REQUEST']);
      expect(actions(editor)).toEqual([]);
      expect(actions(stagingManager)).toEqual([
        'APPROVE_TRANSITION_REQUEST',
        'REJECT_TRANSITION_REQUEST',
      ]);
      expect(actions(manager)).toEqual([
        'APPROVE_TRANSITION_REQUEST',
        'REJECT_TRANSITION_REQUEST',
        'CANCEL_TRANSITION_REQUEST',
      ]);
    });

    it('keeps the creator’s own request to Production from its decisions (separation of duties)', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, manager, 'Production');
      const model = await accessTo(deps, 'm');
      const settings = await settingsOf(deps, model.record.model.id);

      // Act
      const own = availableActions(manager, model, created, 'None', settings);
      const noDuties = availableActions(manager, model, created, 'None', {
        ...settings,
        separationOfDutiesStages: [],
        protectedStages: [],
      });

      // Assess
      expect(own).toEqual(['CANCEL_TRANSITION_REQUEST']);
      expect(noDuties).toHaveLength(3);
    });

    it('offers nothing on a request no longer open', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, reader, 'Staging');
      const model = await accessTo(deps, 'm');
      const settings = await settingsOf(deps, model.record.model.id);

      // Act
      const actions = availableActions(
        manager,
        model,
        { ...created, status: 'APPROVED' },
        'None',
        settings
      );

      // Assess
      expect(actions).toEqual([]);
    });
  });

  describe('approveTransitionRequest', () => {
    it('commits the approval and hands it to the waiting execution, which applies it (not the call)', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, reader, 'Staging');
      await deps.requests.setTaskToken(created, 'token-1');

      // Act
      const { activity, progress } = await approveTransitionRequest(
        deps,
        stagingManager,
        await address(deps, 'Staging'),
        { comment: 'ok', archiveExistingVersions: true }
      );

      // Assess
      expect(activity).toMatchObject({
        activityType: 'APPROVED_REQUEST',
        userId: 'staging-manager',
        comment: 'ok',
        fromStage: 'None',
        toStage: 'Staging',
      });
      expect(progress).toEqual({
        required: 1,
        remaining: 0,
        approvers: ['staging-manager'],
      });
      expect(await statusOf(deps, created)).toBe('APPROVED');
      expect(deps.workflow.sent).toEqual([
        { taskToken: 'token-1', outcome: 'approved' },
      ]);
      expect(await stageOf(deps, 'm', 1)).toBe('None');
      expect(
        (await deps.requests.getRequest(created.modelId, 1, created.id))
          ?.decision
      ).toEqual({
        outcome: 'approved',
        by: 'staging-manager',
        comment: 'ok',
        archiveExistingVersions: true,
        at: T0,
      });
    });

    it('sends nothing while the execution has no token yet (its wait step forwards the decision)', async () => {
      // Prepare
      const deps = await setUp();
      await request(deps, reader, 'Staging');

      // Act
      await approveTransitionRequest(
        deps,
        stagingManager,
        await address(deps, 'Staging'),
        { archiveExistingVersions: false }
      );

      // Assess
      expect(deps.workflow.sent).toEqual([]);
      expect(deps.workflow.started).toHaveLength(1);
    });

    it('starts a fresh execution for the request when the token is gone, and applies nothing itself', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, reader, 'Staging');
      await deps.requests.setTaskToken(created, 'dead-token');
      deps.workflow.goneTokens.add('dead-token');
      deps.advance(10_000);

      // Act
      await approveTransitionRequest(
        deps,
        stagingManager,
        await address(deps, 'Staging'),
        { archiveExistingVersions: false }
      );

      // Assess
      expect(deps.workflow.started.at(-1)).toEqual({
        input: {
          requestId: created.id,
          modelId: created.modelId,
          version: 1,
          expiresInSeconds: 7 * 24 * 3600 - 10,
        },
        attempt: T0 + 10_000,
      });
      expect(await stageOf(deps, 'm', 1)).toBe('None');
      expect(await statusOf(deps, created)).toBe('APPROVED');
    });

    it('closes a request whose version moved since it was made, as stale (409)', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, reader, 'Production');
      const addressed = await address(deps, 'Production');

      // Act
      const failure = await rejectionOf(
        approveTransitionRequest(
          deps,
          productionManager,
          { ...addressed, currentStage: 'Staging' },
          { archiveExistingVersions: false }
        )
      );

      // Assess
      expect(failure).toBeInstanceOf(InvalidStateError);
      expect((failure as Error).message).toMatch(/stale.*It was closed/);
      expect(await statusOf(deps, created)).toBe('CLOSED');
      expect(await feedOf(deps, 'm', 1)).toEqual([
        'REQUESTED_TRANSITION',
        'CANCELLED_REQUEST by system',
      ]);
    });

    it('closes the request when the version moves between the read and the commit', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, reader, 'Production');
      const addressed = await address(deps, 'Production');
      // Moved directly after the read, by a call that saw nothing stale.
      await deps.store.commitTransition({
        record: addressed.model.record,
        now: T0,
        target: { version: 1, from: 'None', to: 'Staging' },
        archived: [],
        activities: [],
        stagesAfter: { None: [], Staging: [1], Production: [], Archived: [] },
      });

      // Act
      const failure = await rejectionOf(
        approveTransitionRequest(deps, productionManager, addressed, {
          archiveExistingVersions: false,
        })
      );

      // Assess
      expect(failure).toBeInstanceOf(StaleRequestError);
      expect(await statusOf(deps, created)).toBe('CLOSED');
    });

    it('refuses the creator of a request to Production, and a level that may not make the change', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, manager, 'Production');

      // Act
      const own = await rejectionOf(
        approveTransitionRequest(
          deps,
          manager,
          await address(deps, 'Production'),
          { archiveExistingVersions: false }
        )
      );
      const tooLow = await rejectionOf(
        approveTransitionRequest(
          deps,
          stagingManager,
          await address(deps, 'Production'),
          { archiveExistingVersions: false }
        )
      );

      // Assess
      expect(own).toBeInstanceOf(PermissionDeniedError);
      expect((own as Error).message).toMatch(/Separation of duties/);
      expect(tooLow).toBeInstanceOf(PermissionDeniedError);
      expect(await statusOf(deps, created)).toBe('OPEN');
    });

    it('answers 404 for no open request to the stage, and for no such version', async () => {
      // Prepare
      const deps = await setUp();

      // Act
      const none = await rejectionOf(
        approveTransitionRequest(
          deps,
          manager,
          await address(deps, 'Staging'),
          { archiveExistingVersions: false }
        )
      );
      const noVersion = await rejectionOf(
        approveTransitionRequest(
          deps,
          manager,
          await address(deps, 'Staging', { version: 4 }),
          { archiveExistingVersions: false }
        )
      );

      // Assess
      expect(none).toBeInstanceOf(ResourceDoesNotExistError);
      expect((none as Error).message).toBe(
        "No open request to move version 1 of 'm' to Staging."
      );
      expect(noVersion).toBeInstanceOf(ModelVersionDoesNotExistError);
    });

    it('lets only one of two decisions on the same read commit', async () => {
      // Prepare
      const deps = await setUp();
      await request(deps, reader, 'Staging');
      const addressed = await address(deps, 'Staging');
      await rejectTransitionRequest(deps, stagingManager, addressed, {});

      // Act
      const late = await rejectionOf(
        approveTransitionRequest(deps, stagingManager, addressed, {
          archiveExistingVersions: false,
        })
      );

      // Assess
      expect(late).toBeInstanceOf(InvalidStateError);
      expect(await feedOf(deps, 'm', 1)).toEqual([
        'REQUESTED_TRANSITION',
        'REJECTED_REQUEST',
      ]);
    });
  });

  describe('rejectTransitionRequest and cancelTransitionRequest', () => {
    it('rejects: REJECTED, released to the execution, nothing restarted when its token is gone', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, reader, 'Staging');
      await deps.requests.setTaskToken(created, 'dead-token');
      deps.workflow.goneTokens.add('dead-token');

      // Act
      const activity = await rejectTransitionRequest(
        deps,
        stagingManager,
        await address(deps, 'Staging'),
        { comment: 'no' }
      );

      // Assess
      expect(activity).toMatchObject({
        activityType: 'REJECTED_REQUEST',
        comment: 'no',
      });
      expect(await statusOf(deps, created)).toBe('REJECTED');
      expect(deps.workflow.sent).toEqual([
        { taskToken: 'dead-token', outcome: 'rejected' },
      ]);
      expect(deps.workflow.started).toHaveLength(1);
    });

    it('lets the creator with read access and a Can Manage holder cancel, and refuses others', async () => {
      // Prepare
      const deps = await setUp(2);
      const own = await request(deps, reader, 'Staging');
      const others = await request(deps, reader, 'Staging', 2);

      // Act
      const byCreator = await cancelTransitionRequest(
        deps,
        reader,
        await address(deps, 'Staging', { creator: 'reader' }),
        {}
      );
      const byProductionManager = await rejectionOf(
        cancelTransitionRequest(
          deps,
          productionManager,
          await address(deps, 'Staging', { version: 2, creator: 'reader' }),
          {}
        )
      );
      const byManager = await cancelTransitionRequest(
        deps,
        manager,
        await address(deps, 'Staging', { version: 2, creator: 'reader' }),
        { comment: 'moderated' }
      );

      // Assess
      expect(byCreator).toMatchObject({
        activityType: 'CANCELLED_REQUEST',
        userId: 'reader',
      });
      expect(byProductionManager).toBeInstanceOf(PermissionDeniedError);
      expect(byManager).toMatchObject({
        userId: 'manager',
        comment: 'moderated',
      });
      expect(await statusOf(deps, own)).toBe('CANCELLED');
      expect(await statusOf(deps, others)).toBe('CANCELLED');
    });

    it('answers 404 naming the creator when that creator has no open request', async () => {
      // Prepare
      const deps = await setUp();
      await request(deps, reader, 'Staging');

      // Act
      const failure = await rejectionOf(
        cancelTransitionRequest(
          deps,
          manager,
          await address(deps, 'Staging', { creator: 'editor' }),
          {}
        )
      );

      // Assess
      expect((failure as Error).message).toBe(
        "No open request to move version 1 of 'm' to Staging by editor."
      );
    });
  });

  describe('applyApprovedRequest', () => {
    async function approved(
      deps: GovernanceDependencies,
      stage = 'Staging',
      archive = false
    ): Promise<TransitionRequest> {
      const created = await request(deps, reader, stage, 2);
      await approveTransitionRequest(
        deps,
        manager,
        await address(deps, stage, { version: 2 }),
        { archiveExistingVersions: archive, comment: 'go' }
      );
      const read = await deps.requests.getRequest(
        created.modelId,
        2,
        created.id
      );
      if (!read) throw new Error('gone');
      return read;
    }

    it('applies the transition as the approver, archiving when asked, and marks the request APPLIED', async () => {
      // Prepare
      const deps = await setUp(2);
      await transitionModelVersionStage(deps, ADMIN, {
        name: 'm',
        version: 1,
        stage: 'Staging',
        archiveExistingVersions: false,
      });
      const request = await approved(deps, 'Staging', true);

      // Act
      const status = await applyApprovedRequest(deps, request);

      // Assess
      expect(status).toBe('APPLIED');
      expect(await statusOf(deps, request)).toBe('APPLIED');
      expect(await stageOf(deps, 'm', 2)).toBe('Staging');
      expect(await stageOf(deps, 'm', 1)).toBe('Archived');
      const record = await deps.store.getModelRecordByName('m');
      const applied = (
        await deps.store.listActivities(record?.model.id ?? '', 2)
      ).at(-1);
      expect(applied).toMatchObject({
        activityType: 'APPLIED_TRANSITION',
        userId: 'manager',
        comment: 'go',
      });
      expect(await deps.requests.listPendingRequests()).toEqual([]);
    });

    it('marks the request FAILED when the version moved before it could be applied', async () => {
      // Prepare
      const deps = await setUp(2);
      const request = await approved(deps);
      await transitionModelVersionStage(deps, ADMIN, {
        name: 'm',
        version: 2,
        stage: 'Archived',
        archiveExistingVersions: false,
      });

      // Act
      const status = await applyApprovedRequest(deps, request);

      // Assess
      expect(status).toBe('FAILED');
      expect(await stageOf(deps, 'm', 2)).toBe('Archived');
    });

    it('marks the request FAILED when its model is gone', async () => {
      // Prepare
      const deps = await setUp(2);
      const request = await approved(deps);

      // Act
      const status = await applyApprovedRequest(deps, {
        ...request,
        modelId: 'f'.repeat(32),
      });

      // Assess
      expect(status).toBe('FAILED');
    });

    it('applies nothing for an execution that no longer holds the request', async () => {
      // Prepare
      const deps = await setUp(2);
      const request = await approved(deps);
      await deps.requests.recordExecution(request, 'arn:newer');

      // Act
      const status = await applyApprovedRequest(
        deps,
        { ...request, executionArn: 'arn:newer' },
        'arn:older'
      );

      // Assess
      expect(status).toBe('APPROVED');
      expect(await stageOf(deps, 'm', 2)).toBe('None');
    });

    it('leaves a request that is not approved alone', async () => {
      // Prepare
      const deps = await setUp(2);
      const created = await request(deps, reader, 'Staging', 2);

      // Act
      const status = await applyApprovedRequest(deps, created);

      // Assess
      expect(status).toBe('OPEN');
      expect(await stageOf(deps, 'm', 2)).toBe('None');
    });

    it('answers the stored status when another executor finished the request first', async () => {
      // Prepare
      const deps = await setUp(2);
      const request = await approved(deps);
      await deps.requests.commit(request, 'apply-failed', { at: T0 });

      // Act
      const status = await applyApprovedRequest(deps, request);

      // Assess: the transition itself committed, the status stays FAILED.
      expect(status).toBe('FAILED');
    });
  });

  describe('closeRequest and closeStaleRequests', () => {
    it('expires an open request with a system activity, releasing nothing', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, reader, 'Staging');
      await deps.requests.setTaskToken(created, 'token-1');

      // Act
      const closed = await closeRequest(deps, created, 'expire', 'Expired.');

      // Assess
      expect(closed).toBe(true);
      expect(await statusOf(deps, created)).toBe('EXPIRED');
      expect(deps.workflow.sent).toEqual([]);
      expect(await feedOf(deps, 'm', 1)).toEqual([
        'REQUESTED_TRANSITION',
        'CANCELLED_REQUEST by system',
      ]);
    });

    it('fails an approved request without an activity, and leaves a final one alone', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, reader, 'Staging');
      await approveTransitionRequest(
        deps,
        manager,
        await address(deps, 'Staging'),
        { archiveExistingVersions: false }
      );
      const read = await deps.requests.getRequest(
        created.modelId,
        1,
        created.id
      );
      if (!read) throw new Error('gone');

      // Act
      const failed = await closeRequest(deps, read, 'fail', 'broken');
      const again = await closeRequest(
        deps,
        { ...read, status: 'FAILED' },
        'fail',
        'broken'
      );
      const readBefore = await closeRequest(deps, read, 'fail', 'broken');

      // Assess
      expect([failed, again, readBefore]).toEqual([true, false, false]);
      expect(await statusOf(deps, created)).toBe('FAILED');
      expect(await feedOf(deps, 'm', 1)).toEqual([
        'REQUESTED_TRANSITION',
        'APPROVED_REQUEST',
      ]);
    });

    it('closes the requests a change made stale, and releases their executions', async () => {
      // Prepare
      const deps = await setUp(3);
      const leftFrom = await request(deps, reader, 'Production', 1);
      const fulfilled = await request(deps, reader, 'Staging', 1);
      const deleted = await request(deps, reader, 'Staging', 2);
      const unaffected = await request(deps, reader, 'Production', 3);
      await deps.requests.setTaskToken(leftFrom, 'token-1');
      const record = (await accessTo(deps, 'm')).record;

      // Act
      await closeStaleRequests(deps, record, [
        { version: 1, stage: 'Staging' },
        { version: 2, stage: 'DELETED' },
        { version: 3, stage: 'None' },
      ]);

      // Assess
      expect(
        await Promise.all(
          [leftFrom, fulfilled, deleted, unaffected].map((r) =>
            statusOf(deps, r)
          )
        )
      ).toEqual(['CLOSED', 'CLOSED', 'CLOSED', 'OPEN']);
      expect(deps.workflow.sent).toEqual([
        { taskToken: 'token-1', outcome: 'closed' },
      ]);
      const system = (
        await deps.store.listActivities(record.model.id, 1)
      ).filter((a) => a.userId === 'system');
      expect(system.map((a) => a.systemComment)).toEqual([
        'Closed because version 1 left None for Staging.',
        'Closed because version 1 was moved to Staging by another transition.',
      ]);
    });
  });

  describe('listTransitionRequests', () => {
    it('lists the version’s open requests with its stage and settings', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, reader, 'Staging');

      // Act
      const listed = await listTransitionRequests(
        deps,
        await accessTo(deps, 'm'),
        { version: '1' }
      );
      const missing = await rejectionOf(
        listTransitionRequests(deps, await accessTo(deps, 'm'), {
          version: 5,
        })
      );

      // Assess
      expect(listed.requests.map((r) => r.request.id)).toEqual([created.id]);
      expect(listed.requests.map((r) => r.currentStage)).toEqual(['None']);
      expect(listed.settings.separationOfDutiesStages).toEqual(['Production']);
      expect(missing).toBeInstanceOf(ModelVersionDoesNotExistError);
    });
  });

  describe('setTransitionRequestSettings', () => {
    it('stores canonical stages once, and a valid expiry', async () => {
      // Prepare
      const deps = await setUp();
      const { record } = await accessTo(deps, 'm');

      // Act
      const settings = await setTransitionRequestSettings(deps, record, {
        separationOfDutiesStages: ['staging', 'Staging', 'PRODUCTION'],
        requestExpirySeconds: 3600,
      });

      // Assess
      expect(settings).toEqual({
        separationOfDutiesStages: ['Staging', 'Production'],
        requestExpirySeconds: 3600,
        reminderAfterSeconds: 24 * 3600,
        protectedStages: ['Production'],
        requiredApprovals: 1,
      });
    });

    it.each([0, 1.5, 360 * 24 * 3600 + 1])(
      'refuses an expiry of %s seconds',
      async (seconds) => {
        // Prepare
        const deps = await setUp();
        const { record } = await accessTo(deps, 'm');

        // Act
        const failure = await rejectionOf(
          setTransitionRequestSettings(deps, record, {
            requestExpirySeconds: seconds,
          })
        );

        // Assess
        expect(failure).toBeInstanceOf(InvalidParameterValueError);
      }
    );
  });

  describe('restartWorkflow', () => {
    it('starts an execution with the time the request has left, at least a second', async () => {
      // Prepare
      const deps = await setUp();
      const created = await request(deps, reader, 'Staging');
      deps.advance(8 * 24 * 3600 * 1000);

      // Act
      await restartWorkflow(deps, created);

      // Assess
      expect(deps.workflow.started.at(-1)?.input.expiresInSeconds).toBe(1);
    });
  });
});
