import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { sendReminders } from '#domain/registry/reminders.ts';
import {
  requestStepEvents,
  validateReminderAfter,
} from '#domain/registry/request-events.ts';
import {
  createTransitionRequest,
  setTransitionRequestSettings,
} from '#domain/registry/requests.ts';
import {
  accessTo,
  aPrincipal,
  type GovernanceDependencies,
  governanceDependencies,
  modelWithVersions,
} from '#test/support/governance.ts';

const HOUR = 3_600_000;
const reader = aPrincipal('reader@example.com');

async function world(): Promise<GovernanceDependencies> {
  const deps = governanceDependencies();
  await modelWithVersions(deps, 'm', 2, {
    'reader@example.com': 'CAN_READ',
    'carol@example.com': 'CAN_MANAGE_PRODUCTION_VERSIONS',
  });
  return deps;
}

async function request(deps: GovernanceDependencies, version = 1) {
  const { request: created } = await createTransitionRequest(
    deps,
    reader,
    await accessTo(deps, 'm'),
    { version, stage: 'Production' }
  );
  return created;
}

function reminders(deps: GovernanceDependencies) {
  return deps.store.outbox
    .all()
    .filter((event) => event.types[0] === 'TRANSITION_REQUEST_REMINDER');
}

describe('sendReminders', () => {
  it('reminds the possible approvers of a request open a day, once', async () => {
    // Prepare
    const deps = await world();
    const created = await request(deps);
    deps.advance(24 * HOUR);

    // Act
    const first = await sendReminders(deps);
    const second = await sendReminders(deps);

    // Assess
    expect([first, second]).toEqual([1, 0]);
    expect(reminders(deps)).toEqual([
      expect.objectContaining({
        requestId: created.id,
        requester: 'reader@example.com',
        recipients: expect.arrayContaining([
          { kind: 'user', name: 'carol@example.com' },
          { kind: 'group', name: 'admins' },
        ]),
      }),
    ]);
  });

  it('waits for the model’s reminder age, and sends none when it is 0', async () => {
    // Prepare
    const deps = await world();
    const record = (await accessTo(deps, 'm')).record;
    await setTransitionRequestSettings(deps, record, {
      reminderAfterSeconds: 2 * 3600,
    });
    await request(deps);
    deps.advance(HOUR);
    const tooSoon = await sendReminders(deps);
    deps.advance(HOUR);
    const due = await sendReminders(deps);
    await setTransitionRequestSettings(deps, record, {
      reminderAfterSeconds: 0,
    });
    await request(deps, 2);
    deps.advance(48 * HOUR);

    // Act
    const off = await sendReminders(deps);

    // Assess
    expect([tooSoon, due, off]).toEqual([0, 1, 0]);
  });

  it('reminds nobody of a decided or expired request', async () => {
    // Prepare
    const deps = await world();
    const record = (await accessTo(deps, 'm')).record;
    await setTransitionRequestSettings(deps, record, {
      requestExpirySeconds: 3600,
      reminderAfterSeconds: 1800,
    });
    await request(deps);
    deps.advance(2 * HOUR);

    // Act
    const sent = await sendReminders(deps);

    // Assess
    expect(sent).toBe(0);
    expect(reminders(deps)).toEqual([]);
  });
});

describe('request events', () => {
  it('announces nothing for the workflow’s own steps', () => {
    const deps = governanceDependencies();
    const request = {
      id: 'r',
      modelId: 'm',
      version: 1,
      toStage: 'Staging' as const,
      fromStage: 'None' as const,
      creator: 'a',
      comment: '',
      status: 'OPEN' as const,
      creationTimestamp: 0,
      lastUpdatedTimestamp: 0,
      expiresAt: 1,
    };
    for (const event of ['start', 'wait', 'close-stale', 'fail'] as const) {
      expect(requestStepEvents(deps, request, event, { by: 'x' })).toEqual([]);
    }
    expect(
      requestStepEvents(deps, request, 'expire', { by: 'system' })[0]?.types
    ).toEqual(['TRANSITION_REQUEST_EXPIRED']);
  });

  it.each([-1, 1.5, 360 * 24 * 3600 + 1])(
    'refuses a reminder age of %s seconds',
    (seconds) => {
      expect(() => validateReminderAfter(seconds)).toThrow(
        InvalidParameterValueError
      );
    }
  );

  it('accepts 0 (no reminder) up to 360 days', () => {
    expect(validateReminderAfter(0)).toBe(0);
    expect(validateReminderAfter(360 * 24 * 3600)).toBe(360 * 24 * 3600);
  });
});

describe('possible approvers of a protected stage', () => {
  it('leave out the requester, as the separation of duties check does', async () => {
    // Prepare: Staging protected for this model, outside the SoD stages.
    const deps = await world();
    const { record } = await accessTo(deps, 'm');
    await setTransitionRequestSettings(deps, record, {
      separationOfDutiesStages: [],
      protectedStages: ['Staging', 'Production'],
    });
    const carol = aPrincipal('carol@example.com');

    // Act
    await createTransitionRequest(deps, carol, await accessTo(deps, 'm'), {
      version: 1,
      stage: 'Staging',
    });

    // Assess
    const [created] = deps.store.outbox
      .all()
      .filter((event) => event.types[0] === 'TRANSITION_REQUEST_CREATED');
    const names = created?.recipients?.map((recipient) => recipient.name);
    expect(names).toContain('admins');
    expect(names).not.toContain('carol@example.com');
  });
});
