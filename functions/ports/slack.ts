import type {
  SlackMessage,
  SlackOutcome,
  SlackRequestRef,
  SlackView,
} from '#domain/slack/messages.ts';

/**
 * The registry's Slack app: its bot token and signing secret (Secrets
 * Manager on AWS, a 0600 file in the data directory locally), and the
 * Web API's base URL (Slack's own unless a stand-in is configured).
 * Never returned by the API, never logged.
 */
export interface SlackCredentials {
  readonly botToken: string;
  readonly signingSecret: string;
  /** @default https://slack.com/api */
  readonly apiUrl: string;
}

/** Where the credentials are kept; `undefined` while Slack is not set up. */
export interface SlackSecretSource {
  get(): Promise<SlackCredentials | undefined>;
}

/** A Slack user as `users.info` describes them. */
export interface SlackUser {
  readonly id: string;
  readonly email?: string | undefined;
  /** Slack's `is_email_confirmed`: the address was verified by Slack. */
  readonly emailConfirmed: boolean;
  readonly deleted: boolean;
  readonly isBot: boolean;
}

/** Where a posted message is, to update it. */
export interface SlackMessageLocation {
  readonly channel: string;
  readonly ts: string;
}

/**
 * The Slack Web API calls the registry makes, with the bot token.
 * @throws SlackApiError when Slack answers `ok: false` or fails.
 */
export interface SlackApi {
  postMessage(
    channel: string,
    message: SlackMessage
  ): Promise<SlackMessageLocation>;
  updateMessage(
    location: SlackMessageLocation,
    message: SlackMessage
  ): Promise<void>;
  userInfo(userId: string): Promise<SlackUser>;
  openView(triggerId: string, view: SlackView): Promise<void>;
  /** An ephemeral answer to the user who clicked (`response_url`). */
  respond(responseUrl: string, text: string): Promise<void>;
}

export class SlackApiError extends Error {
  override readonly name = 'SlackApiError';
  /** Slack's `error` (`channel_not_found`, …) or the HTTP failure. */
  readonly slackError: string;

  constructor(method: string, slackError: string) {
    super(`Slack ${method} failed: ${slackError}`);
    this.slackError = slackError;
  }
}

/** Where a request's message was posted, and how the request ended. */
export interface SlackRequestMessage {
  readonly ref: SlackRequestRef;
  /** Absent while it is being posted. */
  readonly location?: SlackMessageLocation | undefined;
  readonly outcome?: SlackOutcome | undefined;
}

/** The channels Slack notices go to: a model's own, or the registry's. */
export interface SlackChannels {
  readonly model?: string | undefined;
  readonly registry?: string | undefined;
}

/**
 * What the registry keeps for Slack (in the registry table): channels, the
 * message of each request, and the signatures seen (the replay guard).
 */
export interface SlackStore {
  /** The model's and the registry's channels, in one read. */
  getChannels(modelId: string): Promise<SlackChannels>;
  getRegistryChannel(): Promise<string | undefined>;
  /** Sets (or, with `undefined`, clears) a model's channel. */
  setModelChannel(modelId: string, channel: string | undefined): Promise<void>;
  /** Sets (or clears) the registry-wide channel. */
  setRegistryChannel(channel: string | undefined): Promise<void>;
  /**
   * Claims the posting of a request's message: false when it was already
   * claimed (posted, or being posted by a repeated dispatch).
   */
  claimMessage(ref: SlackRequestRef): Promise<boolean>;
  /** Gives up a claim whose post failed, so a later dispatch may post. */
  releaseMessage(ref: SlackRequestRef): Promise<void>;
  /**
   * Records where the message was posted.
   * @returns the message as stored (with an outcome recorded meanwhile).
   */
  saveLocation(
    ref: SlackRequestRef,
    location: SlackMessageLocation
  ): Promise<SlackRequestMessage>;
  /**
   * Records a request's outcome on its message, when it has one.
   * @returns the message as stored, or undefined when none was posted.
   */
  saveOutcome(
    ref: SlackRequestRef,
    outcome: SlackOutcome
  ): Promise<SlackRequestMessage | undefined>;
  getMessage(ref: SlackRequestRef): Promise<SlackRequestMessage | undefined>;
  /**
   * Records a callback's signature until `expiresAt` (epoch seconds).
   * @returns false when it was recorded before: a replay.
   */
  claimSignature(signature: string, expiresAt: number): Promise<boolean>;
}

/** A click (or a submitted modal) to act on after the callback answered. */
export interface SlackAction {
  readonly kind: 'approve' | 'reject';
  readonly ref: SlackRequestRef;
  readonly userId: string;
  /** The reject modal's reason. */
  readonly comment?: string | undefined;
  /** Where to answer the user ephemerally (Slack's `response_url`). */
  readonly responseUrl?: string | undefined;
}

/**
 * Runs actions after the callback's answer (Slack waits 3 s at most): an
 * asynchronous Lambda invocation, in-process locally.
 */
export interface SlackActionQueue {
  /** Resolves once the action is accepted, not when it ran. */
  enqueue(action: SlackAction): Promise<void>;
}
