import type { DeliveryQueue } from '#ports/delivery-queue.ts';
import type { DeliveryStore } from '#ports/delivery-store.ts';
import type {
  ModelRecord,
  ModelRegistryStore,
} from '#ports/model-registry-store.ts';
import type { WebhookSender } from '#ports/webhook-sender.ts';
import type { WebhookStore } from '#ports/webhook-store.ts';
import {
  findModelAccess,
  findModelAccessById,
  modelResource,
  rootGrants as rootGrantsOf,
} from '../access.ts';
import { allows, authorize } from '../authorization.ts';
import {
  InvalidParameterValueError,
  InvalidStateError,
  RegisteredModelDoesNotExistError,
  ResourceDoesNotExistError,
} from '../errors.ts';
import {
  decodePageToken,
  encodePageToken,
  validateMaxResults,
} from '../pagination.ts';
import type { Principal } from '../principal.ts';
import { validateModelName } from '../registered-model.ts';
import {
  type HttpUrlSpec,
  type JobSpec,
  testPayload,
  validateDescription,
  validateEvents,
  validateSecretLength,
  validateTarget,
  validateWebhookUrl,
  WEBHOOK_EVENTS,
  type Webhook,
  type WebhookEvent,
  type WebhookStatus,
  type WebhookView,
  webhookSignature,
} from '../webhook.ts';
import type { WebhookDelivery } from '../webhook-delivery.ts';

/**
 * Registry webhooks: create, list, update, delete and test, and each
 * webhook's delivery log with redeliver. `ACTIVE` http webhooks receive
 * the registry's events (`event-delivery.ts`); `TEST_MODE` ones only the
 * test endpoint's mock event.
 *
 * A model-specific webhook belongs to its model's id: every route checks
 * the caller against the model that id names now (so a webhook follows a
 * rename, and a new model of an old name reaches none of it), and answers
 * the model's current name. A webhook whose model is gone is gone.
 */
export interface WebhookDependencies {
  /** For the Can Manage check on a model-specific webhook's model. */
  readonly store: ModelRegistryStore;
  readonly webhooks: WebhookStore;
  readonly sender: WebhookSender;
  readonly now: () => number;
  /** 32 lowercase hex characters. */
  readonly newId: () => string;
  /**
   * `STAGEGATE_ALLOW_HTTP_WEBHOOKS=true` (the local runtime): plain http
   * and private, loopback and link-local hosts are allowed.
   */
  readonly allowPrivateUrls: boolean;
}

/** The test delivery's timeout. */
export const WEBHOOK_TEST_TIMEOUT_MS = 10_000;
export const WEBHOOK_LIST_LIMITS = {
  defaultMaxResults: 100,
  maxMaxResults: 1000,
};

export interface HttpUrlSpecInput {
  readonly url: string;
  readonly secret?: string | undefined;
  readonly authorization?: string | undefined;
  readonly enableSslVerification?: boolean | undefined;
}

export interface JobSpecInput {
  readonly jobId: string;
  readonly accessToken: string;
  readonly workspaceUrl?: string | undefined;
}

export interface CreateWebhookInput {
  readonly events: readonly string[];
  readonly modelName?: string | undefined;
  readonly description?: string | undefined;
  readonly status?: WebhookStatus | undefined;
  readonly httpUrlSpec?: HttpUrlSpecInput | undefined;
  readonly jobSpec?: JobSpecInput | undefined;
}

export interface UpdateWebhookInput {
  readonly id: string;
  readonly events?: readonly string[] | undefined;
  readonly description?: string | undefined;
  readonly status?: WebhookStatus | undefined;
  readonly httpUrlSpec?: HttpUrlSpecInput | undefined;
  readonly jobSpec?: JobSpecInput | undefined;
}

/** Registry-wide webhooks (no model): `authorize` lets admins only. */
function authorizeRegistryWide(caller: Principal): void {
  authorize(caller, 'registry:ManageWebhooks', { kind: 'webhook' });
}

