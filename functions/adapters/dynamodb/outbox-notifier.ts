import { randomBytes } from 'node:crypto';
import type { TransitionRequest } from '#domain/transition-request.ts';
import type { Notifier } from '#ports/notifier.ts';
import type { TransitionRequestStore } from '#ports/transition-request-store.ts';

/**
 * {@link Notifier} that records each notification in the table's outbox
 * (listed by `GET /api/2.0/stagegate/notifications/list`), in the shape of
 * Databricks' webhook payload text.
 */
export class OutboxNotifier implements Notifier {
  readonly #requests: TransitionRequestStore;
  readonly #now: () => number;

  constructor(options: {
    requests: TransitionRequestStore;
    now?: () => number;
  }) {
    this.#requests = options.requests;
    this.#now = options.now ?? (() => Date.now());
  }

  async transitionRequested(
    request: TransitionRequest,
    modelName: string
  ): Promise<void> {
    await this.#requests.recordNotification({
      id: randomBytes(16).toString('hex'),
      modelId: request.modelId,
      version: request.version,
      requestId: request.id,
      event: 'TRANSITION_REQUEST_CREATED',
      text: `${request.creator} requested a transition of registered model '${modelName}' version ${request.version} from ${request.fromStage} to ${request.toStage}.`,
      creationTimestamp: this.#now(),
    });
  }
}
