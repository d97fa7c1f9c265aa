import { describe, expect, it } from 'vitest';
import {
  InvalidParameterValueError,
  InvalidStateError,
  PermissionDeniedError,
} from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import {
  addressRequest,
  approvalProgress,
  approveTransitionRequest,
  availableActions,
  createTransitionRequest,
  getRegistryPolicy,
  listTransitionRequests,
  rejectTransitionRequest,
  setRegistryPolicy,
  setTransitionRequestSettings,
  settingsOf,
} from '#domain/registry/requests.ts';
import { transitionModelVersionStage } from '#domain/registry/transitions.ts';
import {
  approvalsRequired,
  DEFAULT_REGISTRY_POLICY,
  effectivePolicy,
  MAX_REQUIRED_APPROVALS,
  validateModelPolicy,
  validateRegistryPolicy,
} from '#domain/stage-policy.ts';
import type { TransitionRequest } from '#domain/transition-request.ts';
import {
  ADMIN,
  accessTo,
  aPrincipal,
  type GovernanceDependencies,
  governanceDependencies,
  modelWithVersions,
  stageOf,
} from '#test/support/governance.ts';

const requester = aPrincipal('requester');
const first = aPrincipal('first-approver');
const second = aPrincipal('second-approver');

/** A model `m` with one version, a requester and two Production managers. */
async function setUp(): Promise<GovernanceDependencies> {
  const deps = governanceDependencies();
  await modelWithVersions(deps, 'm', 1, {
    requester: 'CAN_MANAGE',
    'first-approver': 'CAN_MANAGE_PRODUCTION_VERSIONS',
    'second-approver': 'CAN_MANAGE_PRODUCTION_VERSIONS',
  });
  return deps;
}

async function requestProduction(
  deps: GovernanceDependencies,
  by: Principal = requester
): Promise<TransitionRequest> {
  const { request } = await createTransitionRequest(
    deps,
    by,
    await accessTo(deps, 'm'),
    { version: 1, stage: 'Production' }
  );
  return request;
}

async function approveAs(
  deps: GovernanceDependencies,
  who: Principal,
  address?: Awaited<ReturnType<typeof addressRequest>>
) {
  return approveTransitionRequest(
    deps,
    who,
    address ??
      (await addressRequest(deps.requests, await accessTo(deps, 'm'), {
        version: 1,
        stage: 'Production',
      })),
    { archiveExistingVersions: false }
  );
}

async function stored(
  deps: GovernanceDependencies,
  request: TransitionRequest
): Promise<TransitionRequest | undefined> {
  return deps.requests.getRequest(request.modelId, 1, request.id);
}

async function rejectionOf(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => undefined,
    (error: unknown) => error
  );
}

async function twoApprovalsRequired(deps: GovernanceDependencies) {
  const { record } = await accessTo(deps, 'm');
  await setTransitionRequestSettings(deps, record, { requiredApprovals: 2 });
}

