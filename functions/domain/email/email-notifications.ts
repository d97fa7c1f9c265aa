import type { EmailLedger } from '#ports/email-ledger.ts';
import type { IdentityStore } from '#ports/identity-store.ts';
import type { MailTransport } from '#ports/mail-transport.ts';
import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import type { TransitionRequestStore } from '#ports/transition-request-store.ts';
import { findModelAccessById, stageOfVersion } from '../access.ts';
import { allows } from '../authorization.ts';
import {
  type RegistryEvent,
  type RegistryEventType,
  typedEventId,
} from '../events.ts';
import type { Principal } from '../principal.ts';
import {
  approvalProgress,
  requestResource,
  settingsOf,
} from '../registry/requests.ts';
import type { TransitionRequest } from '../transition-request.ts';
import {
  type EmailLink,
  type LinkDecision,
  linkExpiry,
  signLink,
} from './email-links.ts';
import { escapeHtml, isMailAddress, renderMail } from './email-mime.ts';

/**
 * E-mail as a channel of registry events: when a request opens (and when
 * it is reminded of), each of its possible approvers gets a mail with an
 * Approve and a Reject link of their own; when it is decided, cancelled
 * or expires, its requester gets the outcome. Who may approve is asked of
 * the one `authorize`, per person, as the grants and settings are when
 * the mail goes out; the requester never gets links.
 */

/** Where the callback page of the links is served (routes.ts). */
export const EMAIL_DECISION_PATH = '/callbacks/email/decision';

/** Approvers one request mails at most (the rest still see it in the inbox). */
export const MAX_APPROVER_MAILS = 200;

/** How long the ledger keeps a sent mail past its links' expiry. */
const LEDGER_GRACE_MS = 7 * 24 * 3600 * 1000;

export interface EmailSettings {
  /** The sender address (`From`). */
  readonly from: string;
  /** The registry's public URL, where links point (no trailing slash). */
  readonly baseUrl: string;
  /** How long a link lasts at most. */
  readonly linkTtlMs: number;
}

export interface EmailNotificationDependencies {
  readonly store: Pick<ModelRegistryStore, 'getModelAccessById'>;
  readonly requests: Pick<
    TransitionRequestStore,
    'findRequestById' | 'getSettings'
  >;
  readonly identities: Pick<
    IdentityStore,
    'getPrincipal' | 'findPrincipalByName' | 'findGroupByName'
  >;
  readonly ledger: Pick<EmailLedger, 'claimSend' | 'releaseSend'>;
  readonly transport: MailTransport;
  /** The link key (Secrets Manager on AWS, a 0600 file locally). */
  readonly linkKey: () => Promise<Uint8Array>;
  readonly settings: EmailSettings;
  readonly now: () => number;
}

/** What one event's mails came to. */
export interface EmailReport {
  readonly sent: number;
  /** Mails the ledger says went out already (an event dispatched again). */
  readonly skipped: number;
  /** Mails the transport refused: to whom, and why. */
  readonly failed: readonly { readonly to: string; readonly error: string }[];
}

const OUTCOMES: Partial<
  Record<RegistryEventType, { readonly verb: string; readonly title: string }>
> = {
  TRANSITION_REQUEST_APPROVED: { verb: 'approved', title: 'Approved' },
  TRANSITION_REQUEST_REJECTED: { verb: 'rejected', title: 'Rejected' },
  TRANSITION_REQUEST_CANCELLED: { verb: 'cancelled', title: 'Cancelled' },
  TRANSITION_REQUEST_EXPIRED: { verb: 'expired', title: 'Expired' },
};

/** A composed mail and its ledger lifetime. */
interface PlannedMail {
  readonly id: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly keepUntil: number;
}

/**
 * Mails the people an event concerns, each at most once per event (the
 * ledger's claim); a mail the transport refuses is released (a later
 * dispatch of the event sends it) and reported.
 */
export async function notifyByEmail(
  deps: EmailNotificationDependencies,
  event: RegistryEvent,
  modelName: string
): Promise<EmailReport> {
  const [type] = event.types;
  const planned =
    type === 'TRANSITION_REQUEST_CREATED' ||
    type === 'TRANSITION_REQUEST_REMINDER'
      ? await approvalMails(deps, event, modelName)
      : await outcomeMails(deps, event, modelName);
  let sent = 0;
  let skipped = 0;
  const failed: { to: string; error: string }[] = [];
  for (const mail of planned) {
    if (!(await deps.ledger.claimSend(mail.id, mail.keepUntil))) {
      skipped += 1;
      continue;
    }
    try {
      await deps.transport.send(
        renderMail({
          ...mail,
          from: deps.settings.from,
          date: deps.now(),
        })
      );
      sent += 1;
    } catch (error) {
      await deps.ledger.releaseSend(mail.id);
      failed.push({ to: mail.to, error: (error as Error).message });
    }
  }
  return { sent, skipped, failed };
}

/**
 * The users who may approve the event's request now, each with an
 * address: the event's recipients (users, and the members of its groups)
 * as the directory has them, less the requester, the inactive, those
 * without an address and those `authorize` refuses.
 */
export async function emailApprovers(
  deps: Pick<
    EmailNotificationDependencies,
    'store' | 'requests' | 'identities'
  >,
  event: RegistryEvent
): Promise<
  | {
      request: TransitionRequest;
      approvers: Principal[];
      required: number;
      remaining: number;
    }
  | undefined
