import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { parseSlackInteraction } from '#http/slack-interactions.ts';

const form = (payload: unknown) =>
  new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

describe('parseSlackInteraction', () => {
  it('reads a button of ours', () => {
    expect(
      parseSlackInteraction(
        form({
          type: 'block_actions',
          user: { id: 'U1', name: 'ignored' },
          trigger_id: 't1',
          response_url: 'https://hooks.slack.com/a',
          actions: [{ action_id: 'stagegate_reject', value: 'v' }],
        })
      )
    ).toEqual({
      kind: 'button',
      actionId: 'reject',
      value: 'v',
      userId: 'U1',
      triggerId: 't1',
      responseUrl: 'https://hooks.slack.com/a',
    });
  });

  it('reads the submitted reason of the Reject modal', () => {
    expect(
      parseSlackInteraction(
        form({
          type: 'view_submission',
          user: { id: 'U1' },
          view: {
            callback_id: 'stagegate_reject_reason',
            private_metadata: 'm',
            state: { values: { reason: { reason: { value: 'why' } } } },
          },
        })
      )
    ).toEqual({
      kind: 'reject-submitted',
      privateMetadata: 'm',
      userId: 'U1',
      reason: 'why',
    });
  });

  it('ignores interactions that are not ours', () => {
    expect(
      parseSlackInteraction(
        form({
          type: 'block_actions',
          user: { id: 'U1' },
          actions: [{ action_id: 'other' }],
        })
      )
    ).toEqual({ kind: 'ignored' });
    expect(
      parseSlackInteraction(form({ type: 'shortcut', user: { id: 'U1' } }))
    ).toEqual({ kind: 'ignored' });
  });

  it.each([
    ['no payload', 'x=1', /payload field/],
    ['a payload that is not JSON', 'payload=%7B', /not JSON/],
    ['no user', form({ type: 'block_actions' }), /payload\.user/],
    [
      'a button without a value',
      form({
        type: 'block_actions',
        user: { id: 'U1' },
        trigger_id: 't',
        actions: [{ action_id: 'stagegate_approve' }],
      }),
      /value/,
    ],
    [
      'an empty reason',
      form({
        type: 'view_submission',
        user: { id: 'U1' },
        view: {
          callback_id: 'stagegate_reject_reason',
          state: { values: { reason: { reason: { value: ' ' } } } },
        },
      }),
      /reason is required/,
    ],
  ])('refuses %s, saying what', (_what, body, message) => {
    expect(() => parseSlackInteraction(body)).toThrow(
      InvalidParameterValueError
    );
    expect(() => parseSlackInteraction(body)).toThrow(message);
  });
});
