import { beforeAll, describe, expect, it } from 'vitest';
import { call, MLFLOW, uniqueName } from '../support/api.ts';
import {
  createUserWithToken,
  modelId,
  type UserWithToken,
} from './support/principals.ts';
import {
  activities,
  appliedFeed,
  approve,
  type ErrorJson,
  expectStatus,
  getSettings,
  grantLevels,
  moveTo,
  openRequest,
  openRequests,
  patchSettings,
  stageOf,
  typesOf,
} from './support/requests.ts';

/**
 * Protected stages (README, "Protected stages"): a version enters one only
 * through an approved request, with `required_approvals` distinct
 * approvers other than the requester; an admin's direct move is recorded
 * as a bypass. By default Production is protected with one approval.
 */

const POLICY = '/api/2.0/stagegate/registry/policy';

let creator: UserWithToken;
let firstApprover: UserWithToken;
let secondApprover: UserWithToken;
let reader: UserWithToken;

beforeAll(async () => {
  [creator, firstApprover, secondApprover, reader] = await Promise.all([
    createUserWithToken(),
    createUserWithToken(),
    createUserWithToken(),
    createUserWithToken(),
  ]);
});

/**
 * A model created by `creator` (who therefore holds Can Manage on it) with
 * one version, and Production managers and a reader granted.
 */
async function creatorsModel(): Promise<string> {
  const name = uniqueName('gate');
  expectStatus(
    await call('POST', `${MLFLOW}/registered-models/create`, {
      token: creator.token,
      body: { name },
    }),
    200
  );
  expectStatus(
    await call('POST', `${MLFLOW}/model-versions/create`, {
      token: creator.token,
      body: { name, source: `s3://gate/${name}/1` },
    }),
    200
  );
  await grantLevels(await modelId(name), [
    [firstApprover, 'CAN_MANAGE_PRODUCTION_VERSIONS'],
    [secondApprover, 'CAN_MANAGE_PRODUCTION_VERSIONS'],
    [reader, 'CAN_READ'],
  ]);
  return name;
}

/** `transition-stage` exactly as MLflow 2.17's client sends it. */
function mlflowClientTransition(name: string, stage: string, token: string) {
  return call<ErrorJson>('POST', `${MLFLOW}/model-versions/transition-stage`, {
    token,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'mlflow-python-client/2.17.2',
      accept: '*/*',
      'accept-encoding': 'gzip, deflate',
    },
    // Python's json.dumps separators, as the trace shows the body.
    rawBody: `{"name": ${JSON.stringify(name)}, "version": "1", "stage": ${JSON.stringify(stage)}, "archive_existing_versions": false}`,
  });
}

function databricksTransition(name: string, stage: string, token?: string) {
  return call<ErrorJson>(
    'POST',
    `${MLFLOW}/databricks/model-versions/transition-stage`,
    {
      ...(token === undefined ? {} : { token }),
      body: {
        name,
        version: '1',
        stage,
        archive_existing_versions: false,
        comment: 'straight in',
      },
    }
  );
}

