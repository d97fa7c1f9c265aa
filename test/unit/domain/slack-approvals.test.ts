import { describe, expect, it } from 'vitest';
import {
  InvalidParameterValueError,
  PermissionDeniedError,
} from '#domain/errors.ts';
import type { RegistryEvent } from '#domain/events.ts';
import { dispatchEvent } from '#domain/registry/event-delivery.ts';
import {
  addressRequest,
  cancelTransitionRequest,
  createTransitionRequest,
  setTransitionRequestSettings,
} from '#domain/registry/requests.ts';
import {
  acceptSlackInteraction,
  performSlackAction,
  ReplayedCallbackError,
  showEventInSlack,
  verifySlackCallback,
} from '#domain/registry/slack-approvals.ts';
import { encodeRequestRef } from '#domain/slack/messages.ts';
import { slackSignature } from '#domain/slack/signature.ts';
import type { SlackAction, SlackCredentials } from '#ports/slack.ts';
import {
  accessTo,
  aPrincipal,
  governanceDependencies,
  modelWithVersions,
  stageOf,
  T0,
} from '../../support/governance.ts';
import { MemoryIdentityStore } from '../../support/memory-identity-store.ts';
import {
  fixedSecret,
  MemorySlackStore,
  RecordingSlackApi,
} from '../../support/memory-slack.ts';

const CREDENTIALS: SlackCredentials = {
  botToken: 'xoxb-test',
  signingSecret: 'signing-secret',
  apiUrl: 'https://slack.test/api',
};
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const DAVE = 'dave@example.com';
const CAROL = 'carol@example.com';

