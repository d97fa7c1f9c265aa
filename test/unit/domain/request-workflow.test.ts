import { describe, expect, it } from 'vitest';
import { ConcurrentModificationError } from '#domain/errors.ts';
import {
  runWorkflowStep,
  TransientError,
  type WorkflowStepInput,
} from '#domain/registry/request-workflow.ts';
import {
  addressRequest,
  approveTransitionRequest,
  createTransitionRequest,
} from '#domain/registry/requests.ts';
import type { TransitionRequest } from '#domain/transition-request.ts';
import {
  accessTo,
  aPrincipal,
  feedOf,
  type GovernanceDependencies,
  governanceDependencies,
  modelWithVersions,
  stageOf,
} from '#test/support/governance.ts';

const reader = aPrincipal('reader');
const manager = aPrincipal('manager');

async function setUp(): Promise<{
  deps: GovernanceDependencies;
  request: TransitionRequest;
}> {
  const deps = governanceDependencies();
  await modelWithVersions(deps, 'm', 1, {
    reader: 'CAN_READ',
    manager: 'CAN_MANAGE',
  });
  const { request } = await createTransitionRequest(
    deps,
    reader,
    await accessTo(deps, 'm'),
    { version: 1, stage: 'Staging' }
  );
  return { deps, request };
}

function stepOf(
  request: TransitionRequest,
  step: WorkflowStepInput['step'],
  extra: Partial<WorkflowStepInput> = {}
): WorkflowStepInput {
  return {
    step,
    requestId: request.id,
    modelId: request.modelId,
    version: request.version,
    ...extra,
  };
}

async function approve(deps: GovernanceDependencies): Promise<void> {
  await approveTransitionRequest(
    deps,
    manager,
    await addressRequest(deps.requests, await accessTo(deps, 'm'), {
      version: 1,
      stage: 'Staging',
    }),
    { archiveExistingVersions: false }
  );
}

async function stored(
  deps: GovernanceDependencies,
  request: TransitionRequest
) {
  return deps.requests.getRequest(request.modelId, 1, request.id);
}

