import { z } from 'zod';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import type { SlackInteraction } from '#domain/registry/slack-approvals.ts';
import { REJECT_REASON_INPUT, SLACK_ACTIONS } from '#domain/slack/messages.ts';

/**
 * Slack's interaction payloads (`payload=<JSON>`, form-encoded), read
 * only after the signature was verified: a button of a request's message
 * (`block_actions`) or the submitted Reject modal (`view_submission`).
 * Other interactions are acknowledged and ignored.
 */
const id = z.string().min(1).max(limits.idLength);

const payloadSchema = z.object({
  type: z.string().max(limits.termLength),
  user: z.object({ id }),
  trigger_id: z.string().max(limits.idLength).optional(),
  response_url: z.string().max(limits.urlLength).optional(),
  actions: z
    .array(
      z.object({
        action_id: z.string().max(limits.termLength),
        value: z.string().max(2000).optional(),
      })
    )
    .max(5)
    .optional(),
  view: z
    .object({
      callback_id: z.string().max(limits.termLength).optional(),
      private_metadata: z.string().max(3000).optional(),
      state: z
        .object({
          values: z.record(
            z.string(),
            z.record(
              z.string(),
              z.object({ value: z.string().nullable().optional() })
            )
          ),
        })
        .optional(),
    })
    .optional(),
});

/**
 * The interaction a verified body carries.
 * @throws InvalidParameterValueError naming what is wrong.
 */
export function parseSlackInteraction(rawBody: string): SlackInteraction {
  const form = new URLSearchParams(rawBody);
  const text = form.get('payload');
  if (text === null) {
    throw new InvalidParameterValueError(
      'The body must be form-encoded with a payload field.'
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidParameterValueError('payload is not JSON.');
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidParameterValueError(
      `payload.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`
    );
  }
  const payload = parsed.data;
  if (payload.type === 'block_actions') {
    const action = payload.actions?.[0];
    const actionId =
      action?.action_id === SLACK_ACTIONS.approve
        ? 'approve'
        : action?.action_id === SLACK_ACTIONS.reject
          ? 'reject'
          : undefined;
    if (!action || !actionId) return { kind: 'ignored' };
    if (action.value === undefined || payload.trigger_id === undefined) {
      throw new InvalidParameterValueError(
        'payload.actions[0].value and payload.trigger_id are required.'
      );
    }
    return {
      kind: 'button',
      actionId,
      value: action.value,
      userId: payload.user.id,
      triggerId: payload.trigger_id,
      ...(payload.response_url ? { responseUrl: payload.response_url } : {}),
    };
  }
  if (
    payload.type === 'view_submission' &&
    payload.view?.callback_id === SLACK_ACTIONS.rejectModal
  ) {
    const reason =
      payload.view.state?.values[REJECT_REASON_INPUT.block]?.[
        REJECT_REASON_INPUT.action
      ]?.value ?? '';
    if (reason.trim() === '' || reason.length > limits.commentLength) {
      throw new InvalidParameterValueError(
        `The reason is required, at most ${limits.commentLength} characters.`
      );
    }
    return {
      kind: 'reject-submitted',
      privateMetadata: payload.view.private_metadata ?? '',
      userId: payload.user.id,
      reason,
    };
  }
  return { kind: 'ignored' };
}