async function setup(options: { credentials?: SlackCredentials | null } = {}) {
  const governance = governanceDependencies();
  const slack = new MemorySlackStore();
  const api = new RecordingSlackApi();
  const identities = new MemoryIdentityStore();
  const queued: SlackAction[] = [];
  const deps = {
    ...governance,
    identities,
    secrets: fixedSecret(
      options.credentials === null
        ? undefined
        : (options.credentials ?? CREDENTIALS)
    ),
    connect: () => api,
    slack,
    actions: {
      enqueue: async (action: SlackAction) => void queued.push(action),
    },
    publicUrl: 'https://registry.test',
  };
  await modelWithVersions(governance, 'fraud', 2, {
    [ALICE]: 'CAN_MANAGE_STAGING_VERSIONS',
    [BOB]: 'CAN_MANAGE_STAGING_VERSIONS',
    [DAVE]: 'CAN_MANAGE_STAGING_VERSIONS',
    [CAROL]: 'CAN_READ',
  });
  for (const [index, name] of [ALICE, BOB, DAVE, CAROL].entries()) {
    await identities.createPrincipal({
      id: `p-${index}`,
      kind: 'user',
      userName: name,
      displayName: name,
      active: true,
      groups: [],
    });
    api.users.set(`U${index}`, {
      id: `U${index}`,
      email: name,
      emailConfirmed: true,
      deleted: false,
      isBot: false,
    });
  }
  slack.registryChannel = 'C0REGISTRY1';
  const model = await accessTo(governance, 'fraud');
  return { deps, governance, slack, api, identities, queued, model };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Opens a request by alice and shows its events in Slack. */
async function openAndPost(s: Setup, comment = 'F1 0.93') {
  const { request } = await createTransitionRequest(
    s.deps,
    aPrincipal(ALICE),
    s.model,
    { version: 1, stage: 'Staging', comment }
  );
  await showAll(s);
  return request;
}

/** The outbox's request-created event. */
function createdEvent(s: Setup): RegistryEvent {
  const event = s.governance.store.outbox
    .all()
    .find((e) => e.types[0] === 'TRANSITION_REQUEST_CREATED');
  if (!event) throw new Error('no request event');
  return event;
}

const shown = new WeakMap<Setup, Set<string>>();

/** Shows in Slack every event not shown yet, as the dispatcher would. */
async function showAll(s: Setup): Promise<RegistryEvent[]> {
  const done = shown.get(s) ?? new Set<string>();
  shown.set(s, done);
  const fresh = s.governance.store.outbox
    .all()
    .filter((event) => !done.has(event.id));
  for (const event of fresh) {
    done.add(event.id);
    await showEventInSlack(s.deps, event, 'fraud');
  }
  return fresh;
}

function refOf(request: { id: string; modelId: string; version: number }) {
  return {
    modelId: request.modelId,
    version: request.version,
    requestId: request.id,
    toStage: 'Staging' as const,
  };
}

describe('showEventInSlack', () => {
  it("posts a new request to the registry's channel, with a link to the version's page", async () => {
    const s = await setup();
    await openAndPost(s);
    expect(s.api.posted).toHaveLength(1);
    expect(s.api.posted[0]?.channel).toBe('C0REGISTRY1');
    expect(JSON.stringify(s.api.posted[0]?.message.blocks)).toContain(
      'https://registry.test/#/models/fraud/versions/1'
    );
    expect(JSON.stringify(s.api.posted[0]?.message.blocks)).toContain(
      'F1 0.93'
    );
  });

  it("prefers the model's own channel", async () => {
    const s = await setup();
    s.slack.modelChannels.set(s.model.record.model.id, 'C0MODEL0001');
    await openAndPost(s);
    expect(s.api.posted[0]?.channel).toBe('C0MODEL0001');
  });

  it('posts nothing without a channel or without the secret', async () => {
    const noChannel = await setup();
    noChannel.slack.registryChannel = undefined;
    await openAndPost(noChannel);
    const noSecret = await setup({ credentials: null });
    await openAndPost(noSecret);
    expect(noChannel.api.posted).toEqual([]);
    expect(noSecret.api.posted).toEqual([]);
  });

  it('posts once however often the event is dispatched', async () => {
    const s = await setup();
    await openAndPost(s);
    await showEventInSlack(s.deps, createdEvent(s), 'fraud');
    expect(s.api.posted).toHaveLength(1);
  });

  it('gives up the claim of a failed post, so a later dispatch posts', async () => {
    const s = await setup();
    s.api.failPost = 'channel_not_found';
    const { request } = await createTransitionRequest(
      s.deps,
      aPrincipal(ALICE),
      s.model,
      { version: 1, stage: 'Staging' }
    );
    await expect(
      showEventInSlack(s.deps, createdEvent(s), 'fraud')
    ).rejects.toThrow('channel_not_found');
    s.api.failPost = undefined;
    await showEventInSlack(s.deps, createdEvent(s), 'fraud');
    expect(s.api.posted).toHaveLength(1);
    expect(s.slack.messages.get(request.id)?.location).toBeDefined();
  });

  it('shows a cancel made elsewhere on the message, without the buttons', async () => {
    const s = await setup();
    const request = await openAndPost(s);
    const address = await addressRequest(s.governance.requests, s.model, {
      version: 1,
      stage: 'Staging',
      requestId: request.id,
    });
    await cancelTransitionRequest(s.deps, aPrincipal(ALICE), address, {
      comment: 'not needed',
    });
    await showAll(s);
    const update = s.api.updated.at(-1);
    expect(update?.location).toEqual({ channel: 'C0REGISTRY1', ts: '1.1' });
    expect(JSON.stringify(update?.message.blocks)).toContain(
      `:no_entry_sign: *Cancelled* by ${ALICE}`
    );
    expect(JSON.stringify(update?.message.blocks)).toContain('>not needed');
    expect(JSON.stringify(update?.message.blocks)).not.toContain(
      'stagegate_approve'
    );
  });

  it('shows an outcome recorded while the message was being posted, once posted', async () => {
    const s = await setup();
    await createTransitionRequest(s.deps, aPrincipal(ALICE), s.model, {
      version: 1,
      stage: 'Staging',
    });
    // The expiry's event is shown between the claim and the post's save.
    const claim = s.slack.claimMessage.bind(s.slack);
    s.slack.claimMessage = async (ref) => {
      const claimed = await claim(ref);
      await s.slack.saveOutcome(ref, { kind: 'expired', by: 'system', at: T0 });
      return claimed;
    };
    await showAll(s);
    expect(s.api.posted).toHaveLength(1);
    expect(JSON.stringify(s.api.updated.at(-1)?.message.blocks)).toContain(
      ':hourglass: *Expired*'
    );
  });

  it('records no outcome for a request without a message', async () => {
    const s = await setup();
    s.slack.registryChannel = undefined;
    const request = await openAndPost(s);
    expect(
      await s.slack.saveOutcome(refOf(request), {
        kind: 'expired',
        by: 'system',
        at: T0,
      })
    ).toBeUndefined();
  });

  it('leaves events that are not about requests alone', async () => {
    const s = await setup();
    await showEventInSlack(
      s.deps,
      {
        id: 'e',
        types: ['MODEL_VERSION_CREATED'],
        modelId: s.model.record.model.id,
        version: 1,
        timestamp: T0,
        userId: 'admin',
        text: 'x',
      },
      'fraud'
    );
    expect(s.api.posted).toEqual([]);
  });

  it('is the channel the dispatcher fans events out to', async () => {
    const s = await setup();
    const seen: string[] = [];
    await createTransitionRequest(s.deps, aPrincipal(ALICE), s.model, {
      version: 1,
      stage: 'Staging',
    });
    const event = createdEvent(s);
    await dispatchEvent(
      {
        outbox: s.governance.store.outbox,
        webhooks: { listSubscribers: async () => [] },
        deliveries: { create: async () => undefined },
        queue: { enqueue: async () => undefined },
        bus: { publish: async () => undefined },
        store: s.governance.store,
        now: () => T0,
        notifiers: [async (e, name) => void seen.push(`${e.types[0]} ${name}`)],
      },
      event
    );
    expect(seen).toEqual(['TRANSITION_REQUEST_CREATED fraud']);
  });
});

describe('verifySlackCallback', () => {
  const now = T0;
  const callback = (body: string) => {
    const timestamp = String(now / 1000);
    return {
      rawBody: body,
      timestamp,
      signature: slackSignature(CREDENTIALS.signingSecret, timestamp, body),
    };
  };

  it('answers the credentials for a signed, fresh callback, and refuses its replay', async () => {
    const s = await setup();
    const deps = { ...s.deps, now: () => now };
    expect(await verifySlackCallback(deps, callback('a=1'))).toBe(CREDENTIALS);
    await expect(verifySlackCallback(deps, callback('a=1'))).rejects.toThrow(
      ReplayedCallbackError
    );
    expect([...s.slack.signatures.values()]).toEqual([now / 1000 + 360]);
  });

  it('refuses every callback while Slack is not set up', async () => {
    const s = await setup({ credentials: null });
    await expect(
      verifySlackCallback({ ...s.deps, now: () => now }, callback('a=1'))
    ).rejects.toThrow(PermissionDeniedError);
  });
});

describe('acceptSlackInteraction', () => {
  const ref = {
    modelId: 'm',
    version: 1,
    requestId: 'r',
    toStage: 'Staging' as const,
  };

  it('queues an Approve click with where to answer', async () => {
    const s = await setup();
    await acceptSlackInteraction(s.deps, CREDENTIALS, {
      kind: 'button',
      actionId: 'approve',
      value: encodeRequestRef(ref),
      userId: 'U1',
      triggerId: 't',
      responseUrl: 'https://hooks.slack.com/x',
    });
    expect(s.queued).toEqual([
      {
        kind: 'approve',
        ref,
        userId: 'U1',
        responseUrl: 'https://hooks.slack.com/x',
      },
    ]);
  });

  it('opens the reason modal for a Reject click, and queues the submitted reason', async () => {
    const s = await setup();
    await acceptSlackInteraction(s.deps, CREDENTIALS, {
      kind: 'button',
      actionId: 'reject',
      value: encodeRequestRef(ref),
      userId: 'U1',
      triggerId: 'trigger-1',
      responseUrl: 'https://hooks.slack.com/x',
    });
    const [opened] = s.api.views;
    expect(opened?.triggerId).toBe('trigger-1');
    await acceptSlackInteraction(s.deps, CREDENTIALS, {
      kind: 'reject-submitted',
      privateMetadata: String(opened?.view.private_metadata),
      userId: 'U1',
      reason: 'latency',
    });
    expect(s.queued).toEqual([
      {
        kind: 'reject',
        ref,
        userId: 'U1',
        comment: 'latency',
        responseUrl: 'https://hooks.slack.com/x',
      },
    ]);
  });

  it('ignores other interactions and refuses metadata that is not ours', async () => {
    const s = await setup();
    await acceptSlackInteraction(s.deps, CREDENTIALS, { kind: 'ignored' });
    await expect(
      acceptSlackInteraction(s.deps, CREDENTIALS, {
        kind: 'reject-submitted',
        privateMetadata: 'nope',
        userId: 'U1',
        reason: 'x',
      })
    ).rejects.toThrow(InvalidParameterValueError);
    expect(s.queued).toEqual([]);
  });
});

describe('performSlackAction', () => {
  it('approves as the registry user with the verified e-mail, through the decide path', async () => {
    const s = await setup();
    const request = await openAndPost(s);
    const result = await performSlackAction(s.deps, {
      kind: 'approve',
      ref: refOf(request),
      userId: 'U1',
      responseUrl: 'https://hooks.slack.com/r',
    });
    expect(result).toEqual({ outcome: 'decided', remaining: 0 });
    const stored = await s.governance.requests.getRequest(
      request.modelId,
      1,
      request.id
    );
    expect(stored?.status).toBe('APPROVED');
    expect(stored?.decision?.by).toBe(BOB);
    expect(s.api.responses).toEqual([]);
  });

  it('rejects with the reason as the comment', async () => {
    const s = await setup();
    const request = await openAndPost(s);
    await performSlackAction(s.deps, {
      kind: 'reject',
      ref: refOf(request),
      userId: 'U1',
      comment: 'latency',
    });
    const stored = await s.governance.requests.getRequest(
      request.modelId,
      1,
      request.id
    );
    expect(stored?.status).toBe('REJECTED');
    expect(stored?.decision?.comment).toBe('latency');
  });

  it.each([
    ['without the level', 'U3', `${CAROL}:`],
    ['unknown to Slack as verified', 'U9', 'user_not_found'],
  ])('refuses a Slack user %s', async (_what, userId, said) => {
    const s = await setup();
    const request = await openAndPost(s);
    const act = performSlackAction(s.deps, {
      kind: 'approve',
      ref: refOf(request),
      userId,
      responseUrl: 'https://hooks.slack.com/r',
    });
    if (userId === 'U9') {
      await expect(act).rejects.toThrow(said);
      return;
    }
    expect(await act).toMatchObject({ outcome: 'refused' });
    expect(s.api.responses[0]?.text).toContain(said);
    expect(s.api.responses[0]?.text).toMatch(/^:warning: Not done: /);
  });

  it.each([
    [
      'an unverified e-mail',
      { emailConfirmed: false },
      'no verified e-mail address',
    ],
    ['a bot', { isBot: true }, 'not bots'],
    [
      'an e-mail no registry user has',
      { email: 'zed@example.com' },
      'no registry user has the e-mail address zed@example.com',
    ],
  ])(
    'refuses a Slack user with %s, and says why',
    async (_what, change, said) => {
      const s = await setup();
      const request = await openAndPost(s);
      const user = s.api.users.get('U1');
      s.api.users.set('U1', {
        ...(user as NonNullable<typeof user>),
        ...change,
      });
      const result = await performSlackAction(s.deps, {
        kind: 'approve',
        ref: refOf(request),
        userId: 'U1',
        responseUrl: 'https://hooks.slack.com/r',
      });
      expect(result).toMatchObject({ outcome: 'refused' });
      expect(s.api.responses[0]?.text).toContain(said);
    }
  );

  it('refuses a deactivated registry user', async () => {
    const s = await setup();
    const request = await openAndPost(s);
    s.identities.deactivate('p-1');
    const result = await performSlackAction(s.deps, {
      kind: 'approve',
      ref: refOf(request),
      userId: 'U1',
    });
    expect(result).toEqual({
      outcome: 'refused',
      reason: `the registry user ${BOB} is deactivated.`,
    });
  });

  it("refuses the requester's own click under separation of duties", async () => {
    const s = await setup();
    await setTransitionRequestSettings(s.governance, s.model.record, {
      separationOfDutiesStages: ['Staging'],
    });
    const request = await openAndPost(s);
    const result = await performSlackAction(s.deps, {
      kind: 'approve',
      ref: refOf(request),
      userId: 'U0',
    });
    expect(result).toMatchObject({ outcome: 'refused' });
    expect(await stageOf(s.governance, 'fraud', 1)).toBe('None');
  });

  it('says a decided request is no longer open', async () => {
    const s = await setup();
    const request = await openAndPost(s);
    const click = {
      kind: 'approve' as const,
      ref: refOf(request),
      userId: 'U1',
    };
    await performSlackAction(s.deps, click);
    const again = await performSlackAction(s.deps, { ...click, userId: 'U2' });
    expect(again).toMatchObject({ outcome: 'refused' });
    expect((again as { reason: string }).reason).toMatch(
      /^the request is no longer open/
    );
  });

  it('says so when the model is gone', async () => {
    const s = await setup();
    const request = await openAndPost(s);
    const result = await performSlackAction(s.deps, {
      kind: 'approve',
      ref: { ...refOf(request), modelId: 'gone' },
      userId: 'U1',
    });
    expect(result).toMatchObject({ outcome: 'refused' });
  });

  it('shows the progress of an approval that leaves a protected request open', async () => {
    const s = await setup();
    await setTransitionRequestSettings(s.governance, s.model.record, {
      protectedStages: ['Staging', 'Production'],
      requiredApprovals: 2,
    });
    const request = await openAndPost(s);
    const result = await performSlackAction(s.deps, {
      kind: 'approve',
      ref: refOf(request),
      userId: 'U1',
    });
    expect(result).toEqual({ outcome: 'decided', remaining: 1 });
    const shownNow = JSON.stringify(s.api.updated.at(-1)?.message.blocks);
    expect(shownNow).toContain(`*Approved so far by* ${BOB}`);
    expect(shownNow).toContain('*Approvals still needed* 1 of 2');
    expect(shownNow).toContain('stagegate_approve');
  });

  it('does nothing while Slack is not set up', async () => {
    const s = await setup({ credentials: null });
    expect(
      await performSlackAction(s.deps, {
        kind: 'approve',
        ref: { modelId: 'm', version: 1, requestId: 'r', toStage: 'Staging' },
        userId: 'U1',
      })
    ).toEqual({ outcome: 'skipped' });
  });
});
