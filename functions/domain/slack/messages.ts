import { InvalidParameterValueError } from '../errors.ts';
import { canonicalStage, type Stage } from '../stages.ts';

/**
 * What approvers see in Slack: the Block Kit message of a transition
 * request (with Approve and Reject buttons while it is open, the outcome
 * in their place once it is not), the Reject modal asking for a reason,
 * and the ephemeral answers to a click. Pure data; the Slack port posts it.
 */

/** A message or an update, as `chat.postMessage` and `chat.update` take it. */
export interface SlackMessage {
  /** The notification's plain text (and the fallback of the blocks). */
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

/** A `views.open` modal. */
export type SlackView = Record<string, unknown>;

/** The request a button or a modal acts on, carried in its `value`. */
export interface SlackRequestRef {
  readonly modelId: string;
  readonly version: number;
  readonly requestId: string;
  readonly toStage: Stage;
}

/** A request as its message shows it. */
export interface SlackRequestView {
  readonly ref: SlackRequestRef;
  readonly modelName: string;
  readonly fromStage: Stage;
  readonly requester: string;
  readonly comment?: string | undefined;
  readonly approvalsRequired: number;
  readonly approvalsRemaining: number;
  readonly approvedBy: readonly string[];
  /** The version's web page; absent when the registry has no public URL. */
  readonly link?: string | undefined;
}

/** How a request ended, as its message shows it in place of the buttons. */
export interface SlackOutcome {
  readonly kind: 'approved' | 'rejected' | 'cancelled' | 'expired';
  readonly by: string;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly comment?: string | undefined;
}

/** `action_id`s of the message's buttons and `callback_id` of the modal. */
export const SLACK_ACTIONS = {
  approve: 'stagegate_approve',
  reject: 'stagegate_reject',
  rejectModal: 'stagegate_reject_reason',
} as const;

/** The modal's input block and element, where the reason is read from. */
export const REJECT_REASON_INPUT = { block: 'reason', action: 'reason' };

/** Slack shows 3,000 characters of a section; comments are cut to this. */
const MAX_QUOTED = 1_500;

/**
 * The version's page of the registry's web interface, a stable URL shape:
 * `<public URL>/#/models/<model name, URL-encoded>/versions/<version>`.
 */
export function versionPageUrl(
  publicUrl: string,
  modelName: string,
  version: number
): string {
  return `${publicUrl.replace(/\/+$/, '')}/#/models/${encodeURIComponent(modelName)}/versions/${version}`;
}

/** Text Slack's mrkdwn shows as written (its three control characters). */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function cut(text: string, max = MAX_QUOTED): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function quote(text: string): string {
  return cut(text)
    .split('\n')
    .map((line) => `>${escapeMrkdwn(line)}`)
    .join('\n');
}

/** A time in the reader's own time zone, with an ISO fallback. */
function when(at: number): string {
  const seconds = Math.floor(at / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${new Date(at).toISOString()}>`;
}

export function encodeRequestRef(ref: SlackRequestRef): string {
  return JSON.stringify({
    m: ref.modelId,
    v: ref.version,
    r: ref.requestId,
    s: ref.toStage,
  });
}

/**
 * The ref a button or modal carried; it came back inside a signed
 * callback, and the decision is authorized on the request it names anyway.
 * @throws InvalidParameterValueError when it is not one of ours.
 */
export function decodeRequestRef(value: string): SlackRequestRef {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const fields = parsed as Record<string, unknown> | undefined;
  if (
    typeof fields !== 'object' ||
    fields === null ||
    typeof fields.m !== 'string' ||
    typeof fields.r !== 'string' ||
    typeof fields.s !== 'string' ||
    typeof fields.v !== 'number' ||
    !Number.isInteger(fields.v) ||
    fields.m.length > 64 ||
    fields.r.length > 64
  ) {
    throw new InvalidParameterValueError(
      'The action does not name a transition request.'
    );
  }
  return {
    modelId: fields.m,
    version: fields.v,
    requestId: fields.r,
    toStage: canonicalStage(fields.s),
  };
}

const OUTCOME_WORDS: Record<SlackOutcome['kind'], string> = {
  approved: ':white_check_mark: *Approved*',
  rejected: ':x: *Rejected*',
  cancelled: ':no_entry_sign: *Cancelled*',
  expired: ':hourglass: *Expired*',
};

function headline(view: SlackRequestView): string {
  const name = escapeMrkdwn(view.modelName);
  const title = view.link
    ? `<${view.link}|${name} version ${view.ref.version}>`
    : `*${name}* version ${view.ref.version}`;
  return `${title}: *${view.fromStage}* → *${view.ref.toStage}*`;
}

/**
 * The message of a request: model, version, from → to, requester, the
 * request's comment, the approvals still needed (and by whom so far), a
 * link to the version's page; Approve and Reject while `outcome` is
 * absent, the outcome (who, when, comment) once it is there.
 */
export function requestMessage(
  view: SlackRequestView,
  outcome?: SlackOutcome
): SlackMessage {
  const fieldsText = [
    `*Requested by* ${escapeMrkdwn(view.requester)}`,
    outcome
      ? undefined
      : `*Approvals still needed* ${view.approvalsRemaining} of ${view.approvalsRequired}`,
    view.approvedBy.length > 0
      ? `*Approved so far by* ${view.approvedBy.map(escapeMrkdwn).join(', ')}`
      : undefined,
  ].filter((line): line is string => line !== undefined);
  const blocks: Record<string, unknown>[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `Transition request: ${headline(view)}` },
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: fieldsText.join('\n') },
    },
  ];
  if (view.comment) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: quote(view.comment) },
    });
  }
  if (outcome) {
    const by = outcome.by === 'system' ? '' : ` by ${escapeMrkdwn(outcome.by)}`;
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: [
          `${OUTCOME_WORDS[outcome.kind]}${by} on ${when(outcome.at)}`,
          outcome.comment ? quote(outcome.comment) : undefined,
        ]
          .filter(Boolean)
          .join('\n'),
      },
    });
  } else {
    const value = encodeRequestRef(view.ref);
    blocks.push({
      type: 'actions',
      block_id: 'decision',
      elements: [
        {
          type: 'button',
          action_id: SLACK_ACTIONS.approve,
          text: { type: 'plain_text', text: 'Approve' },
          style: 'primary',
          value,
        },
        {
          type: 'button',
          action_id: SLACK_ACTIONS.reject,
          text: { type: 'plain_text', text: 'Reject' },
          style: 'danger',
          value,
        },
      ],
    });
  }
  const state = outcome
    ? ` (${outcome.kind}${outcome.by === 'system' ? '' : ` by ${outcome.by}`})`
    : '';
  return {
    text: `${view.requester} requests moving ${view.modelName} version ${view.ref.version} from ${view.fromStage} to ${view.ref.toStage}${state}.`,
    blocks,
  };
}

/**
 * The Reject modal: a required reason. `privateMetadata` comes back with
 * the submission (the request, and where to answer the clicking user).
 */
export function rejectModal(
  ref: SlackRequestRef,
  privateMetadata: string
): SlackView {
  return {
    type: 'modal',
    callback_id: SLACK_ACTIONS.rejectModal,
    private_metadata: privateMetadata,
    title: { type: 'plain_text', text: 'Reject the request' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Moving version ${ref.version} to *${ref.toStage}*: why do you reject it? The requester sees your reason.`,
        },
      },
      {
        type: 'input',
        block_id: REJECT_REASON_INPUT.block,
        label: { type: 'plain_text', text: 'Reason' },
        element: {
          type: 'plain_text_input',
          action_id: REJECT_REASON_INPUT.action,
          multiline: true,
          max_length: 3000,
        },
      },
    ],
  };
}

/** The ephemeral answer to a click that did not decide. */
export function refusalText(reason: string): string {
  return `:warning: Not done: ${reason}`;
}