describe('runWorkflowStep', () => {
  describe('start (TakeOverRequest)', () => {
    it('records the execution on an open request and goes on to wait', async () => {
      // Prepare
      const { deps, request } = await setUp();

      // Act
      const result = await runWorkflowStep(
        deps,
        stepOf(request, 'start', { executionArn: 'arn:1' })
      );

      // Assess
      expect(result).toEqual({ status: 'OPEN', work: 'wait' });
      expect((await stored(deps, request))?.executionArn).toBe('arn:1');
    });

    it('goes straight to apply for a request approved meanwhile', async () => {
      // Prepare
      const { deps, request } = await setUp();
      await approve(deps);

      // Act
      const result = await runWorkflowStep(
        deps,
        stepOf(request, 'start', { executionArn: 'arn:2' })
      );

      // Assess
      expect(result).toEqual({ status: 'APPROVED', work: 'apply' });
      expect((await stored(deps, request))?.executionArn).toBe('arn:2');
    });

    it('ends for a request that is final, or gone with its model', async () => {
      // Prepare
      const { deps, request } = await setUp();
      await deps.requests.commit(request, 'cancel', { at: 0 });

      // Act
      const final = await runWorkflowStep(
        deps,
        stepOf(request, 'start', { executionArn: 'arn:3' })
      );
      const stale = await runWorkflowStep(deps, {
        ...stepOf(request, 'start'),
        requestId: 'f'.repeat(32),
      });

      // Assess
      expect(final).toEqual({ status: 'CANCELLED', work: 'end' });
      expect(stale).toEqual({ status: 'MISSING', work: 'end' });
    });
  });

  describe('wait (WaitForDecision)', () => {
    it('stores the task token of an open request (approvers were told by its event)', async () => {
      // Prepare
      const { deps, request } = await setUp();

      // Act
      const result = await runWorkflowStep(
        deps,
        stepOf(request, 'wait', { taskToken: 't1' })
      );

      // Assess
      expect(result).toEqual({ status: 'OPEN', work: 'wait' });
      expect(
        deps.store.outbox
          .all()
          .filter((event) => event.requestId === request.id)
          .map((event) => event.types[0])
      ).toEqual(['TRANSITION_REQUEST_CREATED']);
      expect((await stored(deps, request))?.taskToken).toBe('t1');
      expect(deps.workflow.sent).toEqual([]);
    });

    it('forwards a decision committed before the execution had a token', async () => {
      // Prepare
      const { deps, request } = await setUp();
      await approve(deps);

      // Act
      const result = await runWorkflowStep(
        deps,
        stepOf(request, 'wait', { taskToken: 't2' })
      );

      // Assess
      expect(result).toEqual({ status: 'APPROVED', work: 'apply' });
      expect(deps.workflow.sent).toEqual([
        { taskToken: 't2', outcome: 'approved' },
      ]);
    });

    it('releases its own wait when the request is gone', async () => {
      // Prepare
      const { deps, request } = await setUp();

      // Act
      const result = await runWorkflowStep(deps, {
        ...stepOf(request, 'wait', { taskToken: 't3' }),
        requestId: 'f'.repeat(32),
      });

      // Assess
      expect(result.status).toBe('MISSING');
      expect(deps.workflow.sent).toEqual([
        { taskToken: 't3', outcome: 'closed' },
      ]);
    });

    it('refuses to wait without a task token', async () => {
      // Prepare
      const { deps, request } = await setUp();

      // Act & Assess
      await expect(
        runWorkflowStep(deps, stepOf(request, 'wait'))
      ).rejects.toThrow(/task token/);
    });
  });

  describe('apply (ApplyTransition)', () => {
    it('applies an approved request held by the execution', async () => {
      // Prepare
      const { deps, request } = await setUp();
      await runWorkflowStep(
        deps,
        stepOf(request, 'start', { executionArn: 'arn:1' })
      );
      await approve(deps);

      // Act
      const result = await runWorkflowStep(
        deps,
        stepOf(request, 'apply', { executionArn: 'arn:1' })
      );

      // Assess
      expect(result).toEqual({ status: 'APPLIED', work: 'end' });
      expect(await stageOf(deps, 'm', 1)).toBe('Staging');
      expect(await feedOf(deps, 'm', 1)).toEqual([
        'REQUESTED_TRANSITION',
        'APPROVED_REQUEST',
        'APPLIED_TRANSITION',
      ]);
    });

    it('turns a lost race into a TransientError, which the state machine retries', async () => {
      // Prepare
      const { deps, request } = await setUp();
      await approve(deps);
      const busy = {
        ...deps,
        store: new Proxy(deps.store, {
          get: (target, property) => {
            if (property === 'commitTransition') {
              return async () => {
                throw new ConcurrentModificationError('busy');
              };
            }
            const value = Reflect.get(target, property);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
        sleep: async () => undefined,
      };

      // Act
      const failure = await runWorkflowStep(
        busy,
        stepOf(request, 'apply')
      ).then(
        () => undefined,
        (error: unknown) => error
      );

      // Assess
      expect(failure).toBeInstanceOf(TransientError);
      expect((failure as Error).name).toBe('TransientError');
    });
  });

  describe('expire (ExpireRequest)', () => {
    it('closes an undecided request as EXPIRED, saying after how long', async () => {
      // Prepare
      const { deps, request } = await setUp();

      // Act
      const result = await runWorkflowStep(deps, stepOf(request, 'expire'));

      // Assess
      expect(result).toEqual({ status: 'EXPIRED', work: 'end' });
      const record = (await accessTo(deps, 'm')).record;
      const closing = (await deps.store.listActivities(record.model.id, 1)).at(
        -1
      );
      expect(closing).toMatchObject({
        activityType: 'CANCELLED_REQUEST',
        userId: 'system',
        systemComment: `Expired: no decision within ${7 * 24 * 3600} s.`,
      });
    });

    it('leaves a request approved just before the expiry to apply', async () => {
      // Prepare
      const { deps, request } = await setUp();
      await approve(deps);

      // Act
      const result = await runWorkflowStep(deps, stepOf(request, 'expire'));

      // Assess
      expect(result).toEqual({ status: 'APPROVED', work: 'apply' });
    });
  });

  describe('fail (CloseAsFailed)', () => {
    it('closes an open request as FAILED with a system activity', async () => {
      // Prepare
      const { deps, request } = await setUp();

      // Act
      const result = await runWorkflowStep(deps, stepOf(request, 'fail'));

      // Assess
      expect(result).toEqual({ status: 'FAILED', work: 'end' });
      expect(await feedOf(deps, 'm', 1)).toEqual([
        'REQUESTED_TRANSITION',
        'CANCELLED_REQUEST by system',
      ]);
    });

    it('marks an approved request FAILED, and leaves a final one as it is', async () => {
      // Prepare
      const { deps, request } = await setUp();
      await approve(deps);

      // Act
      const failed = await runWorkflowStep(deps, stepOf(request, 'fail'));
      const again = await runWorkflowStep(deps, stepOf(request, 'fail'));

      // Assess
      expect(failed).toEqual({ status: 'FAILED', work: 'end' });
      expect(again).toEqual({ status: 'FAILED', work: 'end' });
      expect(await feedOf(deps, 'm', 1)).toEqual([
        'REQUESTED_TRANSITION',
        'APPROVED_REQUEST',
      ]);
    });
  });
});
