import { describe, expect, it } from 'vitest';
import { type ApiResponse, call, MLFLOW } from '../support/api.ts';
import {
  appliedStage,
  approve,
  createModel,
  expectStatus,
  openRequest,
} from './support/requests.ts';

/** Debug endpoint of the local gateway (STAGEGATE_DEBUG_ENDPOINTS=true). */
const ROUND_TRIPS = '/__stagegate/dynamodb-round-trips';
/** The debug endpoints exist only on the local stack. */
const local = process.env.STAGEGATE_URL === undefined;

const READS = new Set([
  'GetItem',
  'BatchGetItem',
  'Query',
  'Scan',
  'TransactGetItems',
]);

interface Counted {
  /** The handler's operations, in order (the authorizer's apart). */
  readonly handler: string[];
  readonly readsBeforeFirstWrite: number;
}

/** The DynamoDB operations the call that answered `response` sent. */
async function roundTripsOf(response: ApiResponse<unknown>): Promise<Counted> {
  const requestId = response.headers.get('apigw-requestid');
  const listed = await call<{
    calls: {
      requestId?: string;
      roundTrips: { operation: string; phase: string }[];
    }[];
  }>('GET', ROUND_TRIPS, { token: null });
  expectStatus(listed, 200);
  const found = listed.body.calls.find((c) => c.requestId === requestId);
  if (!found) throw new Error(`no round trips recorded for ${requestId}`);
  const handler = found.roundTrips
    .filter((r) => r.phase === 'handler')
    .map((r) => r.operation);
  const firstWrite = handler.findIndex((operation) => !READS.has(operation));
  return {
    handler,
    readsBeforeFirstWrite: (firstWrite < 0
      ? handler
      : handler.slice(0, firstWrite)
    ).filter((operation) => READS.has(operation)).length,
  };
}

describe.runIf(local)('DynamoDB round trips per call', () => {
  it('reads a model with one read after the caller’s check (principal, name and root grants, model)', async () => {
    // Prepare
    const { name } = await createModel(1, 'rt');

    // Act
    const got = await call('GET', `${MLFLOW}/registered-models/get`, {
      query: { name },
    });

    // Assess
    expectStatus(got, 200);
    expect((await roundTripsOf(got)).handler).toEqual([
      'GetItem',
      'BatchGetItem',
      'GetItem',
      'BatchGetItem',
    ]);
  });

  it('approves with at most 5 reads before its commit, and does not wait for the application', async () => {
    // Prepare
    const { name } = await createModel(1, 'rt');
    await openRequest({ name, version: '1', stage: 'Staging' });

    // Act
    const approved = await approve({ name, version: '1', stage: 'Staging' });

    // Assess
    expectStatus(approved, 200);
    const counted = await roundTripsOf(approved);
    expect(counted.readsBeforeFirstWrite).toBeLessThanOrEqual(5);
    // One commit, then the one read of the token to hand the decision on:
    // no polling of the request, and no transition applied by the call.
    expect(counted.handler.slice(counted.readsBeforeFirstWrite)).toEqual([
      'TransactWriteItems',
      'GetItem',
    ]);
    expect(await appliedStage(name, '1', 'Staging')).toBe('Staging');
  });
});

describe.runIf(local)(
  'DynamoDB round trips of the protected-stage checks',
  () => {
    it('reads a direct transition’s policy in one read after the model (its settings with the registry’s policy)', async () => {
      // Prepare
      const { name } = await createModel(1, 'rt');

      // Act
      const moved = await call(
        'POST',
        `${MLFLOW}/model-versions/transition-stage`,
        { body: { name, version: '1', stage: 'Staging' } }
      );

      // Assess
      expectStatus(moved, 200);
      const counted = await roundTripsOf(moved);
      // Principal; name and root grants; model; settings and registry policy.
      expect(counted.handler.slice(0, 4)).toEqual([
        'GetItem',
        'BatchGetItem',
        'GetItem',
        'BatchGetItem',
      ]);
      expect(counted.readsBeforeFirstWrite).toBeLessThanOrEqual(7);
    });

    it('reads the inbox three times per hundred requests it examines, after the caller and root', async () => {
      // Prepare: the admin may approve its own request to Staging.
      const { name } = await createModel(1, 'rt');
      await openRequest({ name, version: '1', stage: 'Staging' });

      // Act
      const inbox = await call(
        'GET',
        '/api/2.0/stagegate/transition-requests/inbox',
        { query: { max_results: 1 } }
      );

      // Assess
      expectStatus(inbox, 200);
      const { handler } = await roundTripsOf(inbox);
      // Principal; root grants; then per batch the index, the models and
      // their settings (more batches only where the admin may approve little
      // of what other suites left open).
      const batches = handler.slice(2);
      expect(handler.slice(0, 2)).toEqual(['GetItem', 'GetItem']);
      expect(batches.length % 3).toBe(0);
      expect(new Set(batches.filter((_, i) => i % 3 === 0))).toEqual(
        new Set(['Query'])
      );
      expect(batches.filter((op) => op === 'BatchGetItem')).toHaveLength(
        (batches.length / 3) * 2
      );
    });
  }
);
