import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '#local/paths.ts';
import {
  createGroup,
  createUserWithToken,
  grant,
  modelId,
  type UserWithToken,
} from '../integration/support/principals.ts';
import { call, MLFLOW, registry, uniqueName } from '../support/api.ts';
import {
  launchChromium,
  seriousAxeViolations,
  signedInPage,
} from '../support/browser.ts';

/**
 * The web page in Debian's Chromium against the local stack: the
 * acceptance paths of a governed registry, each page checked with axe-core
 * and screenshotted at 1280×800 (STAGEGATE_SCREENSHOTS_DIR, by default
 * test-results/screenshots).
 */
const screenshots =
  process.env.STAGEGATE_SCREENSHOTS_DIR ??
  join(repositoryRoot, 'test-results', 'screenshots');

let browser: Browser;
let model: string;
let requester: UserWithToken;
let approver: UserWithToken;
let reader: UserWithToken;
let stagingMember: UserWithToken;
const openPages: { errors: string[]; close(): Promise<void> }[] = [];

async function ok<T>(
  response: Promise<{ status: number; body: T }>,
  what: string
): Promise<T> {
  const answered = await response;
  expect(answered.status, `${what}: ${JSON.stringify(answered.body)}`).toBe(
    200
  );
  return answered.body;
}

async function open(token: string): Promise<{ page: Page; errors: string[] }> {
  const opened = await signedInPage(browser, registry().url, token);
  openPages.push({
    errors: opened.errors,
    close: () => opened.context.close(),
  });
  return opened;
}

/** Goes to a hash route and waits for its heading. */
async function visit(page: Page, hash: string, heading: string | RegExp) {
  await page.goto(`/${hash}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** Screenshot and accessibility check of the page as it stands. */
async function record(page: Page, name: string) {
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
  expect(await seriousAxeViolations(page), `axe on ${name}`).toEqual([]);
}

const versionHash = (version: string) =>
  `#/models/${encodeURIComponent(model)}/versions/${version}`;

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  browser = await launchChromium();
  model = uniqueName('web');
  await ok(
    call('POST', `${MLFLOW}/registered-models/create`, {
      body: {
        name: model,
        description: 'Scores card transactions for fraud.',
        tags: [{ key: 'team', value: 'risk' }],
      },
    }),
    'create model'
  );
  for (const run of ['run-1', 'run-2', 'run-3']) {
    await ok(
      call('POST', `${MLFLOW}/model-versions/create`, {
        body: { name: model, source: `s3://models/${run}`, run_id: run },
      }),
      'create version'
    );
  }
  // Version 1 is in Production already (the admin's recorded bypass).
  await ok(
    call('POST', `${MLFLOW}/databricks/model-versions/transition-stage`, {
      body: {
        name: model,
        version: '1',
        stage: 'Production',
        archive_existing_versions: false,
      },
    }),
    'version 1 to Production'
  );
  [requester, approver, reader, stagingMember] = await Promise.all([
    createUserWithToken(),
    createUserWithToken(),
    createUserWithToken(),
    createUserWithToken(),
  ]);
  const id = await modelId(model);
  await ok(
    grant(
      id,
      [
        { user_name: requester.userName, permission_level: 'CAN_READ' },
        {
          user_name: approver.userName,
          permission_level: 'CAN_MANAGE_PRODUCTION_VERSIONS',
        },
        { user_name: reader.userName, permission_level: 'CAN_READ' },
        { user_name: stagingMember.userName, permission_level: 'CAN_READ' },
      ],
      'PATCH'
    ),
    'grants'
  );
});

afterAll(async () => {
  for (const opened of openPages) await opened.close();
  await browser?.close();
});

