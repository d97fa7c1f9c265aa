import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../support/api.ts';
import {
  awaitMails,
  fieldsOf,
  forgeLink,
  linksOf,
  mailsTo,
  tokenOf,
} from './support/email.ts';
import {
  createGroup,
  createUserWithToken,
  grant,
  modelId,
  type UserWithToken,
} from './support/principals.ts';
import {
  appliedStage,
  createModel,
  expectStatus,
  grantLevels,
  openRequest,
  openRequests,
  patchSettings,
  stageOf,
} from './support/requests.ts';

/**
 * Approvals by e-mail on the local stack (docs/email.md): the mails in
 * the `.eml` outbox, and the page behind their links, as a browser uses
 * it (GET shows, POST decides).
 */

const local = process.env.STAGEGATE_URL === undefined;
const PAGE = '/callbacks/email/decision';

interface Page {
  status: number;
  type: string;
  text: string;
}

/** Opens a link as a browser does (or with someone's token). */
async function open(url: string, token?: string): Promise<Page> {
  const target = new URL(url);
  const response = await fetch(new URL(PAGE + target.search, registry().url), {
    headers: {
      accept: 'text/html,application/xhtml+xml',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

/** Submits the confirmation form of a link. */
async function confirm(
  url: string,
  options: { token?: string; comment?: string; accept?: string } = {}
): Promise<Page> {
  const form = new URLSearchParams({ link: tokenOf(url) });
  if (options.comment !== undefined) form.set('comment', options.comment);
  const response = await fetch(new URL(PAGE, registry().url), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: options.accept ?? 'text/html',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: form.toString(),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

let requester: UserWithToken;
let first: UserWithToken;
let second: UserWithToken;
let member: UserWithToken;
let reader: UserWithToken;

beforeAll(async () => {
  [requester, first, second, member, reader] = await Promise.all([
    createUserWithToken(),
    createUserWithToken(),
    createUserWithToken(),
    createUserWithToken(),
    createUserWithToken(),
  ]);
});

/**
 * A model with one version in None: `first` and `second` may approve to
 * any stage, `member` through a group, `reader` and `requester` only read
 * (and request).
 */
async function approvalModel(): Promise<string> {
  const { name, id } = await createModel(1, 'mail');
  const group = await createGroup('mail-approvers', [member.id]);
  await grantLevels(id, [
    [first, 'CAN_MANAGE_PRODUCTION_VERSIONS'],
    [second, 'CAN_MANAGE_PRODUCTION_VERSIONS'],
    [reader, 'CAN_READ'],
    [requester, 'CAN_READ'],
  ]);
  expectStatus(
    await grant(
      id,
      [
        {
          group_name: group.displayName,
          permission_level: 'CAN_MANAGE_STAGING_VERSIONS',
        },
      ],
      'PATCH'
    ),
    200
  );
  return name;
}

describe.runIf(local)('approvals by e-mail', () => {
  it('mails each possible approver (a group member too) with links of their own, and not the requester or a reader', async () => {
    // Prepare
    const name = await approvalModel();

    // Act
    const request = await openRequest(
      { name, version: '1', stage: 'Staging', comment: 'ready for QA' },
      requester.token
    );
    const [toFirst, toSecond, toMember] = await Promise.all([
      awaitMails(first.userName, name),
      awaitMails(second.userName, name),
      awaitMails(member.userName, name),
    ]);

    // Assess
    for (const [mails, approver] of [
      [toFirst, first],
      [toSecond, second],
      [toMember, member],
    ] as const) {
      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail?.subject).toBe(
        `Approval requested: ${name} version 1 to Staging`
      );
      expect(mail?.text).toContain(
        `${requester.userName} asks to move version 1 of registered model '${name}' from None to Staging.`
      );
      expect(mail?.text).toContain('Comment: ready for QA');
      const links = linksOf(mail ?? ({} as never));
      expect(fieldsOf(tokenOf(links.approve))).toMatchObject({
        requestId: request.id,
        approverId: approver.id,
        decision: 'approve',
      });
      expect(fieldsOf(tokenOf(links.reject)).decision).toBe('reject');
    }
    expect(mailsTo(requester.userName, name)).toEqual([]);
    expect(mailsTo(reader.userName, name)).toEqual([]);
  });

  it('shows a confirmation page on GET, decides once on POST, and tells the requester', async () => {
    // Prepare
    const name = await approvalModel();
    await openRequest(
      { name, version: '1', stage: 'Staging' },
      requester.token
    );
    const [mail] = await awaitMails(first.userName, name);
    const [other] = await awaitMails(second.userName, name);
    const links = linksOf(mail ?? ({} as never));

    // Act
    const shown = await open(links.approve);
    const shownAgain = await open(links.approve);
    const stageAfterOpening = await stageOf(name, '1');
    const decided = await confirm(links.approve, { comment: 'looks good' });
    const again = await confirm(links.approve);
    const rejectOfSameMail = await confirm(links.reject);
    const otherApprover = await open(linksOf(other ?? ({} as never)).approve);
    const outcome = await awaitMails(requester.userName, name);

    // Assess
    expect(shown.status).toBe(200);
    expect(shown.type).toMatch(/^text\/html/);
    expect(shown.text).toContain('<form method="post"');
    expect(shown.text).toContain(`Approve as ${first.userName}`);
    expect(shownAgain.status).toBe(200);
    expect(stageAfterOpening).toBe('None');
    expect(decided.status, decided.text).toBe(200);
    expect(decided.text).toContain('You approved the request');
    expect(await appliedStage(name, '1', 'Staging')).toBe('Staging');
    expect(again.status).toBe(409);
    expect(again.text).toContain('This link was used already');
    expect(rejectOfSameMail.status).toBe(409);
    expect(otherApprover.status).toBe(409);
    expect(otherApprover.text).toContain('no longer open');
    expect(outcome).toHaveLength(1);
    expect(outcome[0]?.subject).toBe(`Approved: ${name} version 1 to Staging`);
    expect(outcome[0]?.text).toContain(
      `${first.userName} approved your request`
    );
    expect(outcome[0]?.text).toContain('Comment: looks good');
  });

  it('rejects with the reason given, and the requester hears it', async () => {
    // Prepare
    const name = await approvalModel();
    await openRequest(
      { name, version: '1', stage: 'Staging' },
      requester.token
    );
    const [mail] = await awaitMails(member.userName, name);

    // Act
    const decided = await confirm(linksOf(mail ?? ({} as never)).reject, {
      comment: 'metrics regressed',
    });
    const outcome = await awaitMails(requester.userName, name);

    // Assess
    expect(decided.status, decided.text).toBe(200);
    expect(decided.text).toContain('You rejected the request');
    expect(await openRequests(name, '1')).toEqual([]);
    expect(await stageOf(name, '1')).toBe('None');
    expect(outcome[0]?.subject).toBe(`Rejected: ${name} version 1 to Staging`);
    expect(outcome[0]?.text).toContain('Comment: metrics regressed');
  });

  it('refuses a tampered, a cut, an expired and a forwarded link, each with a page saying why, deciding nothing', async () => {
    // Prepare
    const name = await approvalModel();
    const request = await openRequest(
      { name, version: '1', stage: 'Staging' },
      requester.token
    );
    const [mail] = await awaitMails(first.userName, name);
    const { approve } = linksOf(mail ?? ({} as never));
    const token = tokenOf(approve);
    const fields = fieldsOf(token);
    const asSecond = token.replace(`.${first.id}.`, `.${second.id}.`);
    const expired = forgeLink({ ...fields, expiresAt: Date.now() - 1000 });
    const page = (link: string) =>
      `${registry().url}${PAGE}?link=${encodeURIComponent(link)}`;

    // Act
    const tampered = await confirm(page(asSecond));
    const cut = await open(page(token.slice(0, 40)));
    const late = await confirm(page(expired));
    const forwardedOpen = await open(approve, second.token);
    const forwardedPost = await confirm(approve, { token: second.token });
    const asApi = await confirm(page(asSecond), {
      accept: 'application/json',
    });

    // Assess
    expect(tampered.status).toBe(403);
    expect(tampered.text).toContain('This link was changed');
    expect(cut.status).toBe(400);
    expect(cut.text).toContain('Not an approval link');
    expect(late.status).toBe(409);
    expect(late.text).toContain('This link has expired');
    expect(forwardedOpen.status).toBe(403);
    expect(forwardedOpen.text).toContain('This link is not yours');
    expect(forwardedPost.status).toBe(403);
    expect(JSON.parse(asApi.text)).toEqual({
      error_code: 'PERMISSION_DENIED',
      message:
        'This link was changed after it was sent, so it cannot be trusted.',
    });
    expect((await openRequests(name, '1')).map((r) => r.id)).toEqual([
      request.id,
    ]);
    // The approver's own session is no obstacle, and the link still works.
    expect((await confirm(approve, { token: first.token })).status).toBe(200);
    expect(await appliedStage(name, '1', 'Staging')).toBe('Staging');
  });

  it('never lasts past its request, and expires after 72 hours by default', async () => {
    // Prepare
    const name = await approvalModel();
    expectStatus(
      await patchSettings({ name, request_expiry_seconds: 3600 }),
      200
    );
    const longer = await approvalModel();

    // Act
    const short = await openRequest(
      { name, version: '1', stage: 'Staging' },
      requester.token
    );
    const long = await openRequest(
      { name: longer, version: '1', stage: 'Staging' },
      requester.token
    );
    const [mail] = await awaitMails(first.userName, name);
    const [longMail] = await awaitMails(first.userName, longer);

    // Assess
    const expiry = fieldsOf(tokenOf(linksOf(mail ?? ({} as never)).approve));
    expect(expiry.expiresAt).toBeLessThanOrEqual(
      short.creation_timestamp + 3600 * 1000
    );
    const longExpiry = fieldsOf(
      tokenOf(linksOf(longMail ?? ({} as never)).approve)
    );
    expect(longExpiry.expiresAt - long.creation_timestamp).toBeGreaterThan(
      71 * 3600 * 1000
    );
    expect(longExpiry.expiresAt - long.creation_timestamp).toBeLessThanOrEqual(
      72 * 3600 * 1000 + 60_000
    );
  });

  it('holds separation of duties: the requester gets no link, and a link of theirs is refused', async () => {
    // Prepare
    const name = await approvalModel();
    const id = await modelId(name);
    await grantLevels(id, [[requester, 'CAN_MANAGE_STAGING_VERSIONS']]);
    expectStatus(
      await patchSettings({ name, separation_of_duties_stages: ['Staging'] }),
      200
    );
    const request = await openRequest(
      { name, version: '1', stage: 'Staging' },
      requester.token
    );
    const [mail] = await awaitMails(first.userName, name);
    const fields = fieldsOf(tokenOf(linksOf(mail ?? ({} as never)).approve));
    const own = forgeLink({
      ...fields,
      mailId: 'f'.repeat(32),
      approverId: requester.id,
    });
    const url = `${registry().url}${PAGE}?link=${own}`;

    // Act
    const shown = await open(url);
    const posted = await confirm(url);
    const othersLink = await confirm(linksOf(mail ?? ({} as never)).approve, {
      token: requester.token,
    });

    // Assess
    expect(mailsTo(requester.userName, name)).toEqual([]);
    expect(shown.status).toBe(403);
    expect(posted.status).toBe(403);
    expect(posted.text).toContain('Separation of duties');
    expect(othersLink.status).toBe(403);
    expect((await openRequests(name, '1')).map((r) => r.id)).toEqual([
      request.id,
    ]);
  });

  it('holds a protected stage: two approvals by e-mail, each once, move the version', async () => {
    // Prepare
    const name = await approvalModel();
    expectStatus(
      await patchSettings({
        name,
        protected_stages: ['Production'],
        required_approvals: 2,
      }),
      200
    );
    await openRequest(
      { name, version: '1', stage: 'Production' },
      requester.token
    );
    const [toFirst] = await awaitMails(first.userName, name);
    const [toSecond] = await awaitMails(second.userName, name);
    const firstLinks = linksOf(toFirst ?? ({} as never));

    // Act
    const one = await confirm(firstLinks.approve);
    const stageAfterOne = await stageOf(name, '1');
    const oneAgain = await confirm(firstLinks.approve);
    const two = await confirm(linksOf(toSecond ?? ({} as never)).approve);

    // Assess
    expect(toFirst?.text).toContain(
      'Approvals still needed: 2 of 2 (Production is a protected stage).'
    );
    expect(mailsTo(member.userName, name)).toEqual([]);
    expect(one.status, one.text).toBe(200);
    expect(one.text).toContain('stays open until 1 more approver approves it');
    expect(stageAfterOne).toBe('None');
    expect(oneAgain.status).toBe(409);
    expect(two.status, two.text).toBe(200);
    expect(await appliedStage(name, '1', 'Production')).toBe('Production');
  });
});
