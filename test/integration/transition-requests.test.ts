import { beforeAll, describe, expect, it } from 'vitest';
import { call, MLFLOW } from '../support/api.ts';
import type { UserWithToken } from './support/principals.ts';
import {
  activities,
  appliedStage,
  approve,
  COMMENTS,
  type CommentJson,
  cancel,
  createModel,
  createRequest,
  createUsers,
  type ErrorJson,
  expectStatus,
  getSettings,
  grantLevels,
  HEX_ID,
  listRequests,
  moveTo,
  notifications,
  openRequest,
  openRequests,
  patchSettings,
  pollUntil,
  reject,
  stageOf,
  typesOf,
} from './support/requests.ts';

/** One user per level, granted on every model `model()` makes. */
let reader: UserWithToken;
let editor: UserWithToken;
let stagingManager: UserWithToken;
let productionManager: UserWithToken;
let manager: UserWithToken;
/** No grant on any model. */
let stranger: UserWithToken;

beforeAll(async () => {
  [reader, editor, stagingManager, productionManager, manager, stranger] =
    (await createUsers(6)) as [
      UserWithToken,
      UserWithToken,
      UserWithToken,
      UserWithToken,
      UserWithToken,
      UserWithToken,
    ];
});

/** A model with `versions` versions in None, each user granted its level. */
async function model(versions = 1): Promise<string> {
  const { name, id } = await createModel(versions);
  await grantLevels(id, [
    [reader, 'CAN_READ'],
    [editor, 'CAN_EDIT'],
    [stagingManager, 'CAN_MANAGE_STAGING_VERSIONS'],
    [productionManager, 'CAN_MANAGE_PRODUCTION_VERSIONS'],
    [manager, 'CAN_MANAGE'],
  ]);
  return name;
}

function expectError(
  response: { status: number; body: Partial<ErrorJson> },
  status: number,
  code: string
): void {
  expect(
    { status: response.status, error_code: response.body.error_code },
    JSON.stringify(response.body)
  ).toEqual({ status, error_code: code });
  expect(response.body.message).toEqual(expect.any(String));
}

