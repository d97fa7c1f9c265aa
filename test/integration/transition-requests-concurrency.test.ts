import { beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, call, MLFLOW } from '../support/api.ts';
import type { UserWithToken } from './support/principals.ts';
import {
  type ActivityJson,
  activities,
  adminUserName,
  appliedFeed,
  appliedStage,
  approve,
  cancel,
  createModel,
  createRequest,
  createUsers,
  type ErrorJson,
  grantLevels,
  openRequest,
  openRequests,
  reject,
  stageOf,
  typesOf,
} from './support/requests.ts';

const DECISIONS = ['APPROVED_REQUEST', 'REJECTED_REQUEST', 'CANCELLED_REQUEST'];

/** May decide requests among None and Staging; makes the requests. */
let creator: UserWithToken;
let admin: string;

beforeAll(async () => {
  [creator] = (await createUsers(1)) as [UserWithToken];
  admin = await adminUserName();
});

/** A one-version model with an open None → Staging request by `creator`. */
async function modelWithRequest(): Promise<string> {
  const { name, id } = await createModel(1, 'trc');
  await grantLevels(id, [[creator, 'CAN_MANAGE_STAGING_VERSIONS']]);
  await openRequest({ name, version: '1', stage: 'Staging' }, creator.token);
  return name;
}

type Decision = 'approve' | 'reject' | 'cancel';

/** One decision on version 1's request to Staging, by the admin or creator. */
function decide(
  name: string,
  decision: Decision,
  by: 'admin' | 'creator'
): Promise<ApiResponse<{ activity?: ActivityJson } & Partial<ErrorJson>>> {
  const token = by === 'creator' ? creator.token : undefined;
  const address = { name, version: '1', stage: 'Staging' };
  switch (decision) {
    case 'approve':
      return approve({ ...address, comment: `${by} approves` }, token);
    case 'reject':
      return reject({ ...address, comment: `${by} rejects` }, token);
    case 'cancel':
      return cancel(
        { ...address, creator: creator.userName, comment: `${by} cancels` },
        token
      );
  }
}

/** The admin moves version 1 to Production directly. */
function moveToProduction(name: string) {
  return call<Partial<ErrorJson>>(
    'POST',
    `${MLFLOW}/model-versions/transition-stage`,
    {
      body: {
        name,
        version: '1',
        stage: 'Production',
        archive_existing_versions: false,
      },
    }
  );
}

/** How many answers won (200), and `<status> <error_code>` of the others. */
function outcomes(answers: readonly ApiResponse<Partial<ErrorJson>>[]): {
  winners: number;
  losers: string[];
} {
  return {
    winners: answers.filter((a) => a.status === 200).length,
    losers: answers
      .filter((a) => a.status !== 200)
      .map((a) => `${a.status} ${a.body.error_code}`),
  };
}

const LOSER = /^(409 INVALID_STATE|404 RESOURCE_DOES_NOT_EXIST)$/;

