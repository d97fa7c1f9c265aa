import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import {
  INBOX_EXAMINED_PER_CALL,
  type InboxPage,
  listInbox,
} from '#domain/registry/inbox.ts';
import {
  addressRequest,
  approveTransitionRequest,
  createTransitionRequest,
  setTransitionRequestSettings,
} from '#domain/registry/requests.ts';
import { transitionModelVersionStage } from '#domain/registry/transitions.ts';
import type { Stage } from '#domain/stages.ts';
import {
  ADMIN,
  accessTo,
  aPrincipal,
  type GovernanceDependencies,
  governanceDependencies,
  modelWithVersions,
} from '#test/support/governance.ts';

const reader = aPrincipal('reader');
const stagingManager = aPrincipal('staging-manager');
const productionManager = aPrincipal('production-manager');

async function ask(
  deps: GovernanceDependencies,
  model: string,
  stage: Stage,
  options: { by?: Principal; version?: number } = {}
): Promise<string> {
  const { request } = await createTransitionRequest(
    deps,
    options.by ?? reader,
    await accessTo(deps, model),
    { version: options.version ?? 1, stage }
  );
  // Requests made in the same millisecond would tie on their creation.
  deps.advance(1);
  return `${model}:${request.version}:${request.toStage}`;
}

function shown(page: InboxPage): string[] {
  return page.entries.map(
    ({ request, model }) =>
      `${model.record.model.name}:${request.version}:${request.toStage}`
  );
}

/** Every page, following the tokens. */
async function allPages(
  deps: GovernanceDependencies,
  who: Principal,
  maxResults: number
): Promise<{ pages: string[][]; tokens: number }> {
  const pages: string[][] = [];
  let pageToken: string | undefined;
  let tokens = 0;
  do {
    const page = await listInbox(deps, who, { maxResults, pageToken });
    pages.push(shown(page));
    pageToken = page.nextPageToken;
    if (pageToken) tokens += 1;
  } while (pageToken);
  return { pages, tokens };
}

describe('listInbox', () => {
  it('shows a Staging manager the Staging requests of every model they manage and no others, newest first', async () => {
    // Prepare
    const deps = governanceDependencies();
    const managed = {
      reader: 'CAN_READ',
      'staging-manager': 'CAN_MANAGE_STAGING_VERSIONS',
    } as const;
    await modelWithVersions(deps, 'a', 2, managed);
    await modelWithVersions(deps, 'b', 1, managed);
    await modelWithVersions(deps, 'c', 1, { reader: 'CAN_READ' });
    const aStaging = await ask(deps, 'a', 'Staging');
    await ask(deps, 'a', 'Production', { version: 2 });
    await ask(deps, 'c', 'Staging');
    const bStaging = await ask(deps, 'b', 'Staging');

    // Act
    const inbox = await listInbox(deps, stagingManager, {});
    const readers = await listInbox(deps, reader, {});

    // Assess
    expect(shown(inbox)).toEqual([bStaging, aStaging]);
    expect(inbox.nextPageToken).toBeUndefined();
    expect(shown(readers)).toEqual([]);
    expect(inbox.entries[0]?.currentStage).toBe('None');
  });

  it('pages completely: every request once, newest first, no token after the last page', async () => {
    // Prepare
    const deps = governanceDependencies();
    const levels = {
      'production-manager': 'CAN_MANAGE_PRODUCTION_VERSIONS',
    } as const;
    const made: string[] = [];
    for (const model of ['a', 'b', 'c']) {
      await modelWithVersions(deps, model, 3, levels);
    }
    for (const version of [1, 2, 3]) {
      for (const model of ['a', 'b', 'c']) {
        made.push(await ask(deps, model, 'Staging', { version }));
      }
    }

    // Act
    const byTwo = await allPages(deps, productionManager, 2);
    const byNine = await allPages(deps, productionManager, 9);

    // Assess
    expect(byTwo.pages.flat()).toEqual([...made].reverse());
    expect(byTwo.pages.map((p) => p.length)).toEqual([2, 2, 2, 2, 1]);
    expect(byTwo.tokens).toBe(4);
    expect(byNine.pages).toEqual([[...made].reverse()]);
  });

  it('leaves out what the caller approved already, their own request to a protected stage, and stale requests', async () => {
    // Prepare
    const deps = governanceDependencies();
    const levels = {
      reader: 'CAN_READ',
      'production-manager': 'CAN_MANAGE_PRODUCTION_VERSIONS',
      other: 'CAN_MANAGE_PRODUCTION_VERSIONS',
    } as const;
    await modelWithVersions(deps, 'm', 3, levels);
    const { record } = await accessTo(deps, 'm');
    await setTransitionRequestSettings(deps, record, { requiredApprovals: 2 });
    const approved = await ask(deps, 'm', 'Production');
    await approveTransitionRequest(
      deps,
      productionManager,
      await addressRequest(deps.requests, await accessTo(deps, 'm'), {
        version: 1,
        stage: 'Production',
      }),
      { archiveExistingVersions: false }
    );
    await ask(deps, 'm', 'Production', {
      by: productionManager,
      version: 2,
    });
    await ask(deps, 'm', 'Staging', { version: 3 });
    // The version moves on by itself: its request is stale.
    await transitionModelVersionStage(deps, ADMIN, {
      name: 'm',
      version: 3,
      stage: 'Archived',
      archiveExistingVersions: false,
    });

    // Act
    const mine = await listInbox(deps, productionManager, {});
    const others = await listInbox(deps, aPrincipal('other'), {});

    // Assess
    expect(shown(mine)).toEqual([]);
    expect(shown(others)).toEqual(['m:2:Production', approved]);
  });

  it('stops after examining its share of the registry, answering a short page with a token that goes on', async () => {
    // Prepare
    const deps = governanceDependencies();
    await modelWithVersions(deps, 'mine', 1, {
      'staging-manager': 'CAN_MANAGE_STAGING_VERSIONS',
    });
    await modelWithVersions(deps, 'theirs', 1);
    const wanted = await ask(deps, 'mine', 'Staging');
    const access = await accessTo(deps, 'theirs');
    for (let i = 0; i < INBOX_EXAMINED_PER_CALL + 5; i += 1) {
      await createTransitionRequest(deps, aPrincipal(`user-${i}`), access, {
        version: 1,
        stage: 'Staging',
      });
      deps.advance(1);
    }

    // Act
    const first = await listInbox(deps, stagingManager, { maxResults: 10 });
    const second = await listInbox(deps, stagingManager, {
      maxResults: 10,
      pageToken: first.nextPageToken,
    });

    // Assess
    expect(shown(first)).toEqual([]);
    expect(first.nextPageToken).toEqual(expect.any(String));
    expect(shown(second)).toEqual([wanted]);
    expect(second.nextPageToken).toBeUndefined();
  });

  it('refuses a page token that is not an inbox position, and a page size out of bounds', async () => {
    // Prepare
    const deps = governanceDependencies();
    const notOurs = Buffer.from(JSON.stringify({ name: 'x' })).toString(
      'base64url'
    );

    // Act & Assess
    await expect(
      listInbox(deps, reader, { pageToken: notOurs })
    ).rejects.toBeInstanceOf(InvalidParameterValueError);
    await expect(
      listInbox(deps, reader, { pageToken: '%%%' })
    ).rejects.toBeInstanceOf(InvalidParameterValueError);
    await expect(
      listInbox(deps, reader, { maxResults: 1001 })
    ).rejects.toBeInstanceOf(InvalidParameterValueError);
  });
});
