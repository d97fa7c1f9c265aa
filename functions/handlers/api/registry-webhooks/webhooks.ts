import { z } from 'zod';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  createWebhook,
  deleteWebhook,
  listWebhookDeliveries,
  listWebhooks,
  redeliverWebhookDelivery,
  testWebhook,
  updateWebhook,
  type WebhookDeliveryLogDependencies,
  type WebhookDependencies,
} from '#domain/registry/webhooks.ts';
import { WEBHOOK_STATUSES, type WebhookView } from '#domain/webhook.ts';
import type { WebhookDelivery } from '#domain/webhook-delivery.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { emptySchema, webhookEventSchema } from '#http/wire.ts';

export const webhookSchema = z
  .object({
    id: z.string(),
    model_name: z.string().optional(),
    events: z.array(webhookEventSchema),
    description: z.string().optional(),
    status: z.enum(WEBHOOK_STATUSES),
    http_url_spec: z
      .object({ url: z.string(), enable_ssl_verification: z.boolean() })
      .optional(),
    job_spec: z
      .object({ job_id: z.string(), workspace_url: z.string().optional() })
      .optional(),
    creation_timestamp: z.number().int(),
    last_updated_timestamp: z.number().int(),
  })
  .meta({ id: 'RegistryWebhook' });

type Context = OperationContext<WebhookDependencies>;

/**
 * Databricks' `RegistryWebhook` with the `*WithoutSecret` specs: the
 * secret, the authorization header and the job's access token are stored
 * and used, never answered. `model_name` is the model's current name.
 */
export function webhookJson(
  webhook: WebhookView
): z.infer<typeof webhookSchema> {
  return {
    id: webhook.id,
    ...(webhook.modelName === undefined
      ? {}
      : { model_name: webhook.modelName }),
    events: [...webhook.events],
    ...(webhook.description === undefined
      ? {}
      : { description: webhook.description }),
    status: webhook.status,
    ...(webhook.httpUrlSpec
      ? {
          http_url_spec: {
            url: webhook.httpUrlSpec.url,
            enable_ssl_verification: webhook.httpUrlSpec.enableSslVerification,
          },
        }
      : {}),
    ...(webhook.jobSpec
      ? {
          job_spec: {
            job_id: webhook.jobSpec.jobId,
            ...(webhook.jobSpec.workspaceUrl === undefined
              ? {}
              : { workspace_url: webhook.jobSpec.workspaceUrl }),
          },
        }
      : {}),
    creation_timestamp: webhook.creationTimestamp,
    last_updated_timestamp: webhook.lastUpdatedTimestamp,
  };
}

/**
 * A secret string field. Its own check, not the shared validation's: that
 * one quotes a rejected value in its message, and a secret is never
 * echoed.
 */
function secretField(name: string) {
  return z
    .unknown()
    .transform((value) => {
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'string') {
        throw new InvalidParameterValueError(
          `Invalid value for parameter '${name}': expected a string.`
        );
      }
      return value;
    })
    .optional();
}

const httpUrlSpecInput = z
  .object({
    url: fields.string(),
    secret: secretField('http_url_spec.secret'),
    authorization: secretField('http_url_spec.authorization'),
    enable_ssl_verification: fields.boolean().optional(),
  })
  .transform((spec) => ({
    url: spec.url,
    secret: spec.secret,
    authorization: spec.authorization,
    enableSslVerification: spec.enable_ssl_verification,
  }));

const jobSpecInput = z
  .object({
    job_id: fields.string(),
    access_token: secretField('job_spec.access_token').transform(
      (value) => value ?? ''
    ),
    workspace_url: fields.optionalString(),
  })
  .transform((spec) => ({
    jobId: spec.job_id,
    accessToken: spec.access_token,
    workspaceUrl: spec.workspace_url,
  }));

const statusField = () => z.enum(WEBHOOK_STATUSES).optional();

export const createWebhookOperation = defineOperation({
  operation: 'createRegistryWebhook',
  summary: 'Create a registry webhook',
  output: z.object({ webhook: webhookSchema }),
  input: z.object({
    events: z.array(fields.string()),
    model_name: fields.optionalString(),
    description: fields.optionalString(),
    status: statusField(),
    http_url_spec: httpUrlSpecInput.optional(),
    job_spec: jobSpecInput.optional(),
  }),
  run: async (input, { deps, principal }: Context) => ({
    webhook: webhookJson(
      await createWebhook(deps, principal, {
        events: input.events,
        modelName: input.model_name,
        description: input.description,
        status: input.status,
        httpUrlSpec: input.http_url_spec,
        jobSpec: input.job_spec,
      })
    ),
  }),
});

export const listWebhooksOperation = defineOperation({
  operation: 'listRegistryWebhooks',
  summary: 'List registry webhooks',
  output: z.object({
    webhooks: z.array(webhookSchema),
    next_page_token: z.string().optional(),
  }),
  input: z.object({
    model_name: fields.optionalString(),
    events: fields.stringList().optional(),
    max_results: fields.int64().optional(),
    page_token: fields.optionalString(),
  }),
  run: async (input, { deps, principal }: Context) => {
    const { webhooks, nextPageToken } = await listWebhooks(deps, principal, {
      modelName: input.model_name,
      events: input.events,
      maxResults: input.max_results,
      pageToken: input.page_token,
    });
    return {
      webhooks: webhooks.map(webhookJson),
      ...(nextPageToken === undefined
        ? {}
        : { next_page_token: nextPageToken }),
    };
  },
});

