import type {
  SlackMessage,
  SlackOutcome,
  SlackRequestRef,
  SlackView,
} from '#domain/slack/messages.ts';
import {
  type SlackApi,
  SlackApiError,
  type SlackChannels,
  type SlackCredentials,
  type SlackMessageLocation,
  type SlackRequestMessage,
  type SlackSecretSource,
  type SlackStore,
  type SlackUser,
} from '#ports/slack.ts';

/** {@link SlackStore} in memory, with the DynamoDB adapter's conditions. */
export class MemorySlackStore implements SlackStore {
  readonly modelChannels = new Map<string, string>();
  registryChannel: string | undefined;
  readonly messages = new Map<string, SlackRequestMessage>();
  readonly signatures = new Map<string, number>();

  async getChannels(modelId: string): Promise<SlackChannels> {
    return {
      model: this.modelChannels.get(modelId),
      registry: this.registryChannel,
    };
  }

  async getRegistryChannel(): Promise<string | undefined> {
    return this.registryChannel;
  }

  async setModelChannel(modelId: string, channel: string | undefined) {
    if (channel === undefined) this.modelChannels.delete(modelId);
    else this.modelChannels.set(modelId, channel);
  }

  async setRegistryChannel(channel: string | undefined) {
    this.registryChannel = channel;
  }

  async claimMessage(ref: SlackRequestRef): Promise<boolean> {
    if (this.messages.has(ref.requestId)) return false;
    this.messages.set(ref.requestId, { ref });
    return true;
  }

  async releaseMessage(ref: SlackRequestRef): Promise<void> {
    if (!this.messages.get(ref.requestId)?.location) {
      this.messages.delete(ref.requestId);
    }
  }

  async saveLocation(
    ref: SlackRequestRef,
    location: SlackMessageLocation
  ): Promise<SlackRequestMessage> {
    const saved = {
      ...(this.messages.get(ref.requestId) ?? { ref }),
      location,
    };
    this.messages.set(ref.requestId, saved);
    return saved;
  }

  async saveOutcome(
    ref: SlackRequestRef,
    outcome: SlackOutcome
  ): Promise<SlackRequestMessage | undefined> {
    const message = this.messages.get(ref.requestId);
    if (!message) return undefined;
    const saved = { ...message, outcome };
    this.messages.set(ref.requestId, saved);
    return saved;
  }

  async getMessage(
    ref: SlackRequestRef
  ): Promise<SlackRequestMessage | undefined> {
    return this.messages.get(ref.requestId);
  }

  async claimSignature(signature: string, expiresAt: number) {
    if (this.signatures.has(signature)) return false;
    this.signatures.set(signature, expiresAt);
    return true;
  }
}

/** {@link SlackApi} recording its calls; `users` answer `userInfo`. */
export class RecordingSlackApi implements SlackApi {
  readonly posted: { channel: string; message: SlackMessage }[] = [];
  readonly updated: {
    location: SlackMessageLocation;
    message: SlackMessage;
  }[] = [];
  readonly views: { triggerId: string; view: SlackView }[] = [];
  readonly responses: { url: string; text: string }[] = [];
  readonly users = new Map<string, SlackUser>();
  /** Makes `postMessage` fail, as Slack does for an unknown channel. */
  failPost: string | undefined;

  async postMessage(channel: string, message: SlackMessage) {
    if (this.failPost)
      throw new SlackApiError('chat.postMessage', this.failPost);
    this.posted.push({ channel, message });
    return { channel, ts: `1.${this.posted.length}` };
  }

  async updateMessage(location: SlackMessageLocation, message: SlackMessage) {
    this.updated.push({ location, message });
  }

  async userInfo(userId: string): Promise<SlackUser> {
    const user = this.users.get(userId);
    if (!user) throw new SlackApiError('users.info', 'user_not_found');
    return user;
  }

  async openView(triggerId: string, view: SlackView) {
    this.views.push({ triggerId, view });
  }

  async respond(url: string, text: string) {
    this.responses.push({ url, text });
  }
}

/** A secret source answering fixed credentials (or none). */
export function fixedSecret(
  credentials: SlackCredentials | undefined
): SlackSecretSource {
  return { get: async () => credentials };
}