/** Can Manage on the model the caller names; the model must exist. */
async function authorizeModelByName(
  deps: WebhookDependencies,
  caller: Principal,
  modelName: string
): Promise<ModelRecord> {
  const { record, rootGrants } = await findModelAccess(deps.store, modelName);
  if (!record) throw new RegisteredModelDoesNotExistError(modelName);
  authorize(caller, 'registry:ManageWebhooks', {
    kind: 'webhook',
    model: modelResource({ record, rootGrants }, modelName),
  });
  return record;
}

function notFound(id: string): ResourceDoesNotExistError {
  return new ResourceDoesNotExistError(`Webhook with id ${id} not found.`);
}

function view(webhook: Webhook, record?: ModelRecord): WebhookView {
  return record ? { ...webhook, modelName: record.model.name } : webhook;
}

/**
 * The webhook an id names, for a caller who may manage it: Can Manage on
 * the model its model id names now (the refusal names neither that model
 * nor anything else of the webhook), or an admin for a registry-wide one.
 * A webhook whose model was deleted went with it: 404, and it is removed.
 */
async function requireWebhook(
  deps: WebhookDependencies,
  caller: Principal,
  id: string
): Promise<{ webhook: Webhook; record?: ModelRecord }> {
  const webhook = await deps.webhooks.get(id);
  if (!webhook) throw notFound(id);
  if (webhook.modelId === undefined) {
    authorizeRegistryWide(caller);
    return { webhook };
  }
  const { record, rootGrants } = await findModelAccessById(
    deps.store,
    webhook.modelId
  );
  if (!record) {
    await deps.webhooks.delete(id);
    throw notFound(id);
  }
  // Named by the webhook's id: the refusal names nothing of its model.
  authorize(caller, 'registry:ManageWebhooks', {
    kind: 'webhook',
    id,
    model: modelResource({ record, rootGrants }),
  });
  return { webhook, record };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function httpUrlSpec(
  deps: WebhookDependencies,
  input: HttpUrlSpecInput,
  previous?: HttpUrlSpec
): HttpUrlSpec {
  validateWebhookUrl(input.url, deps.allowPrivateUrls);
  validateSecretLength('http_url_spec.secret', input.secret);
  validateSecretLength('http_url_spec.authorization', input.authorization);
  // An update to the same URL keeps the stored secret and authorization
  // when it leaves them out (they cannot be read back); `""` removes one.
  // A new URL never inherits them: they would be handed to another host.
  const keep = previous?.url === input.url ? previous : undefined;
  const secret = nonEmpty(input.secret ?? keep?.secret);
  const authorization = nonEmpty(input.authorization ?? keep?.authorization);
  return {
    url: input.url,
    ...(secret === undefined ? {} : { secret }),
    ...(authorization === undefined ? {} : { authorization }),
    enableSslVerification:
      input.enableSslVerification ?? keep?.enableSslVerification ?? true,
  };
}

function jobSpec(input: JobSpecInput): JobSpec {
  if (input.jobId === '' || input.accessToken === '') {
    throw new InvalidParameterValueError(
      "'job_spec' needs a non-empty 'job_id' and 'access_token'."
    );
  }
  validateSecretLength('job_spec.access_token', input.accessToken);
  // Only stored (job delivery is not implemented): checked for shape alone.
  if (input.workspaceUrl !== undefined && !URL.canParse(input.workspaceUrl)) {
    throw new InvalidParameterValueError(
      "Invalid value for parameter 'job_spec.workspace_url': not an absolute URL."
    );
  }
  return {
    jobId: input.jobId,
    accessToken: input.accessToken,
    ...(input.workspaceUrl === undefined
      ? {}
      : { workspaceUrl: input.workspaceUrl }),
  };
}

export async function createWebhook(
  deps: WebhookDependencies,
  caller: Principal,
  input: CreateWebhookInput
): Promise<WebhookView> {
  const modelName =
    input.modelName === undefined || input.modelName === ''
      ? undefined
      : validateModelName(input.modelName);
  const events = validateEvents(
    input.events,
    modelName === undefined ? 'registry' : 'model'
  );
  validateTarget(input);
  const description = validateDescription(input.description);
  const target = input.httpUrlSpec
    ? { httpUrlSpec: httpUrlSpec(deps, input.httpUrlSpec) }
    : input.jobSpec
      ? { jobSpec: jobSpec(input.jobSpec) }
      : {};
  let record: ModelRecord | undefined;
  if (modelName === undefined) authorizeRegistryWide(caller);
  else record = await authorizeModelByName(deps, caller, modelName);
  const now = deps.now();
  const webhook: Webhook = {
    id: deps.newId(),
    ...(record === undefined ? {} : { modelId: record.model.id }),
    events,
    ...(description === undefined ? {} : { description }),
    status: input.status ?? 'ACTIVE',
    ...target,
    creationTimestamp: now,
    lastUpdatedTimestamp: now,
  };
  await deps.webhooks.create(webhook);
  return view(webhook, record);
}

export async function updateWebhook(
  deps: WebhookDependencies,
  caller: Principal,
  input: UpdateWebhookInput
): Promise<WebhookView> {
  if (input.httpUrlSpec !== undefined && input.jobSpec !== undefined) {
    throw new InvalidParameterValueError(
      "At most one of 'http_url_spec' and 'job_spec' may be given."
    );
  }
  const { webhook: current, record } = await requireWebhook(
    deps,
    caller,
    input.id
  );
  const events =
    input.events === undefined
      ? current.events
      : validateEvents(
          input.events,
          current.modelId === undefined ? 'registry' : 'model'
        );
  const description =
    input.description === undefined
      ? current.description
      : validateDescription(input.description);
  // A new target replaces the other kind of target.
  const target = input.httpUrlSpec
    ? {
        httpUrlSpec: httpUrlSpec(deps, input.httpUrlSpec, current.httpUrlSpec),
      }
    : input.jobSpec
      ? { jobSpec: jobSpec(input.jobSpec) }
      : {
          ...(current.httpUrlSpec ? { httpUrlSpec: current.httpUrlSpec } : {}),
          ...(current.jobSpec ? { jobSpec: current.jobSpec } : {}),
        };
  const updated: Webhook = {
    id: current.id,
    ...(current.modelId === undefined ? {} : { modelId: current.modelId }),
    events,
    ...(description === undefined ? {} : { description }),
    status: input.status ?? current.status,
    ...target,
    creationTimestamp: current.creationTimestamp,
    lastUpdatedTimestamp: Math.max(deps.now(), current.lastUpdatedTimestamp),
  };
  if (!(await deps.webhooks.put(updated))) throw notFound(input.id);
  return view(updated, record);
}

export async function deleteWebhook(
  deps: WebhookDependencies,
  caller: Principal,
  input: { id: string }
): Promise<void> {
  await requireWebhook(deps, caller, input.id);
  if (!(await deps.webhooks.delete(input.id))) throw notFound(input.id);
}

/**
 * Webhooks in id order: one model's (Can Manage needed), or without
 * `modelName` all the caller may manage (admins: all; others: those of
 * models they can manage, never registry-wide ones). With `events`, those
 * having at least one of them. A page is never empty unless it is the
 * last, and carries a token only when another match follows.
 */
export async function listWebhooks(
  deps: WebhookDependencies,
  caller: Principal,
  input: {
    modelName?: string | undefined;
    events?: readonly string[] | undefined;
    maxResults?: number | undefined;
    pageToken?: string | undefined;
  }
): Promise<{ webhooks: WebhookView[]; nextPageToken?: string }> {
  const maxResults = validateMaxResults(input.maxResults, WEBHOOK_LIST_LIMITS);
  const modelName =
    input.modelName === undefined || input.modelName === ''
      ? undefined
      : input.modelName;
  const wanted =
    input.events && input.events.length > 0
      ? new Set(validateEvents(input.events, 'registry'))
      : undefined;
  let afterId: string | undefined;
  if (input.pageToken !== undefined && input.pageToken !== '') {
    const cursor = decodePageToken(input.pageToken);
    if (
      cursor.after === undefined ||
      (cursor.model ?? '') !== (modelName ?? '')
    ) {
      throw new InvalidParameterValueError('Invalid page token.');
    }
    afterId = cursor.after;
  }
  const model =
    modelName === undefined
      ? undefined
      : await authorizeModelByName(deps, caller, modelName);
  const manageable = manageableModels(deps, caller);

  const matches: WebhookView[] = [];
  let more = true;
  // One more match than the page holds proves a next page exists.
  while (matches.length <= maxResults && more) {
    const chunk = await deps.webhooks.list({
      modelId: model?.model.id,
      afterId,
      limit: Math.max(maxResults + 1 - matches.length, 25),
    });
    more = chunk.more;
    // Past everything read, items the store did not return included.
    afterId = chunk.lastId ?? afterId;
    const models = model
      ? new Map([[model.model.id, model]])
      : await manageable(chunk.webhooks);
    for (const webhook of chunk.webhooks) {
      if (wanted && !webhook.events.some((event) => wanted.has(event))) {
        continue;
      }
      if (webhook.modelId === undefined) {
        if (!caller.isAdmin) continue;
        matches.push(webhook);
      } else {
        const record = models.get(webhook.modelId);
        if (!record) continue;
        matches.push(view(webhook, record));
      }
      if (matches.length > maxResults) break;
    }
  }
  const page = matches.slice(0, maxResults);
  const last = page.at(-1);
  return matches.length > maxResults && last
    ? {
        webhooks: page,
        nextPageToken: encodePageToken({
          after: last.id,
          model: modelName ?? '',
        }),
      }
    : { webhooks: page };
}

/**
 * The models of a chunk of webhooks that the caller may manage, read in
 * one batch. The webhooks of models that are gone are removed on the way:
 * they went with their model.
 */
function manageableModels(
  deps: WebhookDependencies,
  caller: Principal
): (webhooks: readonly Webhook[]) => Promise<Map<string, ModelRecord>> {
  let root: ReturnType<typeof rootGrantsOf> | undefined;
  return async (webhooks) => {
    const ids = [
      ...new Set(
        webhooks.flatMap((webhook) =>
          webhook.modelId === undefined ? [] : [webhook.modelId]
        )
      ),
    ];
    if (ids.length === 0) return new Map();
    const records = await deps.store.getModelRecordsByIds(ids);
    const found = new Map(records.map((record) => [record.model.id, record]));
    for (const webhook of webhooks) {
      if (webhook.modelId !== undefined && !found.has(webhook.modelId)) {
        await deps.webhooks.delete(webhook.id);
      }
    }
    if (caller.isAdmin) return found;
    root ??= rootGrantsOf(deps.store);
    const rootGrants = await root;
    return new Map(
      [...found].filter(([, record]) =>
        allows(caller, 'registry:ManageWebhooks', {
          kind: 'webhook',
          model: modelResource({ record, rootGrants }),
        })
      )
    );
  };
}

/**
 * POSTs a mock event (Databricks' payload shape) to an http webhook, signed
 * with `X-Databricks-Signature` when it has a secret and with its
 * `Authorization` header when it has one, and answers the receiver's
 * status and body. `event` must be one of the webhook's events; without it
 * the first one is used. `DISABLED` webhooks are not tested; job webhooks
 * are not supported in this release.
 */
export async function testWebhook(
  deps: WebhookDependencies,
  caller: Principal,
  input: { id: string; event?: string | undefined }
): Promise<{ statusCode: number; body: string }> {
  const found = await requireWebhook(deps, caller, input.id);
  const webhook = view(found.webhook, found.record);
  let event: WebhookEvent | undefined = webhook.events[0];
  if (input.event !== undefined && input.event !== '') {
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(input.event)) {
      throw new InvalidParameterValueError(
        `Invalid value '${input.event.slice(0, 64)}' for parameter 'event'.`
      );
    }
    if (!webhook.events.includes(input.event as WebhookEvent)) {
      throw new InvalidParameterValueError(
        `Webhook ${webhook.id} is not registered for event '${input.event}'.`
      );
    }
    event = input.event as WebhookEvent;
  }
  const spec = webhook.httpUrlSpec;
  if (!spec) {
    throw new InvalidParameterValueError(
      'Testing job webhooks (job_spec) is not supported in this release.'
    );
  }
  if (webhook.status === 'DISABLED') {
    throw new InvalidStateError(
      `Webhook ${webhook.id} is DISABLED; set its status to ACTIVE or TEST_MODE to test it.`
    );
  }
  if (!event) {
    throw new InvalidStateError(`Webhook ${webhook.id} has no events.`);
  }
  // Checked again: the setting may have changed since the webhook was made.
  validateWebhookUrl(spec.url, deps.allowPrivateUrls);
  const body = JSON.stringify(testPayload(webhook, event, deps.now()));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
  };
  if (spec.secret !== undefined) {
    headers['x-databricks-signature'] = webhookSignature(spec.secret, body);
  }
  if (spec.authorization !== undefined) {
    headers.authorization = spec.authorization;
  }
  return deps.sender.post({
    url: spec.url,
    body,
    headers,
    verifyTls: spec.enableSslVerification,
    timeoutMs: WEBHOOK_TEST_TIMEOUT_MS,
  });
}