describe('web page', () => {
  it('a requester asks for Production, an approver approves in the page, and the timeline shows both with the old version archived', async () => {
    // Prepare
    const asRequester = await open(requester.token);
    const asApprover = await open(approver.token);

    // Act: the request, from the version page
    await visit(asRequester.page, versionHash('2'), /Version 2/);
    await asRequester.page
      .getByRole('button', { name: 'Request transition' })
      .click();
    const requestDialog = asRequester.page.getByRole('dialog');
    await requestDialog.getByLabel('To stage').selectOption('Production');
    await requestDialog
      .getByLabel('Comment (optional)')
      .fill('Beats version 1 on last week’s data.');
    await requestDialog.getByRole('button', { name: 'Request' }).click();
    await asRequester.page
      .getByText('requested a transition', { exact: false })
      .waitFor();

    // Act: the approval, from the approver's inbox to the version page
    await visit(asApprover.page, '#/inbox', 'Inbox');
    await asApprover.page
      .getByRole('link', { name: `${model} version 2` })
      .waitFor();
    await record(asApprover.page, 'inbox');
    await visit(asApprover.page, versionHash('2'), /Version 2/);
    await record(asApprover.page, 'version');
    await asApprover.page.getByRole('button', { name: /^Approve/ }).click();
    const approveDialog = asApprover.page.getByRole('dialog');
    expect(
      await approveDialog
        .getByLabel('Archive the other versions in Production')
        .isChecked()
    ).toBe(true);
    await approveDialog.getByRole('button', { name: 'Approve' }).click();

    // Assess: both decisions in the timeline, the stage, the archived one
    const timeline = asApprover.page.locator('ol.timeline');
    await timeline
      .locator('li[data-activity-type="APPROVED_REQUEST"]')
      .waitFor();
    await timeline
      .locator('li[data-activity-type="REQUESTED_TRANSITION"]')
      .waitFor();
    expect(
      await asApprover.page.locator('.title-row .stage').textContent()
    ).toBe('Production');
    await visit(
      asApprover.page,
      `#/models/${encodeURIComponent(model)}`,
      model
    );
    expect(
      await asApprover.page.locator('tr[data-version="1"] .stage').textContent()
    ).toBe('Archived');
    expect(
      await asApprover.page.locator('tr[data-version="2"] .stage').textContent()
    ).toBe('Production');
    await record(asApprover.page, 'model');
    expect(asRequester.errors).toEqual([]);
    expect(asApprover.errors).toEqual([]);
  });

  it('a Can Read user sees no Approve button, and the API refuses the approval with their token', async () => {
    // Prepare
    await ok(
      call('POST', `${MLFLOW}/transition-requests/create`, {
        body: { name: model, version: '3', stage: 'Staging' },
        token: requester.token,
      }),
      'request Staging'
    );
    const asReader = await open(reader.token);

    // Act
    await visit(asReader.page, versionHash('3'), /Version 3/);
    const pending = asReader.page.locator('li.request');
    await pending.waitFor();
    const refused = await call(
      'POST',
      `${MLFLOW}/transition-requests/approve`,
      {
        body: {
          name: model,
          version: '3',
          stage: 'Staging',
          archive_existing_versions: false,
        },
        token: reader.token,
      }
    );

    // Assess
    expect(await pending.getByRole('button').count()).toBe(0);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error_code: 'PERMISSION_DENIED' });
    expect(asReader.errors).toEqual([]);
  });

  it('the permissions dialog grants a group Can Manage Staging Versions and shows the lock-out guard refusing, and a member then approves a Staging request', async () => {
    // Prepare: a group with the member; the open Staging request of version 3
    const group = await createGroup('web-staging', [stagingMember.id]);
    const asAdmin = await open(registry().token);
    const asMember = await open(stagingMember.token);

    // Act: the grant, in the dialog
    await visit(asAdmin.page, `#/models/${encodeURIComponent(model)}`, model);
    await asAdmin.page.getByRole('button', { name: 'Permissions' }).click();
    const dialog = asAdmin.page.getByRole('dialog');
    await dialog.getByRole('table').waitFor();
    await dialog.getByLabel('Principal type').selectOption('group_name');
    await dialog.getByLabel('Name', { exact: true }).fill(group.displayName);
    await dialog
      .getByLabel('Permission')
      .selectOption('CAN_MANAGE_STAGING_VERSIONS');
    await dialog.getByRole('button', { name: 'Grant' }).click();
    await dialog
      .getByRole('row', { name: new RegExp(group.displayName) })
      .getByText('Can Manage Staging Versions')
      .waitFor();
    await dialog.getByText('Inherited').first().waitFor();
    // The guard keeps one direct manager; its refusal shows in the dialog.
    await dialog
      .getByRole('button', { name: "Remove admin's Can Manage" })
      .click();
    await dialog
      .getByRole('alert')
      .getByText('keep at least one manager', { exact: false })
      .waitFor();
    await record(asAdmin.page, 'permissions-dialog');
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Act: the member approves in the page
    await visit(asMember.page, versionHash('3'), /Version 3/);
    await asMember.page.getByRole('button', { name: /^Approve/ }).click();
    await asMember.page
      .getByRole('dialog')
      .getByRole('button', { name: 'Approve' })
      .click();

    // Assess
    await asMember.page
      .locator('li[data-activity-type="APPROVED_REQUEST"]')
      .waitFor();
    expect(await asMember.page.locator('.title-row .stage').textContent()).toBe(
      'Staging'
    );
    // The browser logs the refused call itself; nothing else.
    expect(asAdmin.errors).toEqual([expect.stringMatching(/status of 4\d\d/)]);
    expect(asMember.errors).toEqual([]);
  });

  it('a comment is added and edited on the version page', async () => {
    // Prepare
    const asApprover = await open(approver.token);
    await visit(asApprover.page, versionHash('2'), /Version 2/);

    // Act
    await asApprover.page
      .getByLabel('Add a comment')
      .fill('Latency within budget.');
    await asApprover.page.getByRole('button', { name: 'Add comment' }).click();
    const comment = asApprover.page.locator(
      'li[data-activity-type="NEW_COMMENT"]'
    );
    await comment.getByText('Latency within budget.').waitFor();
    await comment.getByRole('button', { name: 'Edit comment' }).click();
    await comment
      .getByRole('textbox', { name: 'Edit comment' })
      .fill('Latency and cost within budget.');
    await comment.getByRole('button', { name: 'Save comment' }).click();

    // Assess
    await comment.getByText('Latency and cost within budget.').waitFor();
    await comment.getByText('(edited)').waitFor();
    expect(asApprover.errors).toEqual([]);
  });

  it('every other page renders without console errors or serious accessibility findings', async () => {
    // Prepare
    const asAdmin = await open(registry().token);
    const signIn = await signedInPage(browser, registry().url, null);
    openPages.push({
      errors: signIn.errors,
      close: () => signIn.context.close(),
    });

    // Act and assess
    await visit(signIn.page, '#/models', 'Sign in to stagegate');
    await record(signIn.page, 'sign-in');
    await visit(
      asAdmin.page,
      `#/models?q=${encodeURIComponent(model)}`,
      'Registered models'
    );
    await asAdmin.page.getByRole('link', { name: model }).waitFor();
    await asAdmin.page
      .getByRole('cell', { name: 'Can Manage', exact: true })
      .waitFor();
    await record(asAdmin.page, 'models');
    await visit(asAdmin.page, '#/registry', 'Registry');
    await record(asAdmin.page, 'registry');
    await visit(asAdmin.page, '#/tokens', 'Your tokens');
    await record(asAdmin.page, 'tokens');
    await visit(asAdmin.page, '#/webhooks', 'Registry webhooks');
    await record(asAdmin.page, 'webhooks');
    expect(asAdmin.errors).toEqual([]);
    expect(signIn.errors).toEqual([]);
  });
});
