import type { TransitionRequest } from '#domain/transition-request.ts';

/**
 * Tells approvers about a new request. This release records the
 * notification in an outbox the API lists; Slack, email and webhooks are
 * later adapters of the same port.
 */
export interface Notifier {
  transitionRequested(
    request: TransitionRequest,
    modelName: string
  ): Promise<void>;
}
