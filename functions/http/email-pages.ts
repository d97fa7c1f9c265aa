import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type {
  LinkPage,
  LinkRefusalReason,
  LinkRequestView,
} from '#domain/email/email-decisions.ts';
import { escapeHtml } from '#domain/email/email-mime.ts';
import { EMAIL_DECISION_PATH } from '#domain/email/email-notifications.ts';
import type { ErrorCode } from '#domain/errors.ts';
import { errorCodeToHttpStatus, errorResponse } from './error-mapping.ts';

/**
 * The pages behind e-mail links, as a browser gets them: small, with no
 * script, no outside resource, never framed (a hidden frame could not
 * trick an approver into a click) and never sent as a referrer (the link
 * is in the address). Callers that do not accept HTML get refusals as
 * the API's `{error_code, message}`.
 */

const REFUSAL_CODES: Record<LinkRefusalReason, ErrorCode> = {
  malformed: 'INVALID_PARAMETER_VALUE',
  invalid: 'INVALID_PARAMETER_VALUE',
  tampered: 'PERMISSION_DENIED',
  forwarded: 'PERMISSION_DENIED',
  'not-allowed': 'PERMISSION_DENIED',
  expired: 'INVALID_STATE',
  used: 'INVALID_STATE',
  closed: 'INVALID_STATE',
};

const TITLES: Record<LinkRefusalReason, string> = {
  malformed: 'Not an approval link',
  invalid: 'Not accepted',
  tampered: 'This link was changed',
  forwarded: 'This link is not yours',
  'not-allowed': 'Not allowed',
  expired: 'This link has expired',
  used: 'This link was used already',
  closed: 'This request is closed',
};

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/** Whether the caller asked for HTML (a browser does). */
export function acceptsHtml(accept: string | undefined): boolean {
  return accept?.toLowerCase().includes('text/html') ?? false;
}

/** The answer for a page: HTML, or a refusal as JSON for non-browsers. */
export function pageResponse(
  page: LinkPage,
  options: { readonly html: boolean; readonly link?: string | undefined }
): APIGatewayProxyStructuredResultV2 {
  if (page.kind === 'refused') {
    const code = REFUSAL_CODES[page.reason];
    if (!options.html) return errorResponse(code, page.message);
    return html(
      errorCodeToHttpStatus[code],
      TITLES[page.reason],
      `<p>${escapeHtml(page.message)}</p>${page.request ? describe(page.request) : ''}`
    );
  }
  if (page.kind === 'decided') {
    const verdict =
      page.decision === 'reject'
        ? 'You rejected the request.'
        : page.remaining > 0
          ? `Your approval is recorded. The request stays open until ${page.remaining} more approver${page.remaining === 1 ? '' : 's'} approve${page.remaining === 1 ? 's' : ''} it.`
          : 'You approved the request; the transition is being applied.';
    return html(
      200,
      page.decision === 'reject' ? 'Rejected' : 'Approved',
      `<p>${escapeHtml(verdict)}</p>${describe(page.request)}`
    );
  }
  const approve = page.decision === 'approve';
  const verb = approve ? 'Approve' : 'Reject';
  return html(
    200,
    `${verb} this request?`,
    `${describe(page.request)}
<form method="post" action="${EMAIL_DECISION_PATH}">
<input type="hidden" name="link" value="${escapeHtml(options.link ?? '')}">
<p><label>${approve ? 'Comment (optional)' : 'Reason'}<br><textarea name="comment" rows="3" cols="60"></textarea></label></p>
${approve ? `<p><label><input type="checkbox" name="archive_existing_versions" value="true"> Archive the versions now in ${escapeHtml(page.request.toStage)}</label></p>` : ''}
<p><button type="submit">${verb} as ${escapeHtml(page.approver)}</button></p>
</form>
<p><small>Nothing is decided until you press the button. This link works once and expires at ${escapeHtml(new Date(page.expiresAt).toISOString())}.</small></p>`
  );
}

function describe(request: LinkRequestView): string {
  const rows: [string, string][] = [
    ['Model', request.modelName],
    ['Version', String(request.version)],
    ['From', request.fromStage],
    ['To', request.toStage],
    ['Requested by', request.requester],
    ...(request.comment === ''
      ? []
      : ([['Comment', request.comment]] as [string, string][])),
  ];
  return `<table>${rows
    .map(
      ([name, value]) =>
        `<tr><th align="left">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`
    )
    .join('')}</table>`;
}

function html(
  statusCode: number,
  title: string,
  body: string
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: HEADERS,
    body: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${escapeHtml(title)} · stagegate</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}th{padding-right:1rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`,
  };
}
