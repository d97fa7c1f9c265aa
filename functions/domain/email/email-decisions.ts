import type { EmailLedger } from '#ports/email-ledger.ts';
import type { IdentityStore } from '#ports/identity-store.ts';
import { findModelAccessById } from '../access.ts';
import { authorize } from '../authorization.ts';
import {
  InvalidParameterValueError,
  InvalidStateError,
  PermissionDeniedError,
  ResourceDoesNotExistError,
  UnauthenticatedError,
} from '../errors.ts';
import { limits } from '../limits.ts';
import type { Principal } from '../principal.ts';
import {
  addressRequest,
  approveTransitionRequest,
  type RequestAddress,
  type RequestDependencies,
  rejectTransitionRequest,
  requestResource,
} from '../registry/requests.ts';
import { authenticate } from '../tokens.ts';
import type { TransitionRequest } from '../transition-request.ts';
import {
  DEFAULT_LINK_TTL_MS,
  type EmailLink,
  verifyLink,
} from './email-links.ts';

/**
 * The page behind an e-mail link. Opening it (GET) decides nothing, since
 * mail scanners open links: it checks the link and shows what confirming
 * would do. Confirming (POST) checks it again, marks the mail's links
 * used (one decision per mail, however many clicks race), and decides
 * through the same use case as the API, as the approver the link was
 * sent to: their level now, separation of duties and protected stages
 * are `authorize`'s, the request's state is the lifecycle's.
 */

export interface EmailDecisionDependencies extends RequestDependencies {
  readonly identities: IdentityStore;
  readonly ledger: Pick<EmailLedger, 'getUse' | 'markUsed' | 'releaseUse'>;
  readonly linkKey: () => Promise<Uint8Array>;
}

/** Why a link is refused; each has its own page. */
export type LinkRefusalReason =
  /** Not a link of ours: cut, or not a link at all. */
  | 'malformed'
  /** Its signature does not match: something in it was changed. */
  | 'tampered'
  | 'expired'
  /** The mail's links decided already. */
  | 'used'
  /** Credentials were sent that are not the approver's (a forwarded link). */
  | 'forwarded'
  /** The request was decided, cancelled, expired or closed meanwhile. */
  | 'closed'
  /** The approver may not decide it (any more). */
  | 'not-allowed'
  /** The comment is not acceptable. */
  | 'invalid';

/** What the request looks like on the page. */
export interface LinkRequestView {
  readonly modelName: string;
  readonly version: number;
  readonly fromStage: string;
  readonly toStage: string;
  readonly requester: string;
  readonly comment: string;
  readonly status: string;
}

export type LinkPage =
  | {
      readonly kind: 'confirm';
      readonly decision: EmailLink['decision'];
      readonly approver: string;
      readonly request: LinkRequestView;
      readonly expiresAt: number;
    }
  | {
      readonly kind: 'decided';
      readonly decision: EmailLink['decision'];
      readonly approver: string;
      readonly request: LinkRequestView;
      /** Approvals a protected stage still needs (0: approved). */
      readonly remaining: number;
    }
  | {
      readonly kind: 'refused';
      readonly reason: LinkRefusalReason;
      readonly message: string;
      readonly request?: LinkRequestView | undefined;
    };

/** What the page's request carried besides the link. */
export interface LinkCaller {
  /** A registry token sent with it (`Authorization`), if any. */
  readonly token?: string | undefined;
}

const MESSAGES: Record<LinkRefusalReason, string> = {
  malformed:
    'This is not a complete approval link. Open it again from the e-mail, or decide in the registry.',
  tampered: 'This link was changed after it was sent, so it cannot be trusted.',
  expired:
    'This link has expired. Decide in the registry, or wait for a reminder.',
  used: 'This link was used already: each approval e-mail decides once.',
  forwarded:
    'This link belongs to another person: it was sent to a different approver than the one signed in here.',
  closed: 'This request is no longer open.',
  'not-allowed': 'You may not decide this request.',
  invalid: 'The comment is not acceptable.',
};

function refused(
  reason: LinkRefusalReason,
  message: string = MESSAGES[reason],
  request?: LinkRequestView
): LinkPage {
  return { kind: 'refused', reason, message, request };
}

/** A link checked as far as reading allows, before any decision. */
type Resolved =
  | {
      readonly ok: true;
      readonly link: EmailLink;
      readonly approver: Principal;
      readonly address: RequestAddress;
      readonly request: TransitionRequest;
      readonly view: LinkRequestView;
    }
  | { readonly ok: false; readonly page: LinkPage };