/** What the delivery log and redeliver need besides the webhooks. */
export interface WebhookDeliveryLogDependencies extends WebhookDependencies {
  readonly deliveries: DeliveryStore;
  readonly queue: Pick<DeliveryQueue, 'enqueue'>;
}

export const DELIVERY_LIST_LIMITS = {
  defaultMaxResults: 50,
  maxMaxResults: 500,
};

/** A delivery log position: creation time (15 digits) and delivery id. */
const DELIVERY_POSITION = /^\d{15}#[0-9a-f]{32}$/;

/**
 * A webhook's delivery log (extension), newest first: each delivery with
 * its attempts (time, response code, latency, error), its status and its
 * next attempt. For those who may manage the webhook; kept 30 days.
 */
export async function listWebhookDeliveries(
  deps: WebhookDeliveryLogDependencies,
  caller: Principal,
  input: {
    id: string;
    maxResults?: number | undefined;
    pageToken?: string | undefined;
  }
): Promise<{ deliveries: WebhookDelivery[]; nextPageToken?: string }> {
  const maxResults = validateMaxResults(input.maxResults, DELIVERY_LIST_LIMITS);
  let from: string | undefined;
  if (input.pageToken !== undefined && input.pageToken !== '') {
    const cursor = decodePageToken(input.pageToken);
    if (
      cursor.webhook !== input.id ||
      cursor.from === undefined ||
      !DELIVERY_POSITION.test(cursor.from)
    ) {
      throw new InvalidParameterValueError('Invalid page token.');
    }
    from = cursor.from;
  }
  const { webhook } = await requireWebhook(deps, caller, input.id);
  const page = await deps.deliveries.list(webhook.id, {
    limit: maxResults,
    from,
  });
  return {
    deliveries: [...page.deliveries],
    ...(page.next === undefined
      ? {}
      : {
          nextPageToken: encodePageToken({
            webhook: webhook.id,
            from: page.next,
          }),
        }),
  };
}