describe('Protected stages', () => {
  describe('a direct transition into a protected stage', () => {
    it('refuses the Can Manage creator, sent exactly as the MLflow client sends it, with 403 saying how to request it', async () => {
      // Prepare
      const name = await creatorsModel();

      // Act
      const refused = await mlflowClientTransition(
        name,
        'Production',
        creator.token
      );
      const lowerCase = await mlflowClientTransition(
        name,
        'production',
        creator.token
      );
      const toStaging = await mlflowClientTransition(
        name,
        'Staging',
        creator.token
      );

      // Assess
      expect(refused.status, JSON.stringify(refused.body)).toBe(403);
      expect(refused.headers.get('content-type')).toMatch(/application\/json/);
      expect(refused.body).toEqual({
        error_code: 'PERMISSION_DENIED',
        message: `Production is a protected stage of registered model '${name}': a version enters it only through an approved transition request (1 approval by someone other than the requester). Request it with POST /api/2.0/mlflow/transition-requests/create {"name", "version", "stage": "Production"} (stagegate request <model> <version> Production).`,
      });
      expect(lowerCase.status).toBe(403);
      expectStatus(toStaging, 200);
      expect(await stageOf(name, '1')).toBe('Staging');
    });

    it('refuses the Databricks variant too, and a Production manager as well as the creator', async () => {
      // Prepare
      const name = await creatorsModel();

      // Act
      const byCreator = await databricksTransition(
        name,
        'Production',
        creator.token
      );
      const byManager = await databricksTransition(
        name,
        'Production',
        firstApprover.token
      );

      // Assess
      for (const refused of [byCreator, byManager]) {
        expect(refused.status, JSON.stringify(refused.body)).toBe(403);
        expect(refused.body.error_code).toBe('PERMISSION_DENIED');
        expect(refused.body.message).toContain(
          'POST /api/2.0/mlflow/transition-requests/create'
        );
      }
      expect(await stageOf(name, '1')).toBe('None');
      expect(typesOf(await activities(name, '1'))).toEqual([]);
    });

    it('lets an admin through and records the bypass as an activity', async () => {
      // Prepare
      const name = await creatorsModel();

      // Act
      const moved = await databricksTransition(name, 'Production');

      // Assess
      expectStatus(moved, 200);
      expect(await stageOf(name, '1')).toBe('Production');
      const [applied] = await activities(name, '1');
      expect(applied).toMatchObject({
        activity_type: 'APPLIED_TRANSITION',
        from_stage: 'None',
        to_stage: 'Production',
        comment: 'straight in',
        system_comment: expect.stringMatching(
          /^Protected-stage policy bypassed: workspace admin .+ moved the version into Production directly/
        ),
      });
    });
  });

  describe('with required_approvals: 2', () => {
    it('keeps the request open after one approval and applies it with the second, by another approver', async () => {
      // Prepare
      const name = await creatorsModel();
      expectStatus(
        await patchSettings({ name, required_approvals: 2 }, creator.token),
        200
      );
      const request = await openRequest(
        { name, version: '1', stage: 'Production', comment: 'ship it' },
        reader.token
      );

      // Act
      const first = await approve(
        { name, version: '1', stage: 'Production' },
        firstApprover.token
      );
      const between = await openRequests(name, '1', firstApprover.token);
      const stageBetween = await stageOf(name, '1');
      const second = await approve(
        { name, version: '1', stage: 'Production' },
        secondApprover.token
      );

      // Assess
      expect(request).toMatchObject({
        approvals_required: 2,
        approvals_remaining: 2,
      });
      expectStatus(first, 200);
      expect(first.body).toMatchObject({
        activity: {
          activity_type: 'APPROVED_REQUEST',
          user_id: firstApprover.userName,
        },
        approvals_required: 2,
        approvals_remaining: 1,
      });
      expect(between).toHaveLength(1);
      expect(between[0]).toMatchObject({
        id: request.id,
        approvals_required: 2,
        approvals_remaining: 1,
        approved_by: [firstApprover.userName],
        available_actions: ['REJECT_TRANSITION_REQUEST'],
      });
      expect(stageBetween).toBe('None');
      expectStatus(second, 200);
      expect(second.body.approvals_remaining).toBe(0);
      const feed = await appliedFeed(name, '1', 'Production');
      expect(feed.map((a) => [a.activity_type, a.user_id])).toEqual([
        ['REQUESTED_TRANSITION', reader.userName],
        ['APPROVED_REQUEST', firstApprover.userName],
        ['APPROVED_REQUEST', secondApprover.userName],
        ['APPLIED_TRANSITION', secondApprover.userName],
      ]);
      expect(await stageOf(name, '1')).toBe('Production');
      expect(await openRequests(name, '1')).toEqual([]);
    });

    it('does not count the requester’s approval, nor one approver twice', async () => {
      // Prepare
      const name = await creatorsModel();
      expectStatus(
        await patchSettings({ name, required_approvals: 2 }, creator.token),
        200
      );
      await openRequest(
        { name, version: '1', stage: 'Production' },
        creator.token
      );

      // Act
      const byRequester = await approve(
        { name, version: '1', stage: 'Production' },
        creator.token
      );
      const first = await approve(
        { name, version: '1', stage: 'Production' },
        firstApprover.token
      );
      const again = await approve(
        { name, version: '1', stage: 'Production' },
        firstApprover.token
      );
      const [open] = await openRequests(name, '1', creator.token);

      // Assess
      expect(byRequester.status).toBe(403);
      expect(byRequester.body.error_code).toBe('PERMISSION_DENIED');
      expect(byRequester.body.message).toContain('protected stage');
      expectStatus(first, 200);
      expect(again.status).toBe(403);
      expect(again.body.message).toContain('has already approved this request');
      expect(open).toMatchObject({
        approvals_remaining: 1,
        approved_by: [firstApprover.userName],
        available_actions: ['CANCEL_TRANSITION_REQUEST'],
      });
      expect(await stageOf(name, '1')).toBe('None');
      expect(typesOf(await activities(name, '1'))).toEqual([
        'REQUESTED_TRANSITION',
        'APPROVED_REQUEST',
      ]);
    });
  });

  describe('the policy', () => {
    it('shows in the Databricks model read, as the registry’s with what the model’s managers added', async () => {
      // Prepare
      const name = await creatorsModel();
      const before = await call<{
        registered_model_databricks: Record<string, unknown>;
      }>('GET', `${MLFLOW}/databricks/registered-models/get`, {
        token: reader.token,
        query: { name },
      });

      // Act
      const patched = await patchSettings(
        {
          name,
          protected_stages: ['staging', 'Production'],
          required_approvals: 3,
        },
        creator.token
      );
      const after = await call<{
        registered_model_databricks: Record<string, unknown>;
      }>('GET', `${MLFLOW}/databricks/registered-models/get`, {
        token: reader.token,
        query: { name },
      });
      const intoStaging = await mlflowClientTransition(
        name,
        'Staging',
        creator.token
      );

      // Assess
      expect(before.body.registered_model_databricks.stage_policy).toEqual({
        protected_stages: ['Production'],
        required_approvals: 1,
      });
      expectStatus(patched, 200);
      expect(patched.body.settings).toMatchObject({
        protected_stages: ['Staging', 'Production'],
        required_approvals: 3,
      });
      expect(after.body.registered_model_databricks.stage_policy).toEqual({
        protected_stages: ['Staging', 'Production'],
        required_approvals: 3,
      });
      expect(intoStaging.status).toBe(403);
      expect(intoStaging.body.message).toContain(
        'Staging is a protected stage'
      );
    });

    it('refuses a model’s managers a policy below the registry’s, and anyone but Can Manage', async () => {
      // Prepare
      const name = await creatorsModel();

      // Act
      const dropped = await patchSettings(
        { name, protected_stages: ['Staging'] },
        creator.token
      );
      const none = await patchSettings(
        { name, required_approvals: 0 },
        creator.token
      );
      const byManager = await patchSettings(
        { name, required_approvals: 2 },
        firstApprover.token
      );
      const after = await getSettings(name, reader.token);

      // Assess
      expect(dropped.status).toBe(400);
      expect(dropped.body).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          "protected_stages must include Production: the registry's policy protects it for every model (an admin changes it at /api/2.0/stagegate/registry/policy).",
      });
      expect(none.status).toBe(400);
      expect(none.body.message).toContain('required_approvals');
      expect(byManager.status).toBe(403);
      expect(after.body.settings).toMatchObject({
        protected_stages: ['Production'],
        required_approvals: 1,
      });
    });

    it('lets anyone read the registry’s policy and only admins set it, within its bounds', async () => {
      // Act
      const read = await call('GET', POLICY, { token: reader.token });
      const byUser = await call<ErrorJson>('PATCH', POLICY, {
        token: reader.token,
        body: { protected_stages: [] },
      });
      const invalid = await call<ErrorJson>('PATCH', POLICY, {
        body: { protected_stages: ['None'], required_approvals: 11 },
      });
      // The default again: other suites share this registry.
      const same = await call('PATCH', POLICY, {
        body: { protected_stages: ['production'], required_approvals: 1 },
      });

      // Assess
      expectStatus(read, 200);
      expect(read.body).toEqual({
        policy: { protected_stages: ['Production'], required_approvals: 1 },
      });
      expect(byUser.status).toBe(403);
      expect(byUser.body.error_code).toBe('PERMISSION_DENIED');
      expect(invalid.status).toBe(400);
      expect(invalid.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expectStatus(same, 200);
      expect(same.body).toEqual(read.body);
    });
  });

  describe('leaving a protected stage', () => {
    it('stays a direct transition for a Production manager', async () => {
      // Prepare
      const name = await creatorsModel();
      await moveTo(name, '1', 'Production');

      // Act
      const archived = await mlflowClientTransition(
        name,
        'Archived',
        firstApprover.token
      );

      // Assess
      expectStatus(archived, 200);
      expect(await stageOf(name, '1')).toBe('Archived');
    });
  });
});