async function resolve(
  deps: EmailDecisionDependencies,
  token: string,
  caller: LinkCaller
): Promise<Resolved> {
  const verified = verifyLink(await deps.linkKey(), token, deps.now());
  if (!verified.ok) return { ok: false, page: refused(verified.refusal) };
  const { link } = verified;
  if (caller.token !== undefined) {
    // Whoever is signed in must be the approver the link was sent to.
    const signedIn = await authenticate(deps, caller.token).catch(
      (error: unknown) => {
        if (error instanceof UnauthenticatedError) return undefined;
        throw error;
      }
    );
    if (signedIn?.principal.id !== link.approverId) {
      return { ok: false, page: refused('forwarded') };
    }
  }
  if (await deps.ledger.getUse(link.mailId)) {
    return { ok: false, page: refused('used') };
  }
  const request = await deps.requests.findRequestById(link.requestId);
  const access = request
    ? await findModelAccessById(deps.store, request.modelId)
    : undefined;
  if (!request || !access?.record) {
    return {
      ok: false,
      page: refused('closed', 'This request no longer exists.'),
    };
  }
  const view: LinkRequestView = {
    modelName: access.record.model.name,
    version: request.version,
    fromStage: request.fromStage,
    toStage: request.toStage,
    requester: request.creator,
    comment: request.comment,
    status: request.status,
  };
  if (request.status !== 'OPEN') {
    return {
      ok: false,
      page: refused(
        'closed',
        `This request is no longer open: it is ${request.status}.`,
        view
      ),
    };
  }
  const stored = await deps.identities.getPrincipal(link.approverId);
  if (!stored || stored.active === false) {
    return {
      ok: false,
      page: refused(
        'not-allowed',
        'The approver this link was sent to is no longer active.',
        view
      ),
    };
  }
  const { active: _active, ...approver } = stored;
  const address = await addressRequest(
    deps.requests,
    { record: access.record, rootGrants: access.rootGrants },
    {
      version: request.version,
      stage: request.toStage,
      requestId: request.id,
    }
  );
  if (!address.request) {
    return {
      ok: false,
      page: refused('closed', 'This request is no longer open.', view),
    };
  }
  return { ok: true, link, approver, address, request, view };
}

/** GET: the confirmation page, or the refusal, deciding nothing. */
export async function openEmailLink(
  deps: EmailDecisionDependencies,
  token: string,
  caller: LinkCaller = {}
): Promise<LinkPage> {
  const resolved = await resolve(deps, token, caller);
  if (!resolved.ok) return resolved.page;
  const { link, approver, address, view } = resolved;
  try {
    authorize(
      approver,
      link.decision === 'approve'
        ? 'registry:ApproveTransitionRequest'
        : 'registry:DecideTransitionRequest',
      requestResource(address)
    );
  } catch (error) {
    if (!(error instanceof PermissionDeniedError)) throw error;
    return refused('not-allowed', error.message, view);
  }
  return {
    kind: 'confirm',
    decision: link.decision,
    approver: approver.userName,
    request: view,
    expiresAt: link.expiresAt,
  };
}

/**
 * POST: decides as the link's approver, once per mail. The mail's links
 * are marked used before the decision and released when it does not
 * happen, so a refused or failed attempt leaves the link as it was.
 */
export async function useEmailLink(
  deps: EmailDecisionDependencies,
  token: string,
  caller: LinkCaller,
  input: {
    readonly comment?: string | undefined;
    readonly archiveExistingVersions?: boolean | undefined;
  }
): Promise<LinkPage> {
  if (
    input.comment !== undefined &&
    input.comment.length > limits.commentLength
  ) {
    return refused(
      'invalid',
      `The comment has ${input.comment.length} characters; at most ${limits.commentLength} are accepted.`
    );
  }
  const resolved = await resolve(deps, token, caller);
  if (!resolved.ok) return resolved.page;
  const { link, approver, address, view } = resolved;
  const at = deps.now();
  if (!(await deps.ledger.markUsed(link.mailId, at, keepUntil(link)))) {
    return refused('used');
  }
  const comment = input.comment?.trim() === '' ? undefined : input.comment;
  try {
    if (link.decision === 'approve') {
      const { progress } = await approveTransitionRequest(
        deps,
        approver,
        address,
        {
          comment,
          archiveExistingVersions: input.archiveExistingVersions ?? false,
        }
      );
      return {
        kind: 'decided',
        decision: 'approve',
        approver: approver.userName,
        request: view,
        remaining: progress.remaining,
      };
    }
    await rejectTransitionRequest(deps, approver, address, { comment });
    return {
      kind: 'decided',
      decision: 'reject',
      approver: approver.userName,
      request: view,
      remaining: 0,
    };
  } catch (error) {
    await deps.ledger.releaseUse(link.mailId, at);
    if (error instanceof PermissionDeniedError) {
      return refused('not-allowed', error.message, view);
    }
    if (
      error instanceof InvalidStateError ||
      error instanceof ResourceDoesNotExistError
    ) {
      return refused('closed', error.message, view);
    }
    if (error instanceof InvalidParameterValueError) {
      return refused('invalid', error.message, view);
    }
    throw error;
  }
}

/** The ledger keeps a use as long as the link could be presented. */
function keepUntil(link: EmailLink): number {
  return link.expiresAt + DEFAULT_LINK_TTL_MS;
}
