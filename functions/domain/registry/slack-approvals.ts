import type { IdentityStore } from '#ports/identity-store.ts';
import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import type {
  SlackAction,
  SlackActionQueue,
  SlackApi,
  SlackCredentials,
  SlackRequestMessage,
  SlackSecretSource,
  SlackStore,
} from '#ports/slack.ts';
import type { TransitionRequestStore } from '#ports/transition-request-store.ts';
import { findModelAccessById } from '../access.ts';
import {
  InvalidParameterValueError,
  PermissionDeniedError,
  RegistryError,
  ResourceDoesNotExistError,
} from '../errors.ts';
import type { RegistryEvent } from '../events.ts';
import type { Principal } from '../principal.ts';
import {
  decodeRequestRef,
  encodeRequestRef,
  refusalText,
  rejectModal,
  requestMessage,
  type SlackOutcome,
  type SlackRequestRef,
  type SlackRequestView,
  versionPageUrl,
} from '../slack/messages.ts';
import {
  SLACK_SIGNATURE_WINDOW_SECONDS,
  verifySlackSignature,
} from '../slack/signature.ts';
import {
  addressRequest,
  approvalProgress,
  approveTransitionRequest,
  type RequestDependencies,
  rejectTransitionRequest,
  settingsOf,
} from './requests.ts';

/**
 * Approvals from Slack. A request's events post its message (opened) and
 * show its outcome in place of the buttons (decided by anyone, anywhere,
 * expired or cancelled); a click reaches the registry as a signed callback,
 * is answered at once, and acts afterwards as the registry user whose
 * verified e-mail the Slack user has, through the one decide path.
 */

/** Slack as the registry's functions reach it. */
export interface SlackConnection {
  readonly secrets: SlackSecretSource;
  readonly connect: (credentials: SlackCredentials) => SlackApi;
  readonly slack: SlackStore;
}

// --- Messages, from the registry's events

export interface SlackNoticeDependencies extends SlackConnection {
  readonly requests: Pick<TransitionRequestStore, 'getRequest' | 'getSettings'>;
  /** Where the version pages are; no link without it. */
  readonly publicUrl?: string | undefined;
}

const OUTCOMES: Partial<Record<string, SlackOutcome['kind']>> = {
  TRANSITION_REQUEST_APPROVED: 'approved',
  TRANSITION_REQUEST_REJECTED: 'rejected',
  TRANSITION_REQUEST_CANCELLED: 'cancelled',
  TRANSITION_REQUEST_EXPIRED: 'expired',
};

/**
 * The Slack side of one dispatched event: a new request's message, or a
 * request's outcome on its message. Repeating it (a repeated dispatch)
 * posts nothing twice. Nothing happens while Slack is not set up or no
 * channel is chosen for the model.
 * @throws SlackApiError when Slack refused or failed (the caller logs it).
 */
export async function showEventInSlack(
  deps: SlackNoticeDependencies,
  event: RegistryEvent,
  modelName: string
): Promise<void> {
  const [type] = event.types;
  if (
    event.requestId === undefined ||
    event.version === undefined ||
    event.toStage === undefined
  ) {
    return;
  }
  const ref: SlackRequestRef = {
    modelId: event.modelId,
    version: event.version,
    requestId: event.requestId,
    toStage: event.toStage,
  };
  if (type === 'TRANSITION_REQUEST_CREATED') {
    await postRequestMessage(deps, ref, event, modelName);
    return;
  }
  const kind = OUTCOMES[type];
  if (!kind) return;
  const outcome: SlackOutcome = {
    kind,
    by: event.userId,
    at: event.timestamp,
    ...(event.comment === undefined ? {} : { comment: event.comment }),
  };
  // Slack off: nothing was posted, and nothing is recorded.
  const credentials = await deps.secrets.get();
  if (!credentials) return;
  const message = await deps.slack.saveOutcome(ref, outcome);
  if (!message?.location) return;
  await deps
    .connect(credentials)
    .updateMessage(
      message.location,
      requestMessage(await viewOf(deps, ref, modelName), outcome)
    );
}

async function postRequestMessage(
  deps: SlackNoticeDependencies,
  ref: SlackRequestRef,
  event: RegistryEvent,
  modelName: string
): Promise<void> {
  const [credentials, channels] = await Promise.all([
    deps.secrets.get(),
    deps.slack.getChannels(ref.modelId),
  ]);
  const channel = channels.model ?? channels.registry;
  if (!credentials || !channel) return;
  if (!(await deps.slack.claimMessage(ref))) return;
  const api = deps.connect(credentials);
  const view = await viewOf(deps, ref, modelName, event);
  let saved: SlackRequestMessage;
  try {
    const location = await api.postMessage(channel, requestMessage(view));
    saved = await deps.slack.saveLocation(ref, location);
  } catch (error) {
    await deps.slack.releaseMessage(ref);
    throw error;
  }
  // Decided while it was being posted: the outcome's update found no
  // message to update, so it is shown now.
  if (saved.outcome && saved.location) {
    await api.updateMessage(
      saved.location,
      requestMessage(view, saved.outcome)
    );
  }
}

