import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  decodeRequestRef,
  encodeRequestRef,
  escapeMrkdwn,
  rejectModal,
  requestMessage,
  type SlackRequestView,
  versionPageUrl,
} from '#domain/slack/messages.ts';
import { validateSlackChannel } from '#domain/slack/settings.ts';

const REF = {
  modelId: 'm-1',
  version: 3,
  requestId: 'r-1',
  toStage: 'Production',
} as const;

const VIEW: SlackRequestView = {
  ref: REF,
  modelName: 'fraud <scorer> & co',
  fromStage: 'Staging',
  requester: 'alice@example.com',
  comment: 'F1 up\n<b>2%</b>',
  approvalsRequired: 2,
  approvalsRemaining: 1,
  approvedBy: ['bob@example.com'],
  link: 'https://registry.example.com/#/models/fraud/versions/3',
};

const text = (blocks: unknown) => JSON.stringify(blocks);

describe('requestMessage', () => {
  it('shows an open request with its details, link and both buttons', () => {
    // Act
    const message = requestMessage(VIEW);

    // Assess
    const shown = text(message.blocks);
    expect(shown).toContain('fraud &lt;scorer&gt; &amp; co version 3');
    expect(shown).toContain(
      '<https://registry.example.com/#/models/fraud/versions/3|'
    );
    expect(shown).toContain('*Staging* → *Production*');
    expect(shown).toContain('*Requested by* alice@example.com');
    expect(shown).toContain('*Approvals still needed* 1 of 2');
    expect(shown).toContain('*Approved so far by* bob@example.com');
    expect(shown).toContain('>F1 up\\n>&lt;b&gt;2%&lt;/b&gt;');
    const actions = message.blocks.find((block) => block.type === 'actions');
    expect(actions?.elements).toEqual([
      expect.objectContaining({
        action_id: 'stagegate_approve',
        value: encodeRequestRef(REF),
      }),
      expect.objectContaining({
        action_id: 'stagegate_reject',
        value: encodeRequestRef(REF),
      }),
    ]);
    expect(message.text).toBe(
      'alice@example.com requests moving fraud <scorer> & co version 3 from Staging to Production.'
    );
  });

  it('shows the outcome (who, when, comment) in place of the buttons', () => {
    // Act
    const message = requestMessage(VIEW, {
      kind: 'rejected',
      by: 'bob@example.com',
      at: 1_700_000_000_000,
      comment: 'latency',
    });

    // Assess
    const shown = text(message.blocks);
    expect(message.blocks.some((block) => block.type === 'actions')).toBe(
      false
    );
    expect(shown).toContain(
      ':x: *Rejected* by bob@example.com on <!date^1700000000^'
    );
    expect(shown).toContain('|2023-11-14T22:13:20.000Z>');
    expect(shown).toContain('>latency');
    expect(shown).not.toContain('Approvals still needed');
    expect(message.text).toContain('(rejected by bob@example.com)');
  });

  it('names nobody for what the registry did itself (expiry)', () => {
    const message = requestMessage(
      { ...VIEW, link: undefined, comment: undefined, approvedBy: [] },
      { kind: 'expired', by: 'system', at: 1_700_000_000_000 }
    );
    const shown = text(message.blocks);
    expect(shown).toContain(':hourglass: *Expired* on');
    expect(shown).toContain('*fraud &lt;scorer&gt; &amp; co* version 3');
    expect(message.text).toContain('(expired)');
  });

  it('cuts a long comment', () => {
    const message = requestMessage({ ...VIEW, comment: 'x'.repeat(4000) });
    expect(text(message.blocks)).toContain(`${'x'.repeat(1499)}…`);
  });
});

describe('request refs', () => {
  it('round-trips through a button value', () => {
    expect(decodeRequestRef(encodeRequestRef(REF))).toEqual(REF);
  });

  it.each([
    ['not JSON', '{'],
    ['not an object', '"x"'],
    ['no version', '{"m":"a","r":"b","s":"Staging"}'],
    ['a fractional version', '{"m":"a","v":1.5,"r":"b","s":"Staging"}'],
    ['an unknown stage', '{"m":"a","v":1,"r":"b","s":"Prod"}'],
    ['a long id', `{"m":"${'a'.repeat(65)}","v":1,"r":"b","s":"Staging"}`],
  ])('refuses %s', (_what, value) => {
    expect(() => decodeRequestRef(value)).toThrow(InvalidParameterValueError);
  });
});

describe('versionPageUrl', () => {
  it('encodes the model name into the stable page shape', () => {
    expect(versionPageUrl('https://r.example.com/', 'a/b c', 7)).toBe(
      'https://r.example.com/#/models/a%2Fb%20c/versions/7'
    );
  });
});

describe('rejectModal', () => {
  it('asks for a required reason and carries the metadata back', () => {
    const view = rejectModal(REF, '{"ref":"x"}');
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: 'stagegate_reject_reason',
      private_metadata: '{"ref":"x"}',
    });
    expect(text(view.blocks)).toContain('"block_id":"reason"');
  });
});

describe('escapeMrkdwn', () => {
  it("escapes Slack's three control characters", () => {
    expect(escapeMrkdwn('<!here> & co')).toBe('&lt;!here&gt; &amp; co');
  });
});

describe('validateSlackChannel', () => {
  it.each([
    ['C0123ABCD9', 'C0123ABCD9'],
    ['G0123ABCD9', 'G0123ABCD9'],
    ['#model-approvals', '#model-approvals'],
    ['', undefined],
  ])('accepts %j', (value, expected) => {
    expect(validateSlackChannel(value)).toBe(expected);
  });

  it.each([
    'approvals',
    '#Approvals',
    'C12',
    'U0123ABCD9',
    `#${'a'.repeat(81)}`,
  ])('refuses %j, naming the field', (value) => {
    expect(() => validateSlackChannel(value)).toThrow(/^channel must be/);
  });
});
