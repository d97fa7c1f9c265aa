import type { Webhook } from '#domain/webhook.ts';
import type { WebhookPage, WebhookStore } from '#ports/webhook-store.ts';
import { compareUtf8 } from './memory-model-registry-store.ts';

/**
 * {@link WebhookStore} in memory, with the DynamoDB adapter's semantics
 * (checked by the shared store contract suite): webhooks by id, listed in
 * id order, a model's by its id.
 */
export class MemoryWebhookStore implements WebhookStore {
  readonly #webhooks = new Map<string, Webhook>();

  async create(webhook: Webhook): Promise<void> {
    if (this.#webhooks.has(webhook.id)) {
      throw new Error(`ConditionalCheckFailed: webhook ${webhook.id} exists.`);
    }
    this.#webhooks.set(webhook.id, structuredClone(webhook));
  }

  async get(id: string): Promise<Webhook | undefined> {
    const webhook = this.#webhooks.get(id);
    return webhook ? structuredClone(webhook) : undefined;
  }

  async put(webhook: Webhook): Promise<boolean> {
    if (!this.#webhooks.has(webhook.id)) return false;
    this.#webhooks.set(webhook.id, structuredClone(webhook));
    return true;
  }

  async delete(id: string): Promise<boolean> {
    return this.#webhooks.delete(id);
  }

  async deleteOfModel(modelId: string): Promise<void> {
    for (const [id, webhook] of this.#webhooks) {
      if (webhook.modelId === modelId) this.#webhooks.delete(id);
    }
  }

  async listSubscribers(modelId: string): Promise<readonly Webhook[]> {
    return [...this.#webhooks.values()]
      .filter(
        (webhook) =>
          webhook.modelId === undefined || webhook.modelId === modelId
      )
      .map((webhook) => structuredClone(webhook));
  }

  async list(options: {
    modelId?: string | undefined;
    afterId?: string | undefined;
    limit: number;
  }): Promise<WebhookPage> {
    const after = options.afterId;
    const matching = [...this.#webhooks.values()]
      .filter(
        (webhook) =>
          (options.modelId === undefined ||
            webhook.modelId === options.modelId) &&
          (after === undefined || compareUtf8(webhook.id, after) > 0)
      )
      .sort((a, b) => compareUtf8(a.id, b.id));
    const webhooks = matching
      .slice(0, options.limit)
      .map((webhook) => structuredClone(webhook));
    return {
      webhooks,
      more: matching.length > options.limit,
      lastId: webhooks.at(-1)?.id,
    };
  }

  /** Every stored webhook's id, for assertions on what is kept. */
  ids(): string[] {
    return [...this.#webhooks.keys()].sort(compareUtf8);
  }
}
