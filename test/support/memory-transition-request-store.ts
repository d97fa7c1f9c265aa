import type { Activity } from '#domain/activity.ts';
import {
  ConcurrentModificationError,
  InvalidStateError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  StaleRequestError,
} from '#domain/errors.ts';
import type { RegistryEvent } from '#domain/events.ts';
import type { StagePolicy } from '#domain/stage-policy.ts';
import type {
  TransitionRequest,
  TransitionRequestSettings,
} from '#domain/transition-request.ts';
import {
  isPending,
  type LifecycleEvent,
  requireStep,
  statusesLeavingBy,
} from '#domain/transition-request-lifecycle.ts';
import type {
  LifecycleChange,
  OpenRequestsPage,
  StoredSettings,
  TransitionRequestStore,
} from '#ports/transition-request-store.ts';
import type { MemoryModelRegistryStore } from './memory-model-registry-store.ts';

function requestKey(modelId: string, version: number, id: string): string {
  return `${modelId}#${version}#${id}`;
}

/** As the DynamoDB adapter positions a request in its pending index. */
function pendingPosition(request: TransitionRequest): string {
  return `${String(request.creationTimestamp).padStart(15, '0')}#${request.id}`;
}

function lockKey(request: TransitionRequest): string {
  return `${request.modelId}#${request.version}#${request.toStage}#${request.creator}`;
}

/**
 * {@link TransitionRequestStore} in memory, with the DynamoDB adapter's
 * semantics (checked by the shared store contract suite). Requests and
 * settings live in their model's partition there, so
 * they are gone with the model; activities and comments are written into
 * the model store's activities, where `listActivities` reads them, and
 * events into the model store's outbox.
 */
export class MemoryTransitionRequestStore implements TransitionRequestStore {
  readonly #models: MemoryModelRegistryStore;
  readonly #requests = new Map<string, TransitionRequest>();
  /** Open-request locks: lock key → request id. */
  readonly #locks = new Map<string, string>();
  readonly #commentIds = new Set<string>();
  readonly #settings = new Map<string, Partial<TransitionRequestSettings>>();
  #registryPolicy: Partial<StagePolicy> = {};

  constructor(models: MemoryModelRegistryStore) {
    this.#models = models;
  }

  async #modelExists(modelId: string): Promise<boolean> {
    return (await this.#models.getModelRecordById(modelId)) !== undefined;
  }

