import { beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/api.ts';
import {
  createUserWithToken,
  type UserWithToken,
} from './support/principals.ts';
import {
  createModel,
  type ErrorJson,
  expectStatus,
  grantLevels,
  openRequest,
  pollUntil,
  REQUESTS,
  type RequestJson,
} from './support/requests.ts';

/**
 * The inbox (README, "Transition requests"): the open requests of every
 * model that the caller may approve, newest first, paged; and
 * `transition-requests/list` without a version.
 */

const INBOX = '/api/2.0/stagegate/transition-requests/inbox';

interface InboxPage {
  requests?: RequestJson[];
  next_page_token?: string;
}

let stagingManager: UserWithToken;
let reader: UserWithToken;

beforeAll(async () => {
  [stagingManager, reader] = await Promise.all([
    createUserWithToken(),
    createUserWithToken(),
  ]);
});

/** Every page of the caller's inbox, following the tokens. */
async function wholeInbox(
  token: string,
  maxResults: number
): Promise<{ pages: RequestJson[][]; lastHasToken: boolean }> {
  const pages: RequestJson[][] = [];
  let pageToken: string | undefined;
  for (;;) {
    const page = await call<InboxPage>('GET', INBOX, {
      token,
      query: {
        max_results: maxResults,
        ...(pageToken ? { page_token: pageToken } : {}),
      },
    });
    expectStatus(page, 200);
    pages.push(page.body.requests ?? []);
    pageToken = page.body.next_page_token;
    if (!pageToken) return { pages, lastHasToken: false };
    if (pages.length > 100) return { pages, lastHasToken: true };
  }
}

const key = (r: RequestJson) => `${r.name}:${r.version}:${r.to_stage}`;

describe('Inbox', () => {
  it('shows a Staging manager the Staging requests of every model they manage and no others, newest first, paged completely', async () => {
    // Prepare
    const [a, b, c] = await Promise.all([
      createModel(2, 'inbox'),
      createModel(1, 'inbox'),
      createModel(1, 'inbox'),
    ]);
    for (const model of [a, b]) {
      await grantLevels(model.id, [
        [stagingManager, 'CAN_MANAGE_STAGING_VERSIONS'],
        [reader, 'CAN_READ'],
      ]);
    }
    await grantLevels(c.id, [[reader, 'CAN_READ']]);
    const expected: string[] = [];
    for (const [model, version, stage, mine] of [
      [a, '1', 'Staging', true],
      [c, '1', 'Staging', false],
      [a, '2', 'Production', false],
      [b, '1', 'Staging', true],
      [a, '2', 'Staging', true],
    ] as const) {
      const request = await openRequest(
        { name: model.name, version, stage },
        reader.token
      );
      if (mine) expected.unshift(key(request));
    }

    // Act: the index behind the inbox is eventually consistent.
    const seen = await pollUntil(
      () => wholeInbox(stagingManager.token, 1),
      ({ pages }) => pages.flat().length >= expected.length,
      { timeoutMs: 10_000, intervalMs: 200 }
    );
    const readers = await wholeInbox(reader.token, 100);

    // Assess
    const listed = seen.pages.flat();
    expect(listed.map(key)).toEqual(expected);
    expect(seen.pages.every((page) => page.length === 1)).toBe(true);
    expect(seen.lastHasToken).toBe(false);
    const times = listed.map((r) => r.creation_timestamp);
    expect(times).toEqual([...times].sort((x, y) => y - x));
    expect(listed[0]).toMatchObject({
      name: a.name,
      version: '2',
      from_stage: 'None',
      to_stage: 'Staging',
      user_id: reader.userName,
      available_actions: [
        'APPROVE_TRANSITION_REQUEST',
        'REJECT_TRANSITION_REQUEST',
      ],
      approvals_required: 1,
      approvals_remaining: 1,
    });
    expect(readers.pages.flat()).toEqual([]);
  });

  it('leaves out a request once it is decided', async () => {
    // Prepare
    const model = await createModel(1, 'inbox');
    await grantLevels(model.id, [
      [stagingManager, 'CAN_MANAGE_STAGING_VERSIONS'],
      [reader, 'CAN_READ'],
    ]);
    const request = await openRequest(
      { name: model.name, version: '1', stage: 'Staging' },
      reader.token
    );
    await pollUntil(
      () => wholeInbox(stagingManager.token, 1000),
      ({ pages }) => pages.flat().some((r) => r.id === request.id),
      { timeoutMs: 10_000, intervalMs: 200 }
    );

    // Act
    expectStatus(
      await call('POST', `${REQUESTS}/reject`, {
        token: stagingManager.token,
        body: { name: model.name, version: '1', stage: 'Staging' },
      }),
      200
    );
    const after = await pollUntil(
      () => wholeInbox(stagingManager.token, 1000),
      ({ pages }) => !pages.flat().some((r) => r.id === request.id),
      { timeoutMs: 10_000, intervalMs: 200 }
    );

    // Assess
    expect(after.pages.flat().map((r) => r.id)).not.toContain(request.id);
  });

  it('refuses a page size out of bounds and a page token that is not its own', async () => {
    // Act
    const tooMany = await call<ErrorJson>('GET', INBOX, {
      query: { max_results: 1001 },
    });
    const forged = await call<ErrorJson>('GET', INBOX, {
      query: { page_token: 'bm90LWEtdG9rZW4' },
    });

    // Assess
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(forged.status).toBe(400);
    expect(forged.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('transition-requests/list without a version', () => {
  it('lists the open requests of every version of the model, oldest first', async () => {
    // Prepare
    const model = await createModel(3, 'inbox');
    await grantLevels(model.id, [[reader, 'CAN_READ']]);
    const made = [];
    for (const [version, stage] of [
      ['2', 'Staging'],
      ['1', 'Production'],
      ['3', 'Staging'],
    ] as const) {
      made.push(
        await openRequest({ name: model.name, version, stage }, reader.token)
      );
    }

    // Act
    const listed = await call<{ requests?: RequestJson[] }>(
      'GET',
      `${REQUESTS}/list`,
      { token: reader.token, query: { name: model.name } }
    );

    // Assess
    expectStatus(listed, 200);
    expect(
      (listed.body.requests ?? []).map((r) => [r.version, r.to_stage])
    ).toEqual([
      ['2', 'Staging'],
      ['1', 'Production'],
      ['3', 'Staging'],
    ]);
    expect((listed.body.requests ?? []).map((r) => r.id)).toEqual(
      made.map((r) => r.id)
    );
  });
});