export const updateWebhookOperation = defineOperation({
  operation: 'updateRegistryWebhook',
  summary: 'Update a registry webhook',
  output: z.object({ webhook: webhookSchema }),
  input: z.object({
    id: fields.string(),
    events: z.array(fields.string()).optional(),
    description: fields.optionalString(),
    status: statusField(),
    http_url_spec: httpUrlSpecInput.optional(),
    job_spec: jobSpecInput.optional(),
  }),
  run: async (input, { deps, principal }: Context) => ({
    webhook: webhookJson(
      await updateWebhook(deps, principal, {
        id: input.id,
        events: input.events,
        description: input.description,
        status: input.status,
        httpUrlSpec: input.http_url_spec,
        jobSpec: input.job_spec,
      })
    ),
  }),
});

export const deleteWebhookOperation = defineOperation({
  operation: 'deleteRegistryWebhook',
  summary: 'Delete a registry webhook',
  output: emptySchema,
  input: z.object({ id: fields.string() }),
  run: async (input, { deps, principal }: Context) => {
    await deleteWebhook(deps, principal, input);
    return {};
  },
});

/** `{status_code, body}` at the top level, as the SDK reads it. */
export const testWebhookOperation = defineOperation({
  operation: 'testRegistryWebhook',
  summary: 'Send a test event to a registry webhook',
  output: z.object({ status_code: z.number().int(), body: z.string() }),
  input: z.object({ id: fields.string(), event: fields.optionalString() }),
  run: async (input, { deps, principal }: Context) => {
    const { statusCode, body } = await testWebhook(deps, principal, input);
    return { status_code: statusCode, body };
  },
});

type DeliveryLogContext = OperationContext<WebhookDeliveryLogDependencies>;

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    webhook_id: z.string(),
    event: webhookEventSchema,
    event_id: z.string(),
    message_id: z.string().meta({
      description:
        'The `webhook-id` header of every attempt and redelivery of this message.',
    }),
    status: z.enum(['PENDING', 'DELIVERED', 'FAILED', 'CANCELLED']),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        timestamp: z.number().int(),
        status_code: z.number().int().optional(),
        latency_ms: z.number(),
        error: z.string().optional(),
      })
    ),
    next_attempt_timestamp: z.number().int().optional(),
    reason: z.string().optional(),
    redelivery_of: z.string().optional(),
    creation_timestamp: z.number().int(),
    last_updated_timestamp: z.number().int(),
  })
  .meta({ id: 'WebhookDelivery' });

/** A delivery as the log shows it (the body stays in the registry). */
export function deliveryJson(
  delivery: WebhookDelivery
): z.infer<typeof webhookDeliverySchema> {
  return {
    id: delivery.id,
    webhook_id: delivery.webhookId,
    event: delivery.eventType,
    event_id: delivery.eventId,
    message_id: delivery.messageId,
    status: delivery.status,
    attempts: delivery.attempts.map((attempt) => ({
      attempt: attempt.attempt,
      timestamp: attempt.at,
      ...(attempt.statusCode === undefined
        ? {}
        : { status_code: attempt.statusCode }),
      latency_ms: attempt.latencyMs,
      ...(attempt.error === undefined ? {} : { error: attempt.error }),
    })),
    ...(delivery.nextAttemptAt === undefined
      ? {}
      : { next_attempt_timestamp: delivery.nextAttemptAt }),
    ...(delivery.reason === undefined ? {} : { reason: delivery.reason }),
    ...(delivery.redeliveryOf === undefined
      ? {}
      : { redelivery_of: delivery.redeliveryOf }),
    creation_timestamp: delivery.creationTimestamp,
    last_updated_timestamp: delivery.lastUpdatedTimestamp,
  };
}

/** Extension: a webhook's delivery log, newest first, paged. */
export const listWebhookDeliveriesOperation = defineOperation({
  operation: 'listRegistryWebhookDeliveries',
  summary: "List a webhook's deliveries, newest first (extension)",
  output: z.object({
    deliveries: z.array(webhookDeliverySchema),
    next_page_token: z.string().optional(),
  }),
  input: z.object({
    id: fields.string(),
    max_results: fields.int64().optional(),
    page_token: fields.optionalString(),
  }),
  run: async (input, { deps, principal }: DeliveryLogContext) => {
    const { deliveries, nextPageToken } = await listWebhookDeliveries(
      deps,
      principal,
      {
        id: input.id,
        maxResults: input.max_results,
        pageToken: input.page_token,
      }
    );
    return {
      deliveries: deliveries.map(deliveryJson),
      ...(nextPageToken === undefined
        ? {}
        : { next_page_token: nextPageToken }),
    };
  },
});

/** Extension: sends a logged delivery again. */
export const redeliverWebhookDeliveryOperation = defineOperation({
  operation: 'redeliverRegistryWebhookDelivery',
  summary: 'Send a logged webhook delivery again (extension)',
  output: z.object({ delivery: webhookDeliverySchema }),
  input: z.object({ id: fields.string(), delivery_id: fields.string() }),
  run: async (input, { deps, principal }: DeliveryLogContext) => ({
    delivery: deliveryJson(
      await redeliverWebhookDelivery(deps, principal, {
        id: input.id,
        deliveryId: input.delivery_id,
      })
    ),
  }),
});
