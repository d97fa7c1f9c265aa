import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, useRegistry } from '../support/api.ts';
import {
  type StartedRegistry,
  startRegistryProcess,
} from '../support/local-process.ts';
import {
  type SlackCall,
  type SlackStandIn,
  signedCallback,
  startSlackStandIn,
} from '../support/slack-stand-in.ts';
import type { UserWithToken } from './support/principals.ts';
import {
  activities,
  appliedStage,
  cancel,
  createModel,
  createUsers,
  expectStatus,
  grantLevels,
  openRequest,
  openRequests,
  patchSettings,
  pollUntil,
  typesOf,
} from './support/requests.ts';

/**
 * Approvals from Slack against a registry of its own (its Slack secret
 * points at a local Slack stand-in): the message of a request, signed
 * clicks deciding through the same rules as the API, refusals told to the
 * user, and the message showing every outcome.
 */

const local = !process.env.STAGEGATE_URL;
const SIGNING_SECRET = randomBytes(16).toString('hex');
const CALLBACK = '/callbacks/slack/interactions';
const CHANNEL = 'C0APPROVALS1';

let slack: SlackStandIn;
let stagegate: StartedRegistry | undefined;
let dataDir: string;
let requester: UserWithToken;
let approver: UserWithToken;
let secondApprover: UserWithToken;
let reader: UserWithToken;
/** Slack user ids of the registry users (by their verified e-mail). */
const SLACK_IDS = {
  requester: 'UREQUESTER1',
  approver: 'UAPPROVER01',
  secondApprover: 'UAPPROVER02',
  reader: 'UREADER0001',
  stranger: 'USTRANGER01',
  unverified: 'UUNVERIFIED',
} as const;

beforeAll(async () => {
  slack = await startSlackStandIn();
  dataDir = mkdtempSync(join(tmpdir(), 'stagegate-slack-'));
  writeFileSync(
    join(dataDir, 'slack.json'),
    JSON.stringify({
      bot_token: 'xoxb-stand-in',
      signing_secret: SIGNING_SECRET,
      api_url: slack.apiUrl,
    }),
    { mode: 0o600 }
  );
  const adminToken = `dapi${randomBytes(16).toString('hex')}`;
  stagegate = await startRegistryProcess({
    dataDir,
    adminToken,
    env: { STAGEGATE_EVENTS_POLL_MS: '100' },
  });
  useRegistry({ url: stagegate.url, token: adminToken });
  [requester, approver, secondApprover, reader] = (await createUsers(4)) as [
    UserWithToken,
    UserWithToken,
    UserWithToken,
    UserWithToken,
  ];
  slack.addUser(SLACK_IDS.requester, { email: requester.userName });
  slack.addUser(SLACK_IDS.approver, { email: approver.userName });
  slack.addUser(SLACK_IDS.secondApprover, { email: secondApprover.userName });
  slack.addUser(SLACK_IDS.reader, { email: reader.userName });
  slack.addUser(SLACK_IDS.stranger, { email: 'nobody@example.com' });
  slack.addUser(SLACK_IDS.unverified, {
    email: approver.userName,
    emailConfirmed: false,
  });
  expectStatus(
    await call('PATCH', '/api/2.0/stagegate/registry/slack', {
      body: { channel: CHANNEL },
    }),
    200
  );
}, 120_000);