describe('protected stages', () => {
  describe('the policy', () => {
    it('protects Production with one approval by default', () => {
      // Act & Assess
      expect(DEFAULT_REGISTRY_POLICY).toEqual({
        protectedStages: ['Production'],
        requiredApprovals: 1,
      });
      expect(approvalsRequired(DEFAULT_REGISTRY_POLICY, 'Production')).toBe(1);
    });

    it('lets a model add stages and approvals to the registry’s, never drop below them', () => {
      // Prepare
      const registry = { protectedStages: ['Staging'], requiredApprovals: 2 };

      // Act
      const added = effectivePolicy(registry as never, {
        protectedStages: ['Production'],
        requiredApprovals: 3,
      });
      const storedLower = effectivePolicy(registry as never, {
        protectedStages: [],
        requiredApprovals: 1,
      });

      // Assess
      expect(added).toEqual({
        protectedStages: ['Staging', 'Production'],
        requiredApprovals: 3,
      });
      expect(storedLower).toEqual(registry);
      expect(approvalsRequired(added, 'Archived')).toBe(1);
      expect(approvalsRequired(added, 'Staging')).toBe(3);
    });

    it('refuses a model policy below the registry’s, naming what it drops', () => {
      // Act
      const dropped = () =>
        validateModelPolicy(DEFAULT_REGISTRY_POLICY, {
          protectedStages: ['Staging'],
        });
      const fewer = () =>
        validateModelPolicy(
          { protectedStages: ['Production'], requiredApprovals: 2 },
          { requiredApprovals: 1 }
        );

      // Assess
      expect(dropped).toThrow(InvalidParameterValueError);
      expect(dropped).toThrow(
        "protected_stages must include Production: the registry's policy protects it for every model (an admin changes it at /api/2.0/stagegate/registry/policy)."
      );
      expect(fewer).toThrow(
        `required_approvals must be a whole number from 2 to ${MAX_REQUIRED_APPROVALS}.`
      );
      expect(
        validateModelPolicy(DEFAULT_REGISTRY_POLICY, {
          protectedStages: ['production', 'STAGING', 'Staging'],
          requiredApprovals: 2,
        })
      ).toEqual({
        protectedStages: ['Staging', 'Production'],
        requiredApprovals: 2,
      });
    });

    it.each([
      [{ protectedStages: ['None'] }, /may not include None/],
      [{ protectedStages: ['Prod'] }, /Invalid Model Version stage: Prod/],
      [{ requiredApprovals: 0 }, /from 1 to 10/],
      [{ requiredApprovals: 1.5 }, /from 1 to 10/],
      [{ requiredApprovals: MAX_REQUIRED_APPROVALS + 1 }, /from 1 to 10/],
    ])('refuses the registry policy %o', (input, message) => {
      // Act
      const attempt = () => validateRegistryPolicy(input);

      // Assess
      expect(attempt).toThrow(InvalidParameterValueError);
      expect(attempt).toThrow(message);
    });

    it('lets an admin unprotect every stage registry-wide', () => {
      // Act & Assess
      expect(validateRegistryPolicy({ protectedStages: [] })).toEqual({
        protectedStages: [],
      });
    });
  });

  describe('settings and the registry policy', () => {
    it('merges the registry’s policy into every model’s settings', async () => {
      // Prepare
      const deps = await setUp();
      const { record } = await accessTo(deps, 'm');

      // Act
      const before = await settingsOf(deps, record.model.id);
      const registry = await setRegistryPolicy(deps, {
        protectedStages: ['staging', 'Production'],
      });
      const after = await settingsOf(deps, record.model.id);
      const model = await setTransitionRequestSettings(deps, record, {
        protectedStages: ['Archived', 'Staging', 'Production'],
        requiredApprovals: 3,
      });

      // Assess
      expect(before).toMatchObject(DEFAULT_REGISTRY_POLICY);
      expect(registry).toEqual({
        protectedStages: ['Staging', 'Production'],
        requiredApprovals: 1,
      });
      expect(await getRegistryPolicy(deps)).toEqual(registry);
      expect(after).toMatchObject(registry);
      expect(model).toMatchObject({
        protectedStages: ['Staging', 'Production', 'Archived'],
        requiredApprovals: 3,
        separationOfDutiesStages: ['Production'],
      });
    });

    it('refuses a manager’s settings below the registry’s policy, storing nothing', async () => {
      // Prepare
      const deps = await setUp();
      const { record } = await accessTo(deps, 'm');
      await setRegistryPolicy(deps, { requiredApprovals: 2 });

      // Act
      const lower = await rejectionOf(
        setTransitionRequestSettings(deps, record, {
          requestExpirySeconds: 60,
          requiredApprovals: 1,
        })
      );

      // Assess
      expect(lower).toBeInstanceOf(InvalidParameterValueError);
      expect(
        (await settingsOf(deps, record.model.id)).requestExpirySeconds
      ).toBe(7 * 24 * 3600);
    });
  });

  describe('approving a request to a protected stage', () => {
    it('keeps the request open after one of two approvals, and applies it with the second by someone else', async () => {
      // Prepare
      const deps = await setUp();
      await twoApprovalsRequired(deps);
      const created = await requestProduction(deps);
      await deps.requests.setTaskToken(created, 'token-1');

      // Act
      const one = await approveAs(deps, first);
      const afterOne = await stored(deps, created);
      const sentAfterOne = deps.workflow.sent.length;
      const two = await approveAs(deps, second);

      // Assess
      expect(one.progress).toEqual({
        required: 2,
        remaining: 1,
        approvers: ['first-approver'],
      });
      expect(one.activity).toMatchObject({
        activityType: 'APPROVED_REQUEST',
        userId: 'first-approver',
        systemComment:
          'Approval 1 of 2: the request stays open until 1 more approver (not the requester) approves it.',
      });
      expect(afterOne).toMatchObject({ status: 'OPEN' });
      expect(afterOne?.decision).toBeUndefined();
      expect(sentAfterOne).toBe(0);
      expect(two.progress).toEqual({
        required: 2,
        remaining: 0,
        approvers: ['first-approver', 'second-approver'],
      });
      expect(two.activity.systemComment).toBe(
        'Approval 2 of 2: the request is approved.'
      );
      expect(await stored(deps, created)).toMatchObject({
        status: 'APPROVED',
        decision: { outcome: 'approved', by: 'second-approver' },
      });
      expect(deps.workflow.sent).toEqual([
        { taskToken: 'token-1', outcome: 'approved' },
      ]);
      // The call applies nothing: the workflow does (design notes).
      expect(await stageOf(deps, 'm', 1)).toBe('None');
    });

    it('does not count the requester’s approval, even an admin’s', async () => {
      // Prepare
      const deps = await setUp();
      const byRequester = await requestProduction(deps);
      const byAdmin = await createTransitionRequest(
        deps,
        ADMIN,
        await accessTo(deps, 'm'),
        { version: 1, stage: 'Production' }
      );
      const own = (who: Principal) =>
        addressRequest(deps.requests, accessOf, {
          version: 1,
          stage: 'Production',
          creator: who.userName,
        });
      const accessOf = await accessTo(deps, 'm');

      // Act
      const requesters = await rejectionOf(
        approveAs(deps, requester, await own(requester))
      );
      const admins = await rejectionOf(
        approveAs(deps, ADMIN, await own(ADMIN))
      );

      // Assess
      expect(requesters).toBeInstanceOf(PermissionDeniedError);
      expect((requesters as Error).message).toMatch(/Separation of duties/);
      expect(admins).toBeInstanceOf(PermissionDeniedError);
      expect((await stored(deps, byRequester))?.approvals).toBeUndefined();
      expect((await stored(deps, byAdmin.request))?.status).toBe('OPEN');
    });

    it('does not count the same approver twice', async () => {
      // Prepare
      const deps = await setUp();
      await twoApprovalsRequired(deps);
      const created = await requestProduction(deps);
      await approveAs(deps, first);

      // Act
      const again = await rejectionOf(approveAs(deps, first));

      // Assess
      expect(again).toBeInstanceOf(PermissionDeniedError);
      expect((again as Error).message).toBe(
        'first-approver has already approved this request: each of the 2 approvals it needs comes from a different approver.'
      );
      expect((await stored(deps, created))?.approvals).toHaveLength(1);
    });

    it('counts both of two approvals planned on the same read: the loser re-reads and decides', async () => {
      // Prepare
      const deps = await setUp();
      await twoApprovalsRequired(deps);
      const created = await requestProduction(deps);
      const address = await addressRequest(
        deps.requests,
        await accessTo(deps, 'm'),
        { version: 1, stage: 'Production' }
      );

      // Act
      const one = await approveAs(deps, first, address);
      const two = await approveAs(deps, second, address);

      // Assess
      expect(one.progress.remaining).toBe(1);
      expect(two.progress.remaining).toBe(0);
      expect(await stored(deps, created)).toMatchObject({
        status: 'APPROVED',
        approvals: [{ by: 'first-approver' }, { by: 'second-approver' }],
      });
    });

    it('refuses one approver twice on the same read: the retry sees its own approval', async () => {
      // Prepare
      const deps = await setUp();
      await twoApprovalsRequired(deps);
      await requestProduction(deps);
      const address = await addressRequest(
        deps.requests,
        await accessTo(deps, 'm'),
        { version: 1, stage: 'Production' }
      );
      await approveAs(deps, first, address);

      // Act
      const twice = await rejectionOf(approveAs(deps, first, address));

      // Assess
      expect(twice).toBeInstanceOf(PermissionDeniedError);
    });

    it('lets an approver who approved still reject', async () => {
      // Prepare
      const deps = await setUp();
      await twoApprovalsRequired(deps);
      const created = await requestProduction(deps);
      await approveAs(deps, first);

      // Act
      await rejectTransitionRequest(
        deps,
        first,
        await addressRequest(deps.requests, await accessTo(deps, 'm'), {
          version: 1,
          stage: 'Production',
        }),
        {}
      );

      // Assess
      expect((await stored(deps, created))?.status).toBe('REJECTED');
    });

    it('answers 409 when a decision took the request first (no retry)', async () => {
      // Prepare
      const deps = await setUp();
      await twoApprovalsRequired(deps);
      await requestProduction(deps);
      const address = await addressRequest(
        deps.requests,
        await accessTo(deps, 'm'),
        { version: 1, stage: 'Production' }
      );
      await rejectTransitionRequest(deps, second, address, {});

      // Act
      const late = await rejectionOf(approveAs(deps, first, address));

      // Assess
      expect(late).toBeInstanceOf(InvalidStateError);
    });

    it('shows the approvals still needed, and offers approval only to those who may still give one', async () => {
      // Prepare
      const deps = await setUp();
      await twoApprovalsRequired(deps);
      await requestProduction(deps);
      await approveAs(deps, first);
      const model = await accessTo(deps, 'm');
      const settings = await settingsOf(deps, model.record.model.id);
      const listed = await listTransitionRequests(deps, model, {});
      const open = listed.requests[0]?.request;
      if (!open) throw new Error('no open request');

      // Act
      const actions = (who: Principal) =>
        availableActions(who, model, open, 'None', settings);

      // Assess
      expect(approvalProgress(open, settings)).toEqual({
        required: 2,
        remaining: 1,
        approvers: ['first-approver'],
      });
      expect(actions(first)).toEqual(['REJECT_TRANSITION_REQUEST']);
      expect(actions(second)).toEqual([
        'APPROVE_TRANSITION_REQUEST',
        'REJECT_TRANSITION_REQUEST',
      ]);
      expect(actions(requester)).toEqual(['CANCEL_TRANSITION_REQUEST']);
    });
  });

  describe('an admin’s direct transition', () => {
    it('records the bypass of the policy on the transition’s activity', async () => {
      // Prepare
      const deps = await setUp();
      const policy = await settingsOf(
        deps,
        (await accessTo(deps, 'm')).record.model.id
      );

      // Act
      await transitionModelVersionStage(deps, ADMIN, {
        name: 'm',
        version: 1,
        stage: 'Production',
        archiveExistingVersions: false,
        policy,
      });
      await transitionModelVersionStage(deps, ADMIN, {
        name: 'm',
        version: 1,
        stage: 'Archived',
        archiveExistingVersions: false,
        policy,
      });
      const record = (await accessTo(deps, 'm')).record;
      const feed = await deps.store.listActivities(record.model.id, 1);

      // Assess
      expect(
        feed.map((a) => [a.activityType, a.toStage, a.systemComment])
      ).toEqual([
        [
          'APPLIED_TRANSITION',
          'Production',
          'Protected-stage policy bypassed: workspace admin admin moved the version into Production directly, without the approved transition request (1 approval) the policy requires.',
        ],
        ['APPLIED_TRANSITION', 'Archived', undefined],
      ]);
    });
  });

  describe('listTransitionRequests without a version', () => {
    it('lists every version’s open requests, each with its version’s stage', async () => {
      // Prepare
      const deps = governanceDependencies();
      await modelWithVersions(deps, 'm', 2, { requester: 'CAN_READ' });
      const model = await accessTo(deps, 'm');
      await transitionModelVersionStage(deps, ADMIN, {
        name: 'm',
        version: 2,
        stage: 'Staging',
        archiveExistingVersions: false,
      });
      for (const [version, stage] of [
        [1, 'Staging'],
        [2, 'Production'],
      ] as const) {
        await createTransitionRequest(
          deps,
          requester,
          await accessTo(deps, 'm'),
          {
            version,
            stage,
          }
        );
      }

      // Act
      const listed = await listTransitionRequests(
        deps,
        await accessTo(deps, 'm'),
        {}
      );

      // Assess
      expect(model.record.model.name).toBe('m');
      expect(
        listed.requests.map((r) => [
          r.request.version,
          r.request.toStage,
          r.currentStage,
        ])
      ).toEqual([
        [1, 'Staging', 'None'],
        [2, 'Production', 'Staging'],
      ]);
    });
  });
});