describe('Transition requests', () => {
  describe('create', () => {
    it('answers the request with its id, stages, creator and the caller’s actions to a Can Read holder', async () => {
      // Prepare
      const name = await model();
      const before = Date.now();

      // Act
      const created = await createRequest(
        { name, version: '1', stage: 'staging', comment: 'please' },
        reader.token
      );

      // Assess
      expectStatus(created, 200);
      expect(created.body.request).toEqual({
        id: expect.stringMatching(HEX_ID),
        name,
        version: '1',
        activity_type: 'REQUESTED_TRANSITION',
        from_stage: 'None',
        to_stage: 'Staging',
        user_id: reader.userName,
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
        comment: 'please',
        available_actions: ['CANCEL_TRANSITION_REQUEST'],
        approvals_required: 1,
        approvals_remaining: 1,
      });
      expect(created.body.request.creation_timestamp).toBeGreaterThanOrEqual(
        before - 5_000
      );
      expect(await stageOf(name, '1')).toBe('None');
    });

    it('records a REQUESTED_TRANSITION activity and, shortly after, a notification', async () => {
      // Prepare
      const name = await model();

      // Act
      const request = await openRequest(
        { name, version: '1', stage: 'Production', comment: 'ship it' },
        reader.token
      );
      const feed = await activities(name, '1');
      const notified = await pollUntil(
        () => notifications(name, '1'),
        (list) => list.some((n) => n.request_id === request.id)
      );

      // Assess
      expect(feed).toEqual([
        {
          id: expect.stringMatching(HEX_ID),
          activity_type: 'REQUESTED_TRANSITION',
          from_stage: 'None',
          to_stage: 'Production',
          user_id: reader.userName,
          creation_timestamp: expect.any(Number),
          last_updated_timestamp: expect.any(Number),
          comment: 'ship it',
        },
      ]);
      // Written with the request (the server reads its clock twice).
      expect(
        Math.abs(
          (feed[0]?.creation_timestamp ?? 0) - request.creation_timestamp
        )
      ).toBeLessThan(1_000);
      expect(notified).toEqual([
        {
          id: expect.any(String),
          event: 'TRANSITION_REQUEST_CREATED',
          events: [
            'TRANSITION_REQUEST_CREATED',
            'TRANSITION_REQUEST_TO_PRODUCTION_CREATED',
          ],
          request_id: request.id,
          version: '1',
          // Who may decide it: admins at least.
          recipients: expect.arrayContaining([{ group_name: 'admins' }]),
          text: expect.stringContaining(reader.userName),
          creation_timestamp: expect.any(Number),
        },
      ]);
    });

    it('refuses a request to the stage the version is already in with 400', async () => {
      // Prepare
      const name = await model();

      // Act
      const toNone = await createRequest(
        { name, version: '1', stage: 'None' },
        reader.token
      );
      await moveTo(name, '1', 'Staging');
      const toStaging = await createRequest(
        { name, version: '1', stage: 'Staging' },
        reader.token
      );

      // Assess
      expectError(toNone, 400, 'INVALID_PARAMETER_VALUE');
      expectError(toStaging, 400, 'INVALID_PARAMETER_VALUE');
      expect(await openRequests(name, '1')).toEqual([]);
    });

    it('refuses the same creator’s second open request for a version and stage with 400 RESOURCE_ALREADY_EXISTS, and accepts others', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);

      // Act
      const again = await createRequest(
        { name, version: '1', stage: 'Staging' },
        reader.token
      );
      const otherCreator = await createRequest(
        { name, version: '1', stage: 'Staging' },
        editor.token
      );
      const otherStage = await createRequest(
        { name, version: '1', stage: 'Production' },
        reader.token
      );

      // Assess
      expectError(again, 400, 'RESOURCE_ALREADY_EXISTS');
      expectStatus(otherCreator, 200);
      expectStatus(otherStage, 200);
      const open = await openRequests(name, '1');
      expect(open.map((r) => [r.user_id, r.to_stage])).toEqual([
        [reader.userName, 'Staging'],
        [editor.userName, 'Staging'],
        [reader.userName, 'Production'],
      ]);
    });

    it('lets the creator ask again once the earlier request is closed', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);
      expectStatus(
        await reject({ name, version: '1', stage: 'Staging' }, manager.token),
        200
      );

      // Act
      const again = await createRequest(
        { name, version: '1', stage: 'Staging' },
        reader.token
      );

      // Assess
      expectStatus(again, 200);
      expect(await openRequests(name, '1')).toHaveLength(1);
    });

    it('refuses a caller without permission on the model with 403, and an unknown version with 404', async () => {
      // Prepare
      const name = await model();

      // Act
      const denied = await createRequest(
        { name, version: '1', stage: 'Staging' },
        stranger.token
      );
      const missing = await createRequest(
        { name, version: '7', stage: 'Staging' },
        reader.token
      );

      // Assess
      expectError(denied, 403, 'PERMISSION_DENIED');
      expectError(missing, 404, 'RESOURCE_DOES_NOT_EXIST');
      expect(await openRequests(name, '1')).toEqual([]);
    });
  });

  describe('list', () => {
    it('lists the open requests only, oldest first, with the actions each caller may take', async () => {
      // Prepare
      const name = await model();
      const staging = await openRequest(
        { name, version: '1', stage: 'Staging' },
        reader.token
      );
      const production = await openRequest(
        { name, version: '1', stage: 'Production' },
        editor.token
      );
      const archived = await openRequest(
        { name, version: '1', stage: 'Archived' },
        reader.token
      );
      expectStatus(
        await cancel(
          { name, version: '1', stage: 'Archived', creator: reader.userName },
          reader.token
        ),
        200
      );

      // Act
      const actionsBy = async (token?: string) =>
        (await openRequests(name, '1', token)).map((r) => [
          r.id,
          r.available_actions,
        ]);
      const asAdmin = await actionsBy();
      const asManager = await actionsBy(manager.token);
      const asProductionManager = await actionsBy(productionManager.token);
      const asStagingManager = await actionsBy(stagingManager.token);
      const asReader = await actionsBy(reader.token);
      const asEditor = await actionsBy(editor.token);
      const asStranger = await listRequests(name, '1', stranger.token);

      // Assess
      const all = [
        'APPROVE_TRANSITION_REQUEST',
        'REJECT_TRANSITION_REQUEST',
        'CANCEL_TRANSITION_REQUEST',
      ];
      const decide = all.slice(0, 2);
      const cancelOnly = ['CANCEL_TRANSITION_REQUEST'];
      expect(archived.id).not.toBe(staging.id);
      expect(asAdmin).toEqual([
        [staging.id, all],
        [production.id, all],
      ]);
      expect(asManager).toEqual(asAdmin);
      expect(asProductionManager).toEqual([
        [staging.id, decide],
        [production.id, decide],
      ]);
      expect(asStagingManager).toEqual([
        [staging.id, decide],
        [production.id, []],
      ]);
      expect(asReader).toEqual([
        [staging.id, cancelOnly],
        [production.id, []],
      ]);
      expect(asEditor).toEqual([
        [staging.id, []],
        [production.id, cancelOnly],
      ]);
      expectError(asStranger, 403, 'PERMISSION_DENIED');
    });
  });

  describe('approve', () => {
    it('answers once the approval is committed; the workflow then moves the version and archives the stage’s other versions, with the feed in order', async () => {
      // Prepare
      const name = await model(3);
      await moveTo(name, '1', 'Production');
      await moveTo(name, '2', 'Production');
      await openRequest(
        { name, version: '3', stage: 'Production', comment: 'v3 is better' },
        reader.token
      );

      // Act
      const approved = await approve(
        {
          name,
          version: '3',
          stage: 'Production',
          archive_existing_versions: true,
          comment: 'lgtm',
        },
        productionManager.token
      );
      const applied = await appliedStage(name, '3', 'Production');
      const stages = [
        await stageOf(name, '1'),
        await stageOf(name, '2'),
        applied,
      ];

      // Assess
      expectStatus(approved, 200);
      expect(approved.body.activity).toEqual({
        id: expect.stringMatching(HEX_ID),
        activity_type: 'APPROVED_REQUEST',
        from_stage: 'None',
        to_stage: 'Production',
        user_id: productionManager.userName,
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
        comment: 'lgtm',
      });
      expect(stages).toEqual(['Archived', 'Archived', 'Production']);
      expect(await openRequests(name, '3')).toEqual([]);
      const feed = await activities(name, '3');
      expect(typesOf(feed)).toEqual([
        'REQUESTED_TRANSITION',
        'APPROVED_REQUEST',
        'APPLIED_TRANSITION',
      ]);
      expect(feed[0]).toMatchObject({
        user_id: reader.userName,
        comment: 'v3 is better',
      });
      expect(feed[1]?.id).toBe(approved.body.activity.id);
      expect(feed[2]).toMatchObject({
        from_stage: 'None',
        to_stage: 'Production',
      });
      for (const version of ['1', '2']) {
        const archivedFeed = await activities(name, version);
        expect(archivedFeed.at(-1)).toMatchObject({
          activity_type: 'SYSTEM_TRANSITION',
          from_stage: 'Production',
          to_stage: 'Archived',
          system_comment: expect.any(String),
        });
      }
    });

    it('leaves the stage’s other versions where they are without archive_existing_versions', async () => {
      // Prepare
      const name = await model(2);
      await moveTo(name, '1', 'Staging');
      await openRequest({ name, version: '2', stage: 'Staging' }, reader.token);

      // Act
      const approved = await approve(
        {
          name,
          version: '2',
          stage: 'Staging',
          archive_existing_versions: false,
        },
        stagingManager.token
      );

      // Assess
      expectStatus(approved, 200);
      expect(await appliedStage(name, '2', 'Staging')).toBe('Staging');
      expect(await stageOf(name, '1')).toBe('Staging');
    });

    it('decides the request named by request_id, else the oldest matching one', async () => {
      // Prepare
      const name = await model();
      const oldest = await openRequest(
        { name, version: '1', stage: 'Staging' },
        reader.token
      );
      const middle = await openRequest(
        { name, version: '1', stage: 'Staging' },
        editor.token
      );
      const newest = await openRequest(
        { name, version: '1', stage: 'Staging' },
        productionManager.token
      );

      // Act
      const byId = await reject(
        { name, version: '1', stage: 'Staging', request_id: middle.id },
        manager.token
      );
      const afterById = await openRequests(name, '1');
      const byAddress = await reject(
        { name, version: '1', stage: 'Staging' },
        manager.token
      );
      const afterByAddress = await openRequests(name, '1');

      // Assess
      expectStatus(byId, 200);
      expectStatus(byAddress, 200);
      expect(afterById.map((r) => r.id)).toEqual([oldest.id, newest.id]);
      expect(afterByAddress.map((r) => r.id)).toEqual([newest.id]);
    });

    it('closes the version’s other open requests to the same stage as fulfilled', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);
      const second = await openRequest(
        { name, version: '1', stage: 'Staging', comment: 'mine' },
        editor.token
      );

      // Act
      const approved = await approve(
        { name, version: '1', stage: 'Staging', request_id: second.id },
        manager.token
      );

      // Assess: the other request is closed right after the transition.
      expectStatus(approved, 200);
      const feed = await pollUntil(
        () => activities(name, '1'),
        (current) => current.length >= 5,
        { intervalMs: 20 }
      );
      expect(await stageOf(name, '1')).toBe('Staging');
      expect(await openRequests(name, '1')).toEqual([]);
      expect(typesOf(feed)).toEqual([
        'REQUESTED_TRANSITION',
        'REQUESTED_TRANSITION',
        'APPROVED_REQUEST',
        'APPLIED_TRANSITION',
        'CANCELLED_REQUEST',
      ]);
      expect(feed[4]).toMatchObject({
        user_id: 'system',
        from_stage: 'None',
        to_stage: 'Staging',
        system_comment: expect.stringContaining('Staging'),
      });
    });

    it('answers 404 when no open request to that stage exists, and 400 without archive_existing_versions', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);

      // Act
      const otherStage = await approve(
        { name, version: '1', stage: 'Production' },
        manager.token
      );
      const unknownId = await approve(
        {
          name,
          version: '1',
          stage: 'Staging',
          request_id: '0'.repeat(32),
        },
        manager.token
      );
      const withoutArchiveFlag = await call(
        'POST',
        `${MLFLOW}/transition-requests/approve`,
        {
          body: { name, version: '1', stage: 'Staging' },
          token: manager.token,
        }
      );

      // Assess
      expectError(otherStage, 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(unknownId, 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(withoutArchiveFlag, 400, 'INVALID_PARAMETER_VALUE');
      expect(await openRequests(name, '1')).toHaveLength(1);
      expect(await stageOf(name, '1')).toBe('None');
    });
  });

  describe('reject', () => {
    it('answers REJECTED_REQUEST, leaves the version where it was and unlists the request', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);

      // Act
      const rejected = await reject(
        { name, version: '1', stage: 'Staging', comment: 'not yet' },
        stagingManager.token
      );

      // Assess
      expectStatus(rejected, 200);
      expect(rejected.body.activity).toEqual({
        id: expect.stringMatching(HEX_ID),
        activity_type: 'REJECTED_REQUEST',
        from_stage: 'None',
        to_stage: 'Staging',
        user_id: stagingManager.userName,
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
        comment: 'not yet',
      });
      expect(await stageOf(name, '1')).toBe('None');
      expect(await openRequests(name, '1')).toEqual([]);
      expect(typesOf(await activities(name, '1'))).toEqual([
        'REQUESTED_TRANSITION',
        'REJECTED_REQUEST',
      ]);
      expectError(
        await approve({ name, version: '1', stage: 'Staging' }, manager.token),
        404,
        'RESOURCE_DOES_NOT_EXIST'
      );
    });
  });

  describe('delete (cancel)', () => {
    it('lets the creator cancel its request with only Can Read', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);

      // Act
      const cancelled = await cancel(
        {
          name,
          version: '1',
          stage: 'Staging',
          creator: reader.userName,
          comment: 'changed my mind',
        },
        reader.token
      );

      // Assess
      expectStatus(cancelled, 200);
      expect(cancelled.body.activity).toEqual({
        id: expect.stringMatching(HEX_ID),
        activity_type: 'CANCELLED_REQUEST',
        from_stage: 'None',
        to_stage: 'Staging',
        user_id: reader.userName,
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
        comment: 'changed my mind',
      });
      expect(await openRequests(name, '1')).toEqual([]);
      expect(await stageOf(name, '1')).toBe('None');
      expect(typesOf(await activities(name, '1'))).toEqual([
        'REQUESTED_TRANSITION',
        'CANCELLED_REQUEST',
      ]);
    });

    it('lets a Can Manage holder cancel another user’s request', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);

      // Act
      const cancelled = await cancel(
        { name, version: '1', stage: 'Staging', creator: reader.userName },
        manager.token
      );

      // Assess
      expectStatus(cancelled, 200);
      expect(cancelled.body.activity.user_id).toBe(manager.userName);
      expect(await openRequests(name, '1')).toEqual([]);
    });

    it('refuses anyone else, even with Can Edit or Can Manage Production Versions, with 403', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);
      const query = {
        name,
        version: '1',
        stage: 'Staging',
        creator: reader.userName,
      };

      // Act
      const byEditor = await cancel(query, editor.token);
      const byProductionManager = await cancel(query, productionManager.token);
      const byStranger = await cancel(query, stranger.token);

      // Assess
      expectError(byEditor, 403, 'PERMISSION_DENIED');
      expectError(byProductionManager, 403, 'PERMISSION_DENIED');
      expectError(byStranger, 403, 'PERMISSION_DENIED');
      expect(await openRequests(name, '1')).toHaveLength(1);
    });

    it('answers 404 when the named creator has no open request', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);

      // Act
      const cancelled = await cancel(
        { name, version: '1', stage: 'Staging', creator: editor.userName },
        manager.token
      );

      // Assess
      expectError(cancelled, 404, 'RESOURCE_DOES_NOT_EXIST');
      expect(await openRequests(name, '1')).toHaveLength(1);
    });
  });

  describe('who decides', () => {
    it('lets Can Manage Staging Versions decide among None and Staging, but not a request to Production', async () => {
      // Prepare
      const name = await model(2);
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);
      await openRequest(
        { name, version: '2', stage: 'Production' },
        reader.token
      );

      // Act
      const toStaging = await approve(
        { name, version: '1', stage: 'Staging' },
        stagingManager.token
      );
      const toProduction = await approve(
        { name, version: '2', stage: 'Production' },
        stagingManager.token
      );
      const rejectProduction = await reject(
        { name, version: '2', stage: 'Production' },
        stagingManager.token
      );

      // Assess
      expectStatus(toStaging, 200);
      expect(await appliedStage(name, '1', 'Staging')).toBe('Staging');
      expectError(toProduction, 403, 'PERMISSION_DENIED');
      expectError(rejectProduction, 403, 'PERMISSION_DENIED');
      expect(await stageOf(name, '2')).toBe('None');
      expect(await openRequests(name, '2')).toHaveLength(1);
    });

    it('lets Can Manage Production Versions approve a request to Production', async () => {
      // Prepare
      const name = await model();
      await openRequest(
        { name, version: '1', stage: 'Production' },
        reader.token
      );

      // Act
      const approved = await approve(
        { name, version: '1', stage: 'Production' },
        productionManager.token
      );

      // Assess
      expectStatus(approved, 200);
      expect(await appliedStage(name, '1', 'Production')).toBe('Production');
    });

    it('refuses Can Read and Can Edit holders, the creator included, with 403', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);
      const body = { name, version: '1', stage: 'Staging' };

      // Act
      const byCreator = await approve(body, reader.token);
      const byEditor = await approve(body, editor.token);
      const rejectByEditor = await reject(body, editor.token);

      // Assess
      expectError(byCreator, 403, 'PERMISSION_DENIED');
      expectError(byEditor, 403, 'PERMISSION_DENIED');
      expectError(rejectByEditor, 403, 'PERMISSION_DENIED');
      expect(await openRequests(name, '1')).toHaveLength(1);
      expect(await stageOf(name, '1')).toBe('None');
    });
  });

  describe('separation of duties', () => {
    it('is on for Production by default: the creator may not approve its own request, even with Can Manage', async () => {
      // Prepare
      const name = await model();
      const request = await openRequest(
        { name, version: '1', stage: 'Production' },
        manager.token
      );

      // Act
      const settings = await getSettings(name, reader.token);
      const selfApproved = await approve(
        { name, version: '1', stage: 'Production' },
        manager.token
      );
      const listed = await openRequests(name, '1', manager.token);
      const byOther = await approve(
        { name, version: '1', stage: 'Production' },
        productionManager.token
      );

      // Assess
      expectStatus(settings, 200);
      expect(settings.body.settings).toEqual({
        name,
        separation_of_duties_stages: ['Production'],
        request_expiry_seconds: 7 * 24 * 3600,
        reminder_after_seconds: 24 * 3600,
        protected_stages: ['Production'],
        required_approvals: 1,
      });
      expect(request.available_actions).toEqual(['CANCEL_TRANSITION_REQUEST']);
      expectError(selfApproved, 403, 'PERMISSION_DENIED');
      expect(listed.map((r) => r.available_actions)).toEqual([
        ['CANCEL_TRANSITION_REQUEST'],
      ]);
      expectStatus(byOther, 200);
      expect(await appliedStage(name, '1', 'Production')).toBe('Production');
    });

    it('lets the creator approve its own Staging request by default', async () => {
      // Prepare
      const name = await model();
      await openRequest(
        { name, version: '1', stage: 'Staging' },
        manager.token
      );

      // Act
      const approved = await approve(
        { name, version: '1', stage: 'Staging' },
        manager.token
      );

      // Assess
      expectStatus(approved, 200);
      expect(await appliedStage(name, '1', 'Staging')).toBe('Staging');
    });

    it('refuses self-approval of Staging once Staging is one of separation_of_duties_stages', async () => {
      // Prepare
      const name = await model();
      const patched = await patchSettings(
        { name, separation_of_duties_stages: ['Production', 'staging'] },
        manager.token
      );
      await openRequest(
        { name, version: '1', stage: 'Staging' },
        manager.token
      );

      // Act
      const selfApproved = await approve(
        { name, version: '1', stage: 'Staging' },
        manager.token
      );
      const selfRejected = await reject(
        { name, version: '1', stage: 'Staging' },
        manager.token
      );

      // Assess
      expectStatus(patched, 200);
      expect(patched.body.settings).toEqual({
        name,
        separation_of_duties_stages: ['Production', 'Staging'],
        request_expiry_seconds: 7 * 24 * 3600,
        reminder_after_seconds: 24 * 3600,
        protected_stages: ['Production'],
        required_approvals: 1,
      });
      expectError(selfApproved, 403, 'PERMISSION_DENIED');
      expectError(selfRejected, 403, 'PERMISSION_DENIED');
      expect(await stageOf(name, '1')).toBe('None');
      expect(await openRequests(name, '1')).toHaveLength(1);
    });

    it('keeps the creator from approving its own request to Production, a protected stage, even with separation_of_duties_stages empty', async () => {
      // Prepare
      const name = await model();
      expectStatus(
        await patchSettings(
          { name, separation_of_duties_stages: [] },
          manager.token
        ),
        200
      );
      const request = await openRequest(
        { name, version: '1', stage: 'Production' },
        manager.token
      );

      // Act
      const approved = await approve(
        { name, version: '1', stage: 'Production' },
        manager.token
      );

      // Assess
      expect(request.available_actions).toEqual(['CANCEL_TRANSITION_REQUEST']);
      expectError(approved, 403, 'PERMISSION_DENIED');
      expect(approved.body.message).toContain('protected stage');
      expect(await openRequests(name, '1')).toHaveLength(1);
    });

    it('lets only a Can Manage holder change the settings, and refuses an invalid expiry', async () => {
      // Prepare
      const name = await model();

      // Act
      const byProductionManager = await patchSettings(
        { name, separation_of_duties_stages: [] },
        productionManager.token
      );
      const zeroExpiry = await patchSettings(
        { name, request_expiry_seconds: 0 },
        manager.token
      );
      const after = await getSettings(name, reader.token);

      // Assess
      expectError(byProductionManager, 403, 'PERMISSION_DENIED');
      expectError(zeroExpiry, 400, 'INVALID_PARAMETER_VALUE');
      expect(after.body.settings).toEqual({
        name,
        separation_of_duties_stages: ['Production'],
        request_expiry_seconds: 7 * 24 * 3600,
        reminder_after_seconds: 24 * 3600,
        protected_stages: ['Production'],
        required_approvals: 1,
      });
    });
  });

  describe('expiry', () => {
    it('closes an undecided request once request_expiry_seconds have passed, as the system', async () => {
      // Prepare
      const name = await model();
      expectStatus(
        await patchSettings({ name, request_expiry_seconds: 2 }, manager.token),
        200
      );
      const request = await openRequest(
        { name, version: '1', stage: 'Staging' },
        reader.token
      );

      // Act
      const open = await pollUntil(
        () => openRequests(name, '1'),
        (list) => list.length === 0,
        { timeoutMs: 15_000, intervalMs: 250 }
      );
      const approvedLate = await approve(
        { name, version: '1', stage: 'Staging' },
        manager.token
      );

      // Assess
      expect(open).toEqual([]);
      const feed = await activities(name, '1');
      expect(typesOf(feed)).toEqual([
        'REQUESTED_TRANSITION',
        'CANCELLED_REQUEST',
      ]);
      expect(feed[1]).toMatchObject({
        user_id: 'system',
        from_stage: 'None',
        to_stage: 'Staging',
        system_comment: expect.stringMatching(/expir/i),
      });
      expect(feed[1]?.creation_timestamp).toBeGreaterThanOrEqual(
        request.creation_timestamp + 2_000
      );
      expectError(approvedLate, 404, 'RESOURCE_DOES_NOT_EXIST');
      expect(await stageOf(name, '1')).toBe('None');
    });
  });

  describe('stale requests', () => {
    it('closes a request to Production when the version is moved to Staging directly', async () => {
      // Prepare
      const name = await model();
      await openRequest(
        { name, version: '1', stage: 'Production' },
        reader.token
      );

      // Act
      await moveTo(name, '1', 'Staging');

      // Assess
      expect(await openRequests(name, '1')).toEqual([]);
      const feed = await activities(name, '1');
      expect(typesOf(feed)).toEqual([
        'REQUESTED_TRANSITION',
        'APPLIED_TRANSITION',
        'CANCELLED_REQUEST',
      ]);
      expect(feed[2]).toMatchObject({
        user_id: 'system',
        to_stage: 'Production',
        system_comment: expect.stringContaining('Staging'),
      });
      expectError(
        await approve(
          { name, version: '1', stage: 'Production' },
          productionManager.token
        ),
        404,
        'RESOURCE_DOES_NOT_EXIST'
      );
      expect(await stageOf(name, '1')).toBe('Staging');
    });

    it('closes a request as fulfilled when the version reaches the requested stage another way', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);

      // Act
      await moveTo(name, '1', 'Staging');

      // Assess
      expect(await openRequests(name, '1')).toEqual([]);
      const feed = await activities(name, '1');
      expect(typesOf(feed)).toEqual([
        'REQUESTED_TRANSITION',
        'APPLIED_TRANSITION',
        'CANCELLED_REQUEST',
      ]);
      expect(feed[2]).toMatchObject({
        user_id: 'system',
        to_stage: 'Staging',
        system_comment: expect.stringContaining('moved to Staging'),
      });
    });

    it('closes the requests of a version archived because another version’s request was approved', async () => {
      // Prepare
      const name = await model(2);
      await moveTo(name, '1', 'Staging');
      await openRequest(
        { name, version: '1', stage: 'Production' },
        reader.token
      );
      await openRequest({ name, version: '2', stage: 'Staging' }, reader.token);

      // Act
      const approved = await approve(
        {
          name,
          version: '2',
          stage: 'Staging',
          archive_existing_versions: true,
        },
        stagingManager.token
      );

      // Assess: version 1's request is closed right after the transition.
      expectStatus(approved, 200);
      const feed = await pollUntil(
        () => activities(name, '1'),
        (current) => typesOf(current).at(-1) === 'CANCELLED_REQUEST',
        { intervalMs: 20 }
      );
      expect([await stageOf(name, '1'), await stageOf(name, '2')]).toEqual([
        'Archived',
        'Staging',
      ]);
      expect(await openRequests(name, '1')).toEqual([]);
      expect(typesOf(feed).slice(-3)).toEqual([
        'REQUESTED_TRANSITION',
        'SYSTEM_TRANSITION',
        'CANCELLED_REQUEST',
      ]);
      expect(feed.at(-1)).toMatchObject({
        user_id: 'system',
        to_stage: 'Production',
        system_comment: expect.stringContaining('Archived'),
      });
    });

    it('closes the version’s request to another stage when one of its requests is approved', async () => {
      // Prepare
      const name = await model();
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);
      await openRequest(
        { name, version: '1', stage: 'Production' },
        editor.token
      );

      // Act
      const approved = await approve(
        { name, version: '1', stage: 'Staging' },
        stagingManager.token
      );

      // Assess: the other request is closed right after the transition.
      expectStatus(approved, 200);
      const feed = await pollUntil(
        () => activities(name, '1'),
        (current) => current.length >= 5,
        { intervalMs: 20 }
      );
      expect(await stageOf(name, '1')).toBe('Staging');
      expect(await openRequests(name, '1')).toEqual([]);
      expect(typesOf(feed)).toEqual([
        'REQUESTED_TRANSITION',
        'REQUESTED_TRANSITION',
        'APPROVED_REQUEST',
        'APPLIED_TRANSITION',
        'CANCELLED_REQUEST',
      ]);
    });

    it('closes the open requests of a version that is deleted', async () => {
      // Prepare
      const name = await model(2);
      await moveTo(name, '1', 'Archived');
      await openRequest({ name, version: '1', stage: 'Staging' }, reader.token);
      await openRequest(
        { name, version: '1', stage: 'Production' },
        editor.token
      );

      // Act
      const deleted = await call('DELETE', `${MLFLOW}/model-versions/delete`, {
        query: { name, version: '1' },
      });

      // Assess
      expectStatus(deleted, 200);
      expectError(
        await listRequests(name, '1'),
        404,
        'RESOURCE_DOES_NOT_EXIST'
      );
      expectError(
        await approve({ name, version: '1', stage: 'Staging' }, manager.token),
        404,
        'RESOURCE_DOES_NOT_EXIST'
      );
      // The model's other versions still take requests.
      await openRequest({ name, version: '2', stage: 'Staging' }, reader.token);
      expect(await openRequests(name, '2')).toHaveLength(1);
    });
  });

  describe('comments', () => {
    async function comment(
      name: string,
      text: string,
      token?: string
    ): Promise<CommentJson> {
      const created = await call<{ comment: CommentJson }>(
        'POST',
        `${COMMENTS}/create`,
        {
          body: { name, version: '1', comment: text },
          ...(token === undefined ? {} : { token }),
        }
      );
      expectStatus(created, 200);
      return created.body.comment;
    }

    const update = (id: string, text: string, token: string) =>
      call<{ comment: CommentJson } & Partial<ErrorJson>>(
        'PATCH',
        `${COMMENTS}/update`,
        { body: { id, comment: text }, token }
      );

    const remove = (id: string, token: string) =>
      call<Partial<ErrorJson>>('DELETE', `${COMMENTS}/delete`, {
        query: { id },
        token,
      });

    it('creates a comment with the author’s actions and a NEW_COMMENT activity, for a Can Read holder', async () => {
      // Prepare
      const name = await model();

      // Act
      const created = await call<{ comment: CommentJson }>(
        'POST',
        `${COMMENTS}/create`,
        {
          body: { name, version: '1', comment: 'looks good' },
          token: reader.token,
        }
      );

      // Assess
      expectStatus(created, 200);
      expect(created.body.comment).toEqual({
        id: expect.any(String),
        comment: 'looks good',
        user_id: reader.userName,
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
        available_actions: ['EDIT_COMMENT', 'DELETE_COMMENT'],
      });
      expect(await activities(name, '1')).toEqual([
        expect.objectContaining({
          id: created.body.comment.id,
          activity_type: 'NEW_COMMENT',
          user_id: reader.userName,
          comment: 'looks good',
        }),
      ]);
    });

    it('refuses an empty comment with 400 and a caller without permission with 403', async () => {
      // Prepare
      const name = await model();

      // Act
      const empty = await call<Partial<ErrorJson>>(
        'POST',
        `${COMMENTS}/create`,
        { body: { name, version: '1', comment: '  ' }, token: reader.token }
      );
      const denied = await call<Partial<ErrorJson>>(
        'POST',
        `${COMMENTS}/create`,
        { body: { name, version: '1', comment: 'hi' }, token: stranger.token }
      );

      // Assess
      expectError(empty, 400, 'INVALID_PARAMETER_VALUE');
      expectError(denied, 403, 'PERMISSION_DENIED');
      expect(await activities(name, '1')).toEqual([]);
    });

    it('lets only the author edit a comment', async () => {
      // Prepare
      const name = await model();
      const created = await comment(name, 'first draft', reader.token);

      // Act
      const byManager = await update(created.id, 'hijacked', manager.token);
      const byAuthor = await update(created.id, 'second draft', reader.token);

      // Assess
      expectError(byManager, 403, 'PERMISSION_DENIED');
      expectStatus(byAuthor, 200);
      expect(byAuthor.body.comment).toEqual({
        ...created,
        comment: 'second draft',
        last_updated_timestamp: expect.any(Number),
      });
      expect(
        byAuthor.body.comment.last_updated_timestamp
      ).toBeGreaterThanOrEqual(created.last_updated_timestamp);
      expect((await activities(name, '1')).map((a) => a.comment)).toEqual([
        'second draft',
      ]);
    });

    it('lets the author or a Can Manage holder delete a comment, and refuses others with 403', async () => {
      // Prepare
      const name = await model();
      const own = await comment(name, 'mine', reader.token);
      const moderated = await comment(name, 'spam', reader.token);

      // Act
      const byEditor = await remove(own.id, editor.token);
      const byAuthor = await remove(own.id, reader.token);
      const byManager = await remove(moderated.id, manager.token);
      const again = await remove(own.id, reader.token);

      // Assess
      expectError(byEditor, 403, 'PERMISSION_DENIED');
      expect(byAuthor).toMatchObject({ status: 200, body: {} });
      expect(byManager).toMatchObject({ status: 200, body: {} });
      expectError(again, 404, 'RESOURCE_DOES_NOT_EXIST');
      expect(await activities(name, '1')).toEqual([]);
    });
  });
});
