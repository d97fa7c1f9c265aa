/**
 * Transition requests waiting for someone: a model's (`requests`) and the
 * caller's inbox across every model (`inbox`).
 */
import type { TransitionRequest } from '../client.ts';
import { UsageError } from '../errors.ts';
import type { Context } from '../main.ts';
import { versionNumber } from '../model-uri.ts';
import { cell, formatTimestamp, renderTable } from '../output.ts';
import { allPages } from './registry.ts';

/** `1 of 2` approvals given, or `-` for a shape without the extension. */
function approvalsCell(request: TransitionRequest): string {
  const required = request.approvals_required;
  const remaining = request.approvals_remaining;
  if (required === undefined || remaining === undefined) return '-';
  return `${required - remaining} of ${required}`;
}

function requestRows(requests: readonly TransitionRequest[]) {
  return requests.map((r) => [
    r.name ?? '-',
    r.version ?? '-',
    `${r.from_stage ?? '?'} → ${r.to_stage}`,
    r.user_id ?? '-',
    formatTimestamp(r.creation_timestamp),
    approvalsCell(r),
    cell(r.comment, 40),
  ]);
}

const HEADER = [
  'MODEL',
  'VERSION',
  'STAGES',
  'REQUESTED BY',
  'CREATED',
  'APPROVALS',
  'COMMENT',
];

export async function requests(context: Context): Promise<void> {
  const model = context.arg('model');
  const raw = context.optionalArg('version');
  const version = raw === undefined ? undefined : versionNumber(raw);
  if (raw !== undefined && !version) {
    throw new UsageError(
      `version must be a positive number, not '${raw}'`,
      'requests'
    );
  }
  const client = await context.client();
  const listed = await client.listTransitionRequests({ name: model, version });
  if (context.output === 'json') {
    context.printJson({ requests: listed });
    return;
  }
  if (listed.length === 0) {
    context.info(
      `no open transition requests on ${model}${version ? ` version ${version}` : ''}`
    );
    return;
  }
  context.print(renderTable(HEADER, requestRows(listed)));
}

export async function inbox(context: Context): Promise<void> {
  const client = await context.client();
  const waiting = await allPages((pageToken) =>
    client.transitionRequestInbox({ maxResults: 1000, pageToken })
  );
  if (context.output === 'json') {
    context.printJson({ requests: waiting });
    return;
  }
  if (waiting.length === 0) {
    context.info(`nothing waits for your approval on ${client.target.host}`);
    return;
  }
  context.print(renderTable(HEADER, requestRows(waiting)));
}