/** The request as its message shows it now (approvals as committed). */
async function viewOf(
  deps: SlackNoticeDependencies,
  ref: SlackRequestRef,
  modelName: string,
  event?: RegistryEvent
): Promise<SlackRequestView> {
  const [request, settings] = await Promise.all([
    deps.requests.getRequest(ref.modelId, ref.version, ref.requestId),
    settingsOf(deps, ref.modelId),
  ]);
  const progress = approvalProgress(
    request ?? { toStage: ref.toStage },
    settings
  );
  const comment = request?.comment || event?.comment;
  return {
    ref,
    modelName,
    fromStage: request?.fromStage ?? event?.fromStage ?? 'None',
    requester: request?.creator ?? event?.requester ?? '',
    ...(comment ? { comment } : {}),
    approvalsRequired: progress.required,
    approvalsRemaining: progress.remaining,
    approvedBy: progress.approvers,
    ...(deps.publicUrl
      ? { link: versionPageUrl(deps.publicUrl, modelName, ref.version) }
      : {}),
  };
}

// --- Callbacks: verified, answered, then acted on

/** A callback as it arrived: the raw body and Slack's two headers. */
export interface SlackCallback {
  readonly rawBody: string;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

export interface SlackCallbackDependencies extends SlackConnection {
  readonly actions: SlackActionQueue;
  readonly now: () => number;
}

/**
 * Authenticates a callback before anything reads its body: Slack must be
 * set up, the signature valid and recent, and not seen before (recorded
 * with a conditional write until its window closes).
 * @returns the credentials it was verified with.
 * @throws UnauthenticatedError when any check fails.
 */
export async function verifySlackCallback(
  deps: SlackCallbackDependencies,
  callback: SlackCallback
): Promise<SlackCredentials> {
  const credentials = await deps.secrets.get();
  if (!credentials) {
    throw new PermissionDeniedError('Slack is not set up on this registry.');
  }
  const seconds = verifySlackSignature({
    signingSecret: credentials.signingSecret,
    timestamp: callback.timestamp,
    signature: callback.signature,
    rawBody: callback.rawBody,
    nowMs: deps.now(),
  });
  const fresh = await deps.slack.claimSignature(
    callback.signature ?? '',
    seconds + SLACK_SIGNATURE_WINDOW_SECONDS + 60
  );
  if (!fresh) {
    throw new ReplayedCallbackError(
      'This callback was received before: a replay is refused.'
    );
  }
  return credentials;
}

/** A signed callback seen before. */
export class ReplayedCallbackError extends RegistryError {
  readonly code = 'UNAUTHENTICATED';
  override readonly name = 'ReplayedCallbackError';
}

/** What a verified callback asks for, as the edge parsed it. */
export type SlackInteraction =
  | {
      readonly kind: 'button';
      readonly actionId: 'approve' | 'reject';
      readonly value: string;
      readonly userId: string;
      readonly triggerId: string;
      readonly responseUrl?: string | undefined;
    }
  | {
      readonly kind: 'reject-submitted';
      readonly privateMetadata: string;
      readonly userId: string;
      readonly reason: string;
    }
  | { readonly kind: 'ignored' };

/**
 * Answers a verified interaction within Slack's 3 s: an Approve click and
 * a submitted reason are queued (the work happens after the answer); a
 * Reject click opens the modal asking for the reason (its trigger lasts 3
 * seconds, so it is opened now, before any check: the check is the
 * submission's).
 */
export async function acceptSlackInteraction(
  deps: SlackCallbackDependencies,
  credentials: SlackCredentials,
  interaction: SlackInteraction
): Promise<void> {
  switch (interaction.kind) {
    case 'ignored':
      return;
    case 'button': {
      const ref = decodeRequestRef(interaction.value);
      if (interaction.actionId === 'approve') {
        await deps.actions.enqueue({
          kind: 'approve',
          ref,
          userId: interaction.userId,
          responseUrl: interaction.responseUrl,
        });
        return;
      }
      await deps.connect(credentials).openView(
        interaction.triggerId,
        rejectModal(
          ref,
          JSON.stringify({
            ref: encodeRequestRef(ref),
            url: interaction.responseUrl,
          })
        )
      );
      return;
    }
    case 'reject-submitted': {
      const { ref, responseUrl } = modalMetadata(interaction.privateMetadata);
      await deps.actions.enqueue({
        kind: 'reject',
        ref,
        userId: interaction.userId,
        comment: interaction.reason,
        responseUrl,
      });
      return;
    }
  }
}

function modalMetadata(metadata: string): {
  ref: SlackRequestRef;
  responseUrl?: string | undefined;
} {
  let parsed: { ref?: unknown; url?: unknown } | undefined;
  try {
    parsed = JSON.parse(metadata) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed?.ref !== 'string') {
    throw new InvalidParameterValueError(
      'The submission does not name a transition request.'
    );
  }
  return {
    ref: decodeRequestRef(parsed.ref),
    ...(typeof parsed.url === 'string' ? { responseUrl: parsed.url } : {}),
  };
}

export interface SlackActionDependencies
  extends RequestDependencies,
    SlackConnection {
  readonly identities: Pick<
    IdentityStore,
    'findPrincipalByName' | 'getPrincipal'
  >;
  readonly store: ModelRegistryStore;
  readonly publicUrl?: string | undefined;
}

/** What an action came to, for the log and the tests. */
export type SlackActionResult =
  | { readonly outcome: 'decided'; readonly remaining: number }
  | { readonly outcome: 'refused'; readonly reason: string }
  | { readonly outcome: 'skipped' };

/**
 * Acts on a queued click as the registry user the Slack user is: found by
 * the e-mail Slack verified (never by a display name), then decided
 * through the one decide path, which authorizes it (the level, separation
 * of duties, distinct approvers, protected stages). A refusal is told to
 * the user, ephemerally, with the reason; an approval that leaves the
 * request open shows its progress on the message. The outcome of a
 * decision reaches the message through its event.
 */
export async function performSlackAction(
  deps: SlackActionDependencies,
  action: SlackAction
): Promise<SlackActionResult> {
  const credentials = await deps.secrets.get();
  if (!credentials) return { outcome: 'skipped' };
  const api = deps.connect(credentials);
  const refuse = async (reason: string): Promise<SlackActionResult> => {
    if (action.responseUrl) {
      await api.respond(action.responseUrl, refusalText(reason));
    }
    return { outcome: 'refused', reason };
  };
  const principal = await principalOfSlackUser(deps, api, action.userId);
  if (typeof principal === 'string') return refuse(principal);
  try {
    const found = await findModelAccessById(deps.store, action.ref.modelId);
    if (!found.record) {
      throw new ResourceDoesNotExistError('The model no longer exists.');
    }
    const model = { record: found.record, rootGrants: found.rootGrants };
    const address = await addressRequest(deps.requests, model, {
      version: action.ref.version,
      stage: action.ref.toStage,
      requestId: action.ref.requestId,
    });
    if (action.kind === 'reject') {
      await rejectTransitionRequest(deps, principal, address, {
        comment: action.comment,
      });
      return { outcome: 'decided', remaining: 0 };
    }
    const { progress } = await approveTransitionRequest(
      deps,
      principal,
      address,
      { archiveExistingVersions: false }
    );
    if (progress.remaining > 0) {
      await showProgress(deps, api, action.ref, model.record.model.name);
    }
    return { outcome: 'decided', remaining: progress.remaining };
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    return refuse(
      error instanceof ResourceDoesNotExistError
        ? `the request is no longer open (${error.message})`
        : `${principal.userName}: ${error.message}`
    );
  }
}

/**
 * The registry principal of a Slack user, by the e-mail address Slack
 * verified; otherwise why there is none.
 */
async function principalOfSlackUser(
  deps: Pick<SlackActionDependencies, 'identities'>,
  api: SlackApi,
  userId: string
): Promise<Principal | string> {
  const user = await api.userInfo(userId);
  if (user.deleted || user.isBot) {
    return 'only active Slack users (not bots) can decide requests.';
  }
  if (!user.email || !user.emailConfirmed) {
    return 'your Slack account has no verified e-mail address, and the registry knows its users by e-mail.';
  }
  const found = await deps.identities.findPrincipalByName('user', user.email);
  const stored = found
    ? await deps.identities.getPrincipal(found.id)
    : undefined;
  if (!stored) {
    return `no registry user has the e-mail address ${user.email}.`;
  }
  if (stored.active === false) {
    return `the registry user ${stored.userName} is deactivated.`;
  }
  return stored;
}

/** An approval that left the request open: its message shows who so far. */
async function showProgress(
  deps: SlackActionDependencies,
  api: SlackApi,
  ref: SlackRequestRef,
  modelName: string
): Promise<void> {
  const message = await deps.slack.getMessage(ref);
  if (!message?.location || message.outcome) return;
  const view = await viewOf(deps, ref, modelName);
  await api.updateMessage(message.location, requestMessage(view));
}