afterAll(async () => {
  stagegate?.child.kill('SIGTERM');
  await stagegate?.exited;
  await slack?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A model with one version, and the levels the scenarios need. */
async function governedModel() {
  const model = await createModel(1, 'slack');
  await grantLevels(model.id, [
    [requester, 'CAN_READ'],
    [approver, 'CAN_MANAGE_STAGING_VERSIONS'],
    [secondApprover, 'CAN_MANAGE_STAGING_VERSIONS'],
    [reader, 'CAN_READ'],
  ]);
  return model;
}

/** The message posted for a request (waits for it). */
async function postedMessage(requestId: string): Promise<SlackCall> {
  const find = () =>
    slack
      .callsOf('chat.postMessage')
      .find((posted) => JSON.stringify(posted.body).includes(requestId));
  await slack.until(() => find() !== undefined);
  return find() as SlackCall;
}

/** The button `value` of a posted message. */
function buttonValue(message: SlackCall): string {
  const blocks = message.body.blocks as {
    type: string;
    elements?: { value: string }[];
  }[];
  const value = blocks.find((block) => block.type === 'actions')?.elements?.[0]
    ?.value;
  if (!value) throw new Error('The message has no buttons');
  return value;
}

/** The updates of a posted message, oldest first. */
function updatesOf(message: SlackCall): SlackCall[] {
  return slack
    .callsOf('chat.update')
    .filter((update) => update.body.ts === message.answer.ts);
}

/** Waits for an update of `message` that shows `text`; answers it. */
async function updateShowing(
  message: SlackCall,
  text: string
): Promise<SlackCall> {
  const find = () =>
    updatesOf(message).find((update) =>
      JSON.stringify(update.body.blocks).includes(text)
    );
  await slack.until(() => find() !== undefined);
  return find() as SlackCall;
}

/** The ephemeral answer posted to one response URL (waits for it). */
async function ephemeral(responseId: string): Promise<string> {
  const find = () =>
    slack.callsOf('respond').find((posted) => posted.responseId === responseId);
  await slack.until(() => find() !== undefined);
  return String(find()?.body.text);
}

function send(
  payload: unknown,
  options: { secret?: string; timestamp?: number } = {}
) {
  const signed = signedCallback(
    options.secret ?? SIGNING_SECRET,
    payload,
    options
  );
  return call('POST', CALLBACK, {
    token: null,
    rawBody: signed.body,
    headers: signed.headers,
  });
}

/** An Approve click, with its own response URL. */
function approveClick(slackUserId: string, value: string) {
  const response = slack.responseUrl();
  return {
    responseId: response.id,
    payload: {
      type: 'block_actions',
      user: { id: slackUserId },
      trigger_id: `trigger-${response.id}`,
      response_url: response.url,
      actions: [{ action_id: 'stagegate_approve', value }],
    },
  };
}

/** The Reject modal submitted with a reason. */
function rejectSubmission(
  slackUserId: string,
  privateMetadata: string,
  reason: string
) {
  return {
    type: 'view_submission',
    user: { id: slackUserId },
    view: {
      callback_id: 'stagegate_reject_reason',
      private_metadata: privateMetadata,
      state: { values: { reason: { reason: { value: reason } } } },
    },
  };
}

/** Request metadata as a Reject click's modal carries it. */
function modalMetadata(value: string, responseUrl: string): string {
  return JSON.stringify({ ref: value, url: responseUrl });
}

describe.runIf(local)('Slack approvals', () => {
  it('posts a request to the channel: model, version, stages, requester, comment, approvals, link, buttons', async () => {
    // Prepare
    const model = await governedModel();

    // Act
    const request = await openRequest(
      { name: model.name, version: '1', stage: 'Staging', comment: 'F1 0.93' },
      requester.token
    );
    const message = await postedMessage(request.id);

    // Assess
    expect(message.authorization).toBe('Bearer xoxb-stand-in');
    expect(message.body.channel).toBe(CHANNEL);
    const blocks = JSON.stringify(message.body.blocks);
    expect(blocks).toContain(model.name);
    expect(blocks).toContain('version 1');
    expect(blocks).toContain('*None* → *Staging*');
    expect(blocks).toContain(requester.userName);
    expect(blocks).toContain('F1 0.93');
    expect(blocks).toContain('*Approvals still needed* 1 of 1');
    expect(blocks).toContain(
      `${stagegate?.url}/#/models/${encodeURIComponent(model.name)}/versions/1`
    );
    expect(blocks).toContain('stagegate_approve');
    expect(blocks).toContain('stagegate_reject');
  });

  it('applies the transition once for a correctly signed Approve click, and shows who approved', async () => {
    // Prepare
    const model = await governedModel();
    const request = await openRequest(
      { name: model.name, version: '1', stage: 'Staging' },
      requester.token
    );
    const message = await postedMessage(request.id);
    const click = approveClick(SLACK_IDS.approver, buttonValue(message));

    // Act
    const answered = await send(click.payload);

    // Assess
    expect(answered.status).toBe(200);
    expect(await appliedStage(model.name, '1', 'Staging')).toBe('Staging');
    const feed = await activities(model.name, '1');
    expect(typesOf(feed).filter((type) => type === 'APPROVED_REQUEST')).toEqual(
      ['APPROVED_REQUEST']
    );
    expect(
      feed.find((a) => a.activity_type === 'APPROVED_REQUEST')?.user_id
    ).toBe(approver.userName);
    const update = await updateShowing(message, 'Approved');
    const shown = JSON.stringify(update.body.blocks);
    expect(shown).toContain(approver.userName);
    expect(shown).not.toContain('stagegate_approve');
  });

  it('refuses a bad signature, a timestamp 6 minutes old and a replayed body, changing nothing', async () => {
    // Prepare
    const model = await governedModel();
    const request = await openRequest(
      { name: model.name, version: '1', stage: 'Staging' },
      requester.token
    );
    const value = buttonValue(await postedMessage(request.id));
    const first = approveClick(SLACK_IDS.reader, value);
    const signed = signedCallback(SIGNING_SECRET, first.payload);
    const replayed = () =>
      call('POST', CALLBACK, {
        token: null,
        rawBody: signed.body,
        headers: signed.headers,
      });

    // Act
    const badSignature = await send(
      approveClick(SLACK_IDS.approver, value).payload,
      { secret: 'not-the-signing-secret' }
    );
    const stale = await send(approveClick(SLACK_IDS.approver, value).payload, {
      timestamp: Math.floor(Date.now() / 1000) - 360,
    });
    const original = await replayed();
    await ephemeral(first.responseId);
    const replay = await replayed();

    // Assess
    expect(badSignature.status).toBe(401);
    expect(badSignature.body).toMatchObject({ error_code: 'UNAUTHENTICATED' });
    expect(stale.status).toBe(401);
    expect(original.status).toBe(200);
    expect(replay.status).toBe(401);
    expect(String(replay.body.message)).toContain('replay');
    const open = await openRequests(model.name, '1');
    expect(open.map((r) => [r.id, r.approved_by])).toEqual([
      [request.id, undefined],
    ]);
    expect(
      slack.callsOf('respond').filter((r) => r.responseId === first.responseId)
    ).toHaveLength(1);
    expect(typesOf(await activities(model.name, '1'))).toEqual([
      'REQUESTED_TRANSITION',
    ]);
  });

  it('refuses, and tells why, a Slack user without the level, without a registry user, or without a verified e-mail', async () => {
    // Prepare
    const model = await governedModel();
    const request = await openRequest(
      { name: model.name, version: '1', stage: 'Staging' },
      requester.token
    );
    const value = buttonValue(await postedMessage(request.id));
    const clicks = [
      approveClick(SLACK_IDS.reader, value),
      approveClick(SLACK_IDS.stranger, value),
      approveClick(SLACK_IDS.unverified, value),
    ];

    // Act
    for (const click of clicks) {
      expect((await send(click.payload)).status).toBe(200);
    }
    const [noLevel, noUser, unverified] = await Promise.all(
      clicks.map((click) => ephemeral(click.responseId))
    );

    // Assess
    expect(noLevel).toContain(reader.userName);
    expect(noLevel).toMatch(/Not done:.*(may not|permission|approve)/i);
    expect(noUser).toContain('no registry user has the e-mail address');
    expect(unverified).toContain('no verified e-mail address');
    const open = await openRequests(model.name, '1');
    expect(open.map((r) => r.id)).toEqual([request.id]);
    expect(open[0]?.approved_by).toBeUndefined();
  });

  it('gives one outcome for 10 concurrent clicks on Approve and Reject', async () => {
    // Prepare
    const model = await governedModel();
    const request = await openRequest(
      { name: model.name, version: '1', stage: 'Staging' },
      requester.token
    );
    const message = await postedMessage(request.id);
    const value = buttonValue(message);
    const approvals = Array.from({ length: 5 }, () =>
      approveClick(SLACK_IDS.approver, value)
    );
    const rejections = Array.from({ length: 5 }, () => {
      const response = slack.responseUrl();
      return {
        responseId: response.id,
        payload: rejectSubmission(
          SLACK_IDS.secondApprover,
          modalMetadata(value, response.url),
          `not yet ${response.id}`
        ),
      };
    });
    const clicks = [...approvals, ...rejections];

    // Act
    const answers = await Promise.all(clicks.map((c) => send(c.payload)));
    const refusals = await pollUntil(
      async () =>
        slack
          .callsOf('respond')
          .filter((r) => clicks.some((c) => c.responseId === r.responseId)),
      (found) => found.length >= 9
    );

    // Assess
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(refusals).toHaveLength(9);
    const decisions = typesOf(await activities(model.name, '1')).filter(
      (type) => type === 'APPROVED_REQUEST' || type === 'REJECTED_REQUEST'
    );
    expect(decisions).toHaveLength(1);
    expect(await openRequests(model.name, '1')).toEqual([]);
    const outcome =
      decisions[0] === 'APPROVED_REQUEST' ? 'Approved' : 'Rejected';
    await updateShowing(message, outcome);
    const shown = updatesOf(message).map((u) => JSON.stringify(u.body.blocks));
    expect(
      shown.filter((s) => s.includes('Approved') || s.includes('Rejected'))
    ).toSatisfy((all: string[]) => all.every((s) => s.includes(outcome)));
  });

  it('opens a modal for Reject, and the submitted reason rejects the request and shows on the message', async () => {
    // Prepare
    const model = await governedModel();
    const request = await openRequest(
      { name: model.name, version: '1', stage: 'Staging' },
      requester.token
    );
    const message = await postedMessage(request.id);
    const response = slack.responseUrl();

    // Act
    const clicked = await send({
      type: 'block_actions',
      user: { id: SLACK_IDS.approver },
      trigger_id: `trigger-reject-${response.id}`,
      response_url: response.url,
      actions: [{ action_id: 'stagegate_reject', value: buttonValue(message) }],
    });
    const opened = slack
      .callsOf('views.open')
      .find((v) => v.body.trigger_id === `trigger-reject-${response.id}`);
    const view = opened?.body.view as { private_metadata: string };
    const submitted = await send(
      rejectSubmission(
        SLACK_IDS.approver,
        view.private_metadata,
        'Latency regressed by 40%'
      )
    );

    // Assess
    expect(clicked.status).toBe(200);
    expect(opened).toBeDefined();
    expect(submitted.status).toBe(200);
    const update = await updateShowing(message, 'Rejected');
    expect(JSON.stringify(update.body.blocks)).toContain(
      'Latency regressed by 40%'
    );
    const rejected = (await activities(model.name, '1')).find(
      (a) => a.activity_type === 'REJECTED_REQUEST'
    );
    expect(rejected).toMatchObject({
      user_id: approver.userName,
      comment: 'Latency regressed by 40%',
    });
  });

  it('shows a cancel made through the API, and an expiry, on the message', async () => {
    // Prepare
    const cancelled = await governedModel();
    const expiring = await governedModel();
    expectStatus(
      await patchSettings({ name: expiring.name, request_expiry_seconds: 1 }),
      200
    );
    const toCancel = await openRequest(
      { name: cancelled.name, version: '1', stage: 'Staging' },
      requester.token
    );
    const toExpire = await openRequest(
      { name: expiring.name, version: '1', stage: 'Staging' },
      requester.token
    );
    const [cancelMessage, expiryMessage] = await Promise.all([
      postedMessage(toCancel.id),
      postedMessage(toExpire.id),
    ]);

    // Act
    expectStatus(
      await cancel(
        {
          name: cancelled.name,
          version: '1',
          stage: 'Staging',
          creator: requester.userName,
        },
        requester.token
      ),
      200
    );

    // Assess
    const cancelUpdate = await updateShowing(cancelMessage, 'Cancelled');
    expect(JSON.stringify(cancelUpdate.body.blocks)).toContain(
      requester.userName
    );
    const expiryUpdate = await updateShowing(expiryMessage, 'Expired');
    expect(JSON.stringify(expiryUpdate.body.blocks)).not.toContain(
      'stagegate_approve'
    );
  });

  it("holds separation of duties: the requester's own click is refused", async () => {
    // Prepare
    const model = await governedModel();
    await grantLevels(model.id, [[requester, 'CAN_MANAGE_STAGING_VERSIONS']]);
    expectStatus(
      await patchSettings({
        name: model.name,
        separation_of_duties_stages: ['Staging'],
      }),
      200
    );
    const request = await openRequest(
      { name: model.name, version: '1', stage: 'Staging' },
      requester.token
    );
    const click = approveClick(
      SLACK_IDS.requester,
      buttonValue(await postedMessage(request.id))
    );

    // Act
    expect((await send(click.payload)).status).toBe(200);
    const told = await ephemeral(click.responseId);

    // Assess
    expect(told).toContain('Separation of duties');
    expect((await openRequests(model.name, '1')).map((r) => r.id)).toEqual([
      request.id,
    ]);
  });

  it('holds protected stages: each approver counts once, and the last approval applies it', async () => {
    // Prepare
    const model = await governedModel();
    expectStatus(
      await patchSettings({
        name: model.name,
        // Production is the registry's default protected stage.
        protected_stages: ['Staging', 'Production'],
        required_approvals: 2,
      }),
      200
    );
    const request = await openRequest(
      { name: model.name, version: '1', stage: 'Staging' },
      requester.token
    );
    const message = await postedMessage(request.id);
    const value = buttonValue(message);
    expect(JSON.stringify(message.body.blocks)).toContain(
      '*Approvals still needed* 2 of 2'
    );
    const first = approveClick(SLACK_IDS.approver, value);
    const again = approveClick(SLACK_IDS.approver, value);
    const last = approveClick(SLACK_IDS.secondApprover, value);

    // Act
    expect((await send(first.payload)).status).toBe(200);
    const progress = await updateShowing(message, 'Approved so far by');
    expect((await send(again.payload)).status).toBe(200);
    const refused = await ephemeral(again.responseId);
    expect((await send(last.payload)).status).toBe(200);

    // Assess
    expect(JSON.stringify(progress.body.blocks)).toContain(approver.userName);
    expect(JSON.stringify(progress.body.blocks)).toContain(
      '*Approvals still needed* 1 of 2'
    );
    expect(refused).toContain('has already approved this request');
    expect(await appliedStage(model.name, '1', 'Staging')).toBe('Staging');
    const outcome = await updateShowing(message, ':white_check_mark:');
    expect(JSON.stringify(outcome.body.blocks)).toContain(
      secondApprover.userName
    );
  });
});
