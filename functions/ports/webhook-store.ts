import type { Webhook } from '#domain/webhook.ts';

/**
 * Persistence of registry webhooks, secrets included: callers decide what
 * leaves the registry (responses never carry secrets).
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
   * Webhooks in id order after `afterId` (exclusive): those of one model
   * (`'*'` for the registry-wide ones) when `modelName` is given, else all.
   * Returns at most `limit` items and whether more may follow.
   */
  list(options: {
    modelName?: string | undefined;
    afterId?: string | undefined;
    limit: number;
  }): Promise<{ webhooks: readonly Webhook[]; more: boolean }>;
}
