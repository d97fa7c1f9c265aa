import { call, type RequestAction, type TransitionRequest } from '../api.ts';
import { field, formatTime, h } from '../dom.ts';
import { versionHref } from '../page.ts';
import { checkbox, dialogForm, openDialog, stageBadge } from '../ui.ts';

const ACTION_LABELS: Record<RequestAction, string> = {
  APPROVE_TRANSITION_REQUEST: 'Approve',
  REJECT_TRANSITION_REQUEST: 'Reject',
  CANCEL_TRANSITION_REQUEST: 'Cancel request',
};

/**
 * Open requests, each with exactly the buttons its `available_actions`
 * lists for the caller: the registry decides who may approve, reject or
 * cancel; the page never guesses.
 */
export function requestRows(
  requests: readonly TransitionRequest[],
  changed: () => void,
  showVersion: boolean
): HTMLElement {
  if (requests.length === 0) {
    return h('p', { class: 'muted' }, 'No pending requests.');
  }
  return h(
    'ul',
    { class: 'requests' },
    requests.map((request) =>
      h(
        'li',
        { class: 'request', 'data-request-id': request.id },
        h(
          'p',
          null,
          showVersion &&
            h(
              'a',
              { href: versionHref(request.name, request.version) },
              `${request.name} version ${request.version}`
            ),
          showVersion && ': ',
          h('strong', null, request.user_id),
          ' requested ',
          stageBadge(request.from_stage),
          ' → ',
          stageBadge(request.to_stage),
          ` on ${formatTime(request.creation_timestamp)}`,
          request.approvals_remaining !== undefined &&
            request.approvals_required !== undefined &&
            request.approvals_required > 1 &&
            ` (${request.approvals_remaining} of ${request.approvals_required} approvals remaining)`
        ),
        request.comment && h('blockquote', null, request.comment),
        h(
          'div',
          { class: 'actions' },
          request.available_actions.map((action) =>
            h(
              'button',
              {
                type: 'button',
                class:
                  action === 'APPROVE_TRANSITION_REQUEST'
                    ? undefined
                    : 'secondary',
                'aria-label': `${ACTION_LABELS[action]}: ${request.to_stage} for version ${request.version}`,
                onClick: () => decide(request, action, changed),
              },
              ACTION_LABELS[action]
            )
          )
        )
      )
    )
  );
}

/**
 * The last approval commits the decision; the workflow applies the
 * transition right after. Waits (bounded) until the version shows the
 * new stage, so the page re-renders with the outcome rather than a stale
 * stage. Past the bound the page shows what is there; nothing is lost.
 */
async function applied(request: TransitionRequest): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const { model_version: version } = await call<{
      model_version: { current_stage: string };
    }>('getVersion', { name: request.name, version: request.version });
    if (version.current_stage === request.to_stage) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function decide(
  request: TransitionRequest,
  action: RequestAction,
  changed: () => void
) {
  const title = `${ACTION_LABELS[action]}: ${request.name} version ${request.version} to ${request.to_stage}`;
  openDialog(title, (close) => {
    const comment = h('textarea', { name: 'comment', rows: 3 });
    const archive = checkbox(
      `Archive the other versions in ${request.to_stage}`,
      'archive_existing_versions'
    );
    const isApprove = action === 'APPROVE_TRANSITION_REQUEST';
    if (isApprove) archive.input.checked = true;
    return dialogForm(
      close,
      [isApprove && archive, field('Comment (optional)', comment)],
      ACTION_LABELS[action],
      async () => {
        const base = {
          name: request.name,
          version: request.version,
          stage: request.to_stage,
          comment: comment.value || undefined,
        };
        if (isApprove) {
          const approved = await call<{ approvals_remaining?: number }>(
            'approveRequest',
            { ...base, archive_existing_versions: archive.input.checked }
          );
          if (approved.approvals_remaining === 0) await applied(request);
        } else if (action === 'REJECT_TRANSITION_REQUEST') {
          await call('rejectRequest', base);
        } else {
          await call('cancelRequest', {
            name: request.name,
            version: request.version,
            stage: request.to_stage,
            creator: request.user_id,
            comment: comment.value || undefined,
          });
        }
        changed();
      }
    );
  });
}
