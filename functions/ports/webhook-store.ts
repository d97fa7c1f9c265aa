import type { Webhook } from '#domain/webhook.ts';

export interface WebhookPage {
  readonly webhooks: readonly Webhook[];
  readonly more: boolean;
  readonly lastId?: string | undefined;
}

/**
 * Persistence of registry webhooks, secrets included: callers decide what
 * leaves the registry (responses never carry secrets).
 *
 * A model-specific webhook is stored under its model's id. Nothing here
 * checks that the model exists: a webhook whose model is gone (deleted
 * while the webhook was written, or before {@link deleteOfModel} ran) may
 * remain stored, and callers treat it as gone.
 */
export interface WebhookStore {
  /** Stores a new webhook (its id must be new). */
  create(webhook: Webhook): Promise<void>;
  get(id: string): Promise<Webhook | undefined>;
  /**
   * Replaces a stored webhook (same id and model).
   * @returns false when it was deleted meanwhile.
   */
  put(webhook: Webhook): Promise<boolean>;
  /** @returns false when there was no such webhook. */
  delete(id: string): Promise<boolean>;
  /**
   * Deletes the webhooks of a model, once the model is deleted. Listings
   * may lag (see {@link list}): one written a moment before may be left.
   */
  deleteOfModel(modelId: string): Promise<void>;
  /**
   * The webhooks an event of a model may go to: the model's and the
   * registry-wide ones, whatever their status and events (the dispatcher
   * chooses). May lag a moment behind writes, as {@link list}.
   */
  listSubscribers(modelId: string): Promise<readonly Webhook[]>;
  /**
   * Webhooks in id order after `afterId` (exclusive): those of one model
   * when `modelId` is given, else all. Returns at most `limit` items,
   * whether more may follow, and the id to resume after (the last one
   * read, which items that are not webhooks yet may make differ from the
   * last one returned). May lag a moment behind writes.
   */
  list(options: {
    modelId?: string | undefined;
    afterId?: string | undefined;
    limit: number;
  }): Promise<WebhookPage>;
}