  async #stored(
    modelId: string,
    version: number,
    id: string
  ): Promise<TransitionRequest | undefined> {
    if (!(await this.#modelExists(modelId))) return undefined;
    return this.#requests.get(requestKey(modelId, version, id));
  }

  async createRequest(
    request: TransitionRequest,
    activity: Activity,
    events?: readonly RegistryEvent[]
  ): Promise<void> {
    const lock = lockKey(request);
    if (this.#locks.has(lock)) {
      throw new ResourceAlreadyExistsError(
        `${request.creator} already has an open request to move version ${request.version} to ${request.toStage}.`
      );
    }
    const version = await this.#models.getVersion(
      request.modelId,
      request.version
    );
    const key = requestKey(request.modelId, request.version, request.id);
    if (
      version?.currentStage !== request.fromStage ||
      this.#requests.has(key) ||
      this.#models.activityItems.has(activity)
    ) {
      throw new ConcurrentModificationError(
        `Version ${request.version} changed stage.`
      );
    }
    this.#models.outbox.append(events);
    this.#locks.set(lock, request.id);
    this.#requests.set(key, structuredClone(request));
    this.#models.activityItems.put(activity);
  }

  async getRequest(
    modelId: string,
    version: number,
    requestId: string
  ): Promise<TransitionRequest | undefined> {
    const stored = await this.#stored(modelId, version, requestId);
    return stored ? structuredClone(stored) : undefined;
  }

  async findRequestById(
    requestId: string
  ): Promise<TransitionRequest | undefined> {
    const found = [...this.#requests.values()].find((r) => r.id === requestId);
    return found
      ? this.getRequest(found.modelId, found.version, found.id)
      : undefined;
  }

  async listOpenRequests(
    modelId: string,
    version?: number
  ): Promise<readonly TransitionRequest[]> {
    if (!(await this.#modelExists(modelId))) return [];
    return [...this.#requests.values()]
      .filter(
        (r) =>
          r.modelId === modelId &&
          (version === undefined || r.version === version) &&
          r.status === 'OPEN'
      )
      .sort(
        (a, b) =>
          a.creationTimestamp - b.creationTimestamp ||
          a.version - b.version ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
      )
      .map((r) => structuredClone(r));
  }

  async listOpenRequestsNewestFirst(query: {
    after?: string | undefined;
    limit: number;
  }): Promise<OpenRequestsPage> {
    const open: { request: TransitionRequest; position: string }[] = [];
    for (const request of this.#requests.values()) {
      const position = pendingPosition(request);
      if (
        request.status === 'OPEN' &&
        (query.after === undefined || position < query.after) &&
        (await this.#modelExists(request.modelId))
      ) {
        open.push({ request: structuredClone(request), position });
      }
    }
    open.sort((a, b) =>
      a.position < b.position ? 1 : a.position > b.position ? -1 : 0
    );
    return {
      requests: open.slice(0, query.limit),
      exhausted: open.length <= query.limit,
    };
  }

  async listPendingRequests(): Promise<readonly TransitionRequest[]> {
    const pending: TransitionRequest[] = [];
    for (const request of this.#requests.values()) {
      if (
        isPending(request.status) &&
        (await this.#modelExists(request.modelId))
      ) {
        pending.push(structuredClone(request));
      }
    }
    return pending;
  }

  async commit(
    request: TransitionRequest,
    event: LifecycleEvent,
    change: LifecycleChange
  ): Promise<void> {
    const step = requireStep(request, event);
    const key = requestKey(request.modelId, request.version, request.id);
    const stored = await this.#stored(
      request.modelId,
      request.version,
      request.id
    );
    if (
      stored?.status !== request.status ||
      (change.approval &&
        (stored.approvals?.length ?? 0) !== (request.approvals?.length ?? 0)) ||
      (change.activity && this.#models.activityItems.has(change.activity))
    ) {
      throw new InvalidStateError(
        `Transition request ${request.id} is no longer ${request.status.toLowerCase()}: another call changed it first.`
      );
    }
    if (step.requiresFromStage) {
      const version = await this.#models.getVersion(
        request.modelId,
        request.version
      );
      if (version?.currentStage !== request.fromStage) {
        throw new StaleRequestError(
          `Version ${request.version} is no longer in ${request.fromStage}, where transition request ${request.id} was made from.`
        );
      }
    }
    this.#models.outbox.append(change.events);
    this.#requests.set(key, {
      ...stored,
      status: step.to,
      lastUpdatedTimestamp: change.at,
      ...(change.decision
        ? { decision: structuredClone(change.decision) }
        : {}),
      ...(change.approval
        ? {
            approvals: [
              ...(stored.approvals ?? []),
              { by: change.approval.by, at: change.approval.at },
            ],
          }
        : {}),
    });
    if (step.to !== 'OPEN') this.#locks.delete(lockKey(request));
    if (change.activity) this.#models.activityItems.put(change.activity);
  }

  async recordExecution(
    request: TransitionRequest,
    executionArn: string
  ): Promise<boolean> {
    return this.#updateIn(request, 'start', { executionArn });
  }

  async setTaskToken(
    request: TransitionRequest,
    taskToken: string
  ): Promise<boolean> {
    return this.#updateIn(request, 'wait', { taskToken });
  }

  async #updateIn(
    request: TransitionRequest,
    event: LifecycleEvent,
    fields: Partial<TransitionRequest>
  ): Promise<boolean> {
    const stored = await this.#stored(
      request.modelId,
      request.version,
      request.id
    );
    if (!stored || !statusesLeavingBy(event).includes(stored.status)) {
      return false;
    }
    this.#requests.set(
      requestKey(request.modelId, request.version, request.id),
      { ...stored, ...fields }
    );
    return true;
  }

  async putComment(
    activity: Activity,
    events?: readonly RegistryEvent[]
  ): Promise<void> {
    if (this.#commentIds.has(activity.id)) {
      throw new Error(`ConditionalCheckFailed: comment ${activity.id} exists.`);
    }
    this.#models.outbox.append(events);
    this.#commentIds.add(activity.id);
    this.#models.activityItems.put(activity);
  }

  async findCommentById(commentId: string): Promise<Activity | undefined> {
    if (!this.#commentIds.has(commentId)) return undefined;
    return this.#models.activityItems.find(commentId);
  }

  async updateComment(
    activity: Activity,
    comment: string,
    now: number
  ): Promise<void> {
    const replaced = this.#models.activityItems.replace({
      ...activity,
      comment,
      lastUpdatedTimestamp: now,
    });
    if (!replaced) {
      throw new ResourceDoesNotExistError(`Comment ${activity.id} not found.`);
    }
  }

  async deleteComment(activity: Activity): Promise<void> {
    this.#models.activityItems.delete(activity);
  }

  async #modelSettings(
    modelId: string
  ): Promise<Partial<TransitionRequestSettings>> {
    if (!(await this.#modelExists(modelId))) return {};
    return structuredClone(this.#settings.get(modelId) ?? {});
  }

  async getSettings(modelId: string): Promise<StoredSettings> {
    return {
      model: await this.#modelSettings(modelId),
      registry: structuredClone(this.#registryPolicy),
    };
  }

  async getSettingsOfModels(modelIds: readonly string[]): Promise<{
    models: ReadonlyMap<string, Partial<TransitionRequestSettings>>;
    registry: Partial<StagePolicy>;
  }> {
    const models = new Map<string, Partial<TransitionRequestSettings>>();
    for (const id of modelIds) models.set(id, await this.#modelSettings(id));
    return { models, registry: structuredClone(this.#registryPolicy) };
  }

  async setSettings(
    modelId: string,
    settings: Partial<TransitionRequestSettings>
  ): Promise<void> {
    this.#settings.set(modelId, {
      ...(await this.#modelSettings(modelId)),
      ...structuredClone(settings),
    });
  }

  async getRegistryPolicy(): Promise<Partial<StagePolicy>> {
    return structuredClone(this.#registryPolicy);
  }

  async setRegistryPolicy(policy: StagePolicy): Promise<void> {
    this.#registryPolicy = {
      protectedStages: [...policy.protectedStages],
      requiredApprovals: policy.requiredApprovals,
    };
  }

  async recordReminder(
    request: TransitionRequest,
    at: number,
    events: readonly RegistryEvent[]
  ): Promise<boolean> {
    const stored = await this.#stored(
      request.modelId,
      request.version,
      request.id
    );
    if (stored?.status !== 'OPEN' || stored.reminderSentAt !== undefined) {
      return false;
    }
    this.#models.outbox.append(events);
    this.#requests.set(
      requestKey(request.modelId, request.version, request.id),
      { ...stored, reminderSentAt: at }
    );
    return true;
  }
}