> {
  if (event.requestId === undefined) return undefined;
  const request = await deps.requests.findRequestById(event.requestId);
  // Decided (or closed) before its mail went out: no links to send.
  if (request?.status !== 'OPEN') return undefined;
  const access = await findModelAccessById(deps.store, request.modelId);
  if (!access.record) return undefined;
  const model = { record: access.record, rootGrants: access.rootGrants };
  const currentStage = stageOfVersion(model.record, request.version);
  if (currentStage !== request.fromStage) return undefined;
  const settings = await settingsOf(deps, request.modelId);
  const resource = requestResource({
    model,
    to: request.toStage,
    currentStage,
    settings,
    request,
  });
  const ids = new Set<string>();
  for (const recipient of event.recipients ?? []) {
    if (recipient.kind === 'user') {
      const user = await deps.identities.findPrincipalByName(
        'user',
        recipient.name
      );
      if (user) ids.add(user.id);
    } else if (recipient.kind === 'group') {
      const group = await deps.identities.findGroupByName(recipient.name);
      for (const id of group?.memberIds ?? []) ids.add(id);
    }
  }
  const approvers: Principal[] = [];
  for (const id of ids) {
    if (approvers.length >= MAX_APPROVER_MAILS) break;
    const stored = await deps.identities.getPrincipal(id);
    if (!stored || stored.active === false || stored.kind !== 'user') continue;
    const { active: _active, ...principal } = stored;
    if (
      principal.userName === request.creator ||
      !isMailAddress(principal.userName) ||
      !allows(principal, 'registry:ApproveTransitionRequest', resource)
    ) {
      continue;
    }
    approvers.push(principal);
  }
  const progress = approvalProgress(request, settings);
  return {
    request,
    approvers,
    required: progress.required,
    remaining: progress.remaining,
  };
}

async function approvalMails(
  deps: EmailNotificationDependencies,
  event: RegistryEvent,
  modelName: string
): Promise<PlannedMail[]> {
  const found = await emailApprovers(deps, event);
  if (!found || found.approvers.length === 0) return [];
  const { request } = found;
  const key = await deps.linkKey();
  const now = deps.now();
  const expiresAt = linkExpiry(now, request.expiresAt, deps.settings.linkTtlMs);
  const reminder = event.types[0] === 'TRANSITION_REQUEST_REMINDER';
  return found.approvers.map((approver) => {
    const mailId = typedEventId(event.id, 'email', approver.id);
    const url = (decision: LinkDecision) => {
      const link: EmailLink = {
        mailId,
        requestId: request.id,
        approverId: approver.id,
        decision,
        expiresAt,
      };
      return `${deps.settings.baseUrl}${EMAIL_DECISION_PATH}?link=${signLink(key, link)}`;
    };
    const approve = url('approve');
    const reject = url('reject');
    const what = `version ${request.version} of registered model '${modelName}' from ${request.fromStage} to ${request.toStage}`;
    const needed =
      found.required > 1
        ? `Approvals still needed: ${found.remaining} of ${found.required} (${request.toStage} is a protected stage).`
        : undefined;
    const expires = new Date(expiresAt).toISOString();
    const facts = [
      `${request.creator} asks to move ${what}.`,
      ...(request.comment === '' ? [] : [`Comment: ${request.comment}`]),
      ...(needed ? [needed] : []),
    ];
    const note = `These links act as you (${approver.userName}) and no one else. Opening one shows a confirmation page: nothing is decided until you confirm there. They work once and expire at ${expires}.`;
    return {
      id: mailId,
      to: approver.userName,
      keepUntil: expiresAt + LEDGER_GRACE_MS,
      subject: `${reminder ? 'Reminder: approval' : 'Approval'} requested: ${modelName} version ${request.version} to ${request.toStage}`,
      text: [
        ...facts,
        '',
        `Approve: ${approve}`,
        `Reject: ${reject}`,
        '',
        note,
        '',
      ].join('\n'),
      html: page(
        facts,
        `<p><a href="${escapeHtml(approve)}">Approve</a> &nbsp; <a href="${escapeHtml(reject)}">Reject</a></p><p><small>${escapeHtml(note)}</small></p>`
      ),
    };
  });
}

async function outcomeMails(
  deps: EmailNotificationDependencies,
  event: RegistryEvent,
  modelName: string
): Promise<PlannedMail[]> {
  const outcome = OUTCOMES[event.types[0]];
  const requester = event.requester;
  // Nobody needs telling what they did themselves (a cancel).
  if (!outcome || requester === undefined || event.userId === requester) {
    return [];
  }
  const user = await deps.identities.findPrincipalByName('user', requester);
  if (!user?.active || !isMailAddress(user.userName)) return [];
  const what = `version ${event.version ?? ''} of registered model '${modelName}' from ${event.fromStage ?? ''} to ${event.toStage ?? ''}`;
  const facts = [
    event.types[0] === 'TRANSITION_REQUEST_EXPIRED'
      ? `Your request to move ${what} expired without a decision.`
      : `${event.userId} ${outcome.verb} your request to move ${what}.`,
    ...(event.comment === undefined || event.comment === ''
      ? []
      : [`Comment: ${event.comment}`]),
  ];
  return [
    {
      id: typedEventId(event.id, 'email', user.id),
      to: user.userName,
      keepUntil: deps.now() + LEDGER_GRACE_MS,
      subject: `${outcome.title}: ${modelName} version ${event.version ?? ''} to ${event.toStage ?? ''}`,
      text: `${facts.join('\n')}\n`,
      html: page(facts, ''),
    },
  ];
}

function page(paragraphs: readonly string[], after: string): string {
  return `<!doctype html><html><body>${paragraphs
    .map((text) => `<p>${escapeHtml(text)}</p>`)
    .join('')}${after}</body></html>`;
}