describe('Transition requests under concurrency', () => {
  it('lets exactly one of 20 concurrent approve, reject and cancel calls decide a request', async () => {
    // Prepare
    const name = await modelWithRequest();
    const calls = Array.from({ length: 20 }, (_, i) => ({
      decision: (['approve', 'reject', 'cancel'] as const)[i % 3] as Decision,
      by: i % 2 === 0 ? ('admin' as const) : ('creator' as const),
    }));

    // Act
    const answers = await Promise.all(
      calls.map((c) => decide(name, c.decision, c.by))
    );

    // Assess
    const { winners, losers } = outcomes(answers);
    expect({ winners, losers: losers.length }, losers.join(', ')).toEqual({
      winners: 1,
      losers: 19,
    });
    for (const loser of losers) expect(loser).toMatch(LOSER);
    const won = answers.find((a) => a.status === 200)?.body.activity;
    // An approval is applied by the workflow after the call answers.
    const feed =
      won?.activity_type === 'APPROVED_REQUEST'
        ? await appliedFeed(name, '1', 'Staging')
        : await activities(name, '1');
    const decisions = feed.filter((a) => DECISIONS.includes(a.activity_type));
    expect(decisions).toEqual([won]);
    expect(await openRequests(name, '1')).toEqual([]);
    const applied = feed.filter(
      (a) => a.activity_type === 'APPLIED_TRANSITION'
    );
    if (won?.activity_type === 'APPROVED_REQUEST') {
      expect(await stageOf(name, '1')).toBe('Staging');
      expect(applied).toHaveLength(1);
      expect(typesOf(feed)).toEqual([
        'REQUESTED_TRANSITION',
        'APPROVED_REQUEST',
        'APPLIED_TRANSITION',
      ]);
    } else {
      expect(await stageOf(name, '1')).toBe('None');
      expect(applied).toEqual([]);
    }
    expect([admin, creator.userName]).toContain(won?.user_id);
  });

  it('applies a request exactly once when 20 approvals race for it', async () => {
    // Prepare
    const name = await modelWithRequest();

    // Act
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        decide(name, 'approve', i % 2 === 0 ? 'admin' : 'creator')
      )
    );

    // Assess
    const { winners, losers } = outcomes(answers);
    expect({ winners, losers: losers.length }, losers.join(', ')).toEqual({
      winners: 1,
      losers: 19,
    });
    for (const loser of losers) expect(loser).toMatch(LOSER);
    expect(await appliedStage(name, '1', 'Staging')).toBe('Staging');
    const feed = await appliedFeed(name, '1', 'Staging');
    expect(typesOf(feed)).toEqual([
      'REQUESTED_TRANSITION',
      'APPROVED_REQUEST',
      'APPLIED_TRANSITION',
    ]);
    expect(feed[2]).toMatchObject({ from_stage: 'None', to_stage: 'Staging' });
  });

  it('never applies an approval to a version that a concurrent transition moved out of the request’s from-stage', async () => {
    // Prepare: rounds in parallel, each a None → Staging request racing a
    // direct None → Production transition.
    const names = await Promise.all(
      Array.from({ length: 8 }, () => modelWithRequest())
    );

    // Act
    const rounds = await Promise.all(
      names.map(async (name) => {
        const [approved, moved] = await Promise.all([
          decide(name, 'approve', 'creator'),
          moveToProduction(name),
        ]);
        return { name, approved, moved };
      })
    );

    // Assess: whichever came first, the version ends in Production, and
    // nothing moved it out of Production afterwards.
    for (const { name, approved, moved } of rounds) {
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      // 403 when the direct transition won: the version is then in
      // Production, which a Staging manager may not move at all.
      expect(`${approved.status}`).toMatch(/^(200|403|409|404)$/);
      const feed = await activities(name, '1');
      const transitions = feed
        .filter((a) => a.activity_type === 'APPLIED_TRANSITION')
        .map((a) => `${a.from_stage}->${a.to_stage}`);
      expect(
        { stage: await stageOf(name, '1'), transitions },
        `${name}: ${typesOf(feed).join(', ')}`
      ).toEqual({
        stage: 'Production',
        transitions:
          approved.status === 200 && transitions[0] === 'None->Staging'
            ? ['None->Staging', 'Staging->Production']
            : ['None->Production'],
      });
    }
  });

  it('keeps one open request per creator, version and stage when 10 identical requests race', async () => {
    // Prepare
    const { name, id } = await createModel(1, 'trc');
    await grantLevels(id, [[creator, 'CAN_READ']]);

    // Act
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        createRequest(
          { name, version: '1', stage: 'Production' },
          creator.token
        )
      )
    );

    // Assess
    const { winners, losers } = outcomes(answers);
    expect({ winners, losers }).toEqual({
      winners: 1,
      losers: Array(9).fill('400 RESOURCE_ALREADY_EXISTS'),
    });
    const open = await openRequests(name, '1');
    expect(open.map((r) => r.id)).toEqual([
      answers.find((a) => a.status === 200)?.body.request.id,
    ]);
    expect(
      typesOf(await activities(name, '1')).filter(
        (t) => t === 'REQUESTED_TRANSITION'
      )
    ).toHaveLength(1);
  });
});
