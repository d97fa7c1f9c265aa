import { describe, expect, it } from 'vitest';
import { reconcilePendingRequests } from '#domain/registry/reconciliation.ts';
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
  T0,
} from '#test/support/governance.ts';

const reader = aPrincipal('reader');
const stagingManager = aPrincipal('staging-manager');
const HOUR = 3_600_000;
const OPTIONS = { graceMs: 15 * 60_000, maxPerRun: 100 };

async function setUp(versions = 1): Promise<GovernanceDependencies> {
  const deps = governanceDependencies();
  await modelWithVersions(deps, 'm', versions, {
    reader: 'CAN_READ',
    'staging-manager': 'CAN_MANAGE_STAGING_VERSIONS',
  });
  await deps.requests.setSettings((await accessTo(deps, 'm')).record.model.id, {
    requestExpirySeconds: 24 * 3600,
  });
  return deps;
}

/** An open request to Staging whose first execution recorded itself. */
async function openRequest(
  deps: GovernanceDependencies,
  version = 1
): Promise<TransitionRequest> {
  const { request } = await createTransitionRequest(
    deps,
    reader,
    await accessTo(deps, 'm'),
    { version, stage: 'Staging' }
  );
  const arn = `arn:aws:states:eu-west-1:1:execution:tr:${request.id}`;
  await deps.requests.recordExecution(request, arn);
  return current(deps, request);
}

async function current(
  deps: GovernanceDependencies,
  request: TransitionRequest
): Promise<TransitionRequest> {
  const now = await deps.requests.getRequest(
    request.modelId,
    request.version,
    request.id
  );
  if (!now) throw new Error('no request');
  return now;
}

function arnOf(request: TransitionRequest): string {
  if (!request.executionArn) throw new Error('no execution recorded');
  return request.executionArn;
}

describe('reconcilePendingRequests', () => {
  it('leaves alone a request whose execution still runs', async () => {
    // Prepare
    const deps = await setUp();
    const request = await openRequest(deps);
    deps.workflow.executions.set(arnOf(request), 'running');
    deps.advance(HOUR);

    // Act
    const report = await reconcilePendingRequests(deps, OPTIONS);

    // Assess
    expect(report).toEqual({
      examined: 1,
      running: 1,
      rearmed: 0,
      expired: 0,
      failures: [],
    });
    expect(deps.workflow.started).toHaveLength(1);
  });

  it.each([
    ['ended', 'ended'],
    ['deleted with its state machine', 'missing'],
  ] as const)(
    'hands an open request whose execution %s to a fresh one, with the time it has left',
    async (_, state) => {
      // Prepare
      const deps = await setUp();
      const request = await openRequest(deps);
      if (state === 'ended')
        deps.workflow.executions.set(arnOf(request), state);
      deps.advance(HOUR);

      // Act
      const report = await reconcilePendingRequests(deps, OPTIONS);

      // Assess
      expect(report).toMatchObject({ examined: 1, rearmed: 1, expired: 0 });
      expect(deps.workflow.started.at(-1)).toEqual({
        input: {
          requestId: request.id,
          modelId: request.modelId,
          version: 1,
          expiresInSeconds: 23 * 3600,
        },
        attempt: T0 + HOUR,
      });
      expect((await current(deps, request)).status).toBe('OPEN');
    }
  );

  it('expires an open request past its expiry whose execution is gone, with the system activity', async () => {
    // Prepare
    const deps = await setUp();
    const request = await openRequest(deps);
    deps.advance(25 * HOUR);

    // Act
    const report = await reconcilePendingRequests(deps, OPTIONS);

    // Assess
    expect(report).toMatchObject({ examined: 1, rearmed: 0, expired: 1 });
    expect((await current(deps, request)).status).toBe('EXPIRED');
    expect(await feedOf(deps, 'm', 1)).toEqual([
      'REQUESTED_TRANSITION',
      'CANCELLED_REQUEST by system',
    ]);
    expect(deps.workflow.started).toHaveLength(1);
    expect(await deps.requests.listPendingRequests()).toEqual([]);
  });

  it('hands an approved request whose execution is gone to a fresh one, which applies it', async () => {
    // Prepare
    const deps = await setUp();
    const request = await openRequest(deps);
    await approveTransitionRequest(
      deps,
      stagingManager,
      await addressRequest(deps.requests, await accessTo(deps, 'm'), {
        version: 1,
        stage: 'Staging',
      }),
      { archiveExistingVersions: false }
    );
    deps.advance(HOUR);

    // Act
    const report = await reconcilePendingRequests(deps, OPTIONS);

    // Assess
    expect(report).toMatchObject({ examined: 1, rearmed: 1 });
    expect((await current(deps, request)).status).toBe('APPROVED');
    expect(deps.workflow.started.at(-1)?.input.requestId).toBe(request.id);
  });

  it('gives a request with no execution recorded yet the grace to get one, then re-arms it', async () => {
    // Prepare
    const deps = await setUp();
    const { request } = await createTransitionRequest(
      deps,
      reader,
      await accessTo(deps, 'm'),
      { version: 1, stage: 'Staging' }
    );

    // Act
    deps.advance(OPTIONS.graceMs - 1);
    const early = await reconcilePendingRequests(deps, OPTIONS);
    deps.advance(1);
    const late = await reconcilePendingRequests(deps, OPTIONS);

    // Assess
    expect(early).toMatchObject({ running: 1, rearmed: 0 });
    expect(late).toMatchObject({ running: 0, rearmed: 1 });
    expect(deps.workflow.started.map(({ input }) => input.requestId)).toEqual([
      request.id,
      request.id,
    ]);
  });

  it('asks about no execution when every one is known to be gone (a local start)', async () => {
    // Prepare
    const deps = await setUp();
    const request = await openRequest(deps);
    deps.workflow.executions.set(arnOf(request), 'running');
    deps.workflow.failDescribe = new Error('must not be asked');

    // Act
    const report = await reconcilePendingRequests(deps, {
      ...OPTIONS,
      allExecutionsLost: true,
    });

    // Assess
    expect(report).toMatchObject({ rearmed: 1, failures: [] });
  });

  it('reports a request it could not look at and carries on with the others', async () => {
    // Prepare
    const deps = await setUp(2);
    await openRequest(deps, 1);
    const second = await createTransitionRequest(
      deps,
      reader,
      await accessTo(deps, 'm'),
      { version: 2, stage: 'Staging' }
    );
    deps.workflow.failDescribe = new Error('Rate exceeded');
    deps.advance(HOUR);

    // Act
    const report = await reconcilePendingRequests(deps, OPTIONS);

    // Assess
    expect(report.examined).toBe(2);
    expect(report.failures).toEqual([
      { requestId: expect.any(String), error: 'Rate exceeded' },
    ]);
    expect(report.rearmed).toBe(1);
    expect(deps.workflow.started.at(-1)?.input.requestId).toBe(
      second.request.id
    );
  });

  it('looks at no more than maxPerRun requests', async () => {
    // Prepare
    const deps = await setUp(3);
    for (const version of [1, 2, 3]) await openRequest(deps, version);
    deps.advance(HOUR);

    // Act
    const report = await reconcilePendingRequests(deps, {
      ...OPTIONS,
      maxPerRun: 2,
    });

    // Assess
    expect(report).toMatchObject({ examined: 2, rearmed: 2 });
  });
});
