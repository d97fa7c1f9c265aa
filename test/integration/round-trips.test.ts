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
  it('reads a model, and a version, in one round trip after authentication once the function has read that model', async () => {
    // Prepare: version 1 in Staging, version 2 in None.
    const { name } = await createModel(2, 'rt');
    await call('POST', `${MLFLOW}/model-versions/transition-stage`, {
      body: { name, version: '1', stage: 'Staging' },
    });
    const first = await call('GET', `${MLFLOW}/registered-models/get`, {
      query: { name },
    });

    // Act
    const model = await call('GET', `${MLFLOW}/registered-models/get`, {
      query: { name },
    });
    const version = await call('GET', `${MLFLOW}/model-versions/get`, {
      query: { name, version: '1' },
    });
    const databricks = await call(
      'GET',
      `${MLFLOW}/databricks/registered-models/get`,
      { query: { name } }
    );

    // Assess: the caller, the model, its latest versions (and the
    // version asked for; Databricks' answer adds the model's settings and
    // the registry's policy) in one BatchGetItem.
    expectStatus(first, 200);
    expectStatus(model, 200);
    expectStatus(version, 200);
    expectStatus(databricks, 200);
    expect((await roundTripsOf(databricks)).handler).toEqual(['BatchGetItem']);
    expect((await roundTripsOf(first)).handler.length).toBeLessThanOrEqual(3);
    expect((await roundTripsOf(model)).handler).toEqual(['BatchGetItem']);
    expect(
      (model.body as { registered_model: { latest_versions: unknown[] } })
        .registered_model.latest_versions
    ).toHaveLength(2);
    expect((await roundTripsOf(version)).handler).toEqual(['BatchGetItem']);
  });

  it('creates a version in two round trips when nothing conflicts', async () => {
    // Prepare
    const { name } = await createModel(1, 'rt');
    await call('GET', `${MLFLOW}/registered-models/get`, { query: { name } });

    // Act
    const created = await call('POST', `${MLFLOW}/model-versions/create`, {
      body: { name, source: 's3://bucket/model' },
    });

    // Assess
    expectStatus(created, 200);
    expect((await roundTripsOf(created)).handler).toEqual([
      'BatchGetItem',
      'TransactWriteItems',
    ]);
  });

  it('never answers a name with the model it named before a rename', async () => {
    // Prepare: the function has read `name` as the first model.
    const { name } = await createModel(1, 'rt');
    const before = await call<{ registered_model_databricks: { id: string } }>(
      'GET',
      `${MLFLOW}/databricks/registered-models/get`,
      { query: { name } }
    );
    await call('POST', `${MLFLOW}/registered-models/rename`, {
      body: { name, new_name: `${name}-renamed` },
    });
    await call('POST', `${MLFLOW}/registered-models/create`, {
      body: { name },
    });

    // Act
    const after = await call<{ registered_model_databricks: { id: string } }>(
      'GET',
      `${MLFLOW}/databricks/registered-models/get`,
      { query: { name } }
    );
    const version = await call('GET', `${MLFLOW}/model-versions/get`, {
      query: { name, version: '1' },
    });

    // Assess
    expectStatus(before, 200);
    expectStatus(after, 200);
    expect(after.body.registered_model_databricks.id).not.toBe(
      before.body.registered_model_databricks.id
    );
    expect(version.status).toBe(404);
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
    it('reads a direct transition’s policy with the model (its settings with the registry’s policy)', async () => {
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
      // The caller with the model, root grants, version, the model's
      // settings and the registry's policy in one BatchGetItem (two when
      // the function has not read the model yet: its name first). The
      // transition plans on what the check read: nothing is read again
      // before its commit.
      const beforeCommit = counted.handler.slice(
        0,
        counted.handler.indexOf('TransactWriteItems')
      );
      expect(beforeCommit.length).toBeGreaterThan(0);
      expect(beforeCommit.length).toBeLessThanOrEqual(2);
      expect(new Set(beforeCommit)).toEqual(new Set(['BatchGetItem']));
    });

    it('reads the inbox three or four times per hundred requests it examines, after the caller and root', async () => {
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
      // Principal; root grants; then per batch of up to a hundred requests
      // the index, the models with their stage members (two keys a model:
      // one BatchGetItem up to 50 models, two beyond) and their settings
      // (more batches only where the admin may approve little of what other
      // suites left open).
      expect(handler.slice(0, 2)).toEqual(['GetItem', 'GetItem']);
      const batches = handler
        .slice(2)
        .join(' ')
        .split(/(?=Query)/)
        .map((batch) => batch.trim().split(' '));
      expect(batches.length).toBeGreaterThan(0);
      for (const [index, ...reads] of batches) {
        expect(index).toBe('Query');
        expect(reads.length === 2 || reads.length === 3).toBe(true);
        expect(new Set(reads)).toEqual(new Set(['BatchGetItem']));
      }
    });
  }
);