/**
 * Sends a logged delivery again (extension), whatever became of it: a new
 * delivery of the same message (same body, same `webhook-id`, so a
 * receiver that has it can tell), queued at once with the retry policy
 * of its own. The webhook must not be DISABLED when it goes out.
 */
export async function redeliverWebhookDelivery(
  deps: WebhookDeliveryLogDependencies,
  caller: Principal,
  input: { id: string; deliveryId: string }
): Promise<WebhookDelivery> {
  const { webhook } = await requireWebhook(deps, caller, input.id);
  const original = /^[0-9a-f]{32}$/.test(input.deliveryId)
    ? await deps.deliveries.get(webhook.id, input.deliveryId)
    : undefined;
  if (!original) {
    throw new ResourceDoesNotExistError(
      `Delivery ${input.deliveryId.slice(0, 64)} of webhook ${webhook.id} not found.`
    );
  }
  const now = deps.now();
  const delivery: WebhookDelivery = {
    id: deps.newId(),
    webhookId: webhook.id,
    messageId: original.messageId,
    eventId: original.eventId,
    eventType: original.eventType,
    modelId: original.modelId,
    body: original.body,
    status: 'PENDING',
    attempts: [],
    creationTimestamp: now,
    lastUpdatedTimestamp: now,
    redeliveryOf: original.id,
  };
  await deps.deliveries.create([delivery]);
  await deps.queue.enqueue([
    { webhookId: delivery.webhookId, deliveryId: delivery.id },
  ]);
  return delivery;
}
