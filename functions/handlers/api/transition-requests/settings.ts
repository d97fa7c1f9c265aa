import { z } from 'zod';
import { recipientJson } from '#domain/events.ts';
import { parseVersionNumber } from '#domain/model-version.ts';
import {
  type RequestDependencies,
  setTransitionRequestSettings,
  settingsOf,
} from '#domain/registry/requests.ts';
import type { TransitionRequestSettings } from '#domain/transition-request.ts';
import { checked } from '#http/access-guard.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import {
  recipientSchema,
  stageSchema,
  webhookEventSchema,
} from '#http/wire.ts';
import type { OutboxStore } from '#ports/outbox-store.ts';

export const settingsSchema = z
  .object({
    name: z.string(),
    separation_of_duties_stages: z.array(stageSchema).meta({
      description:
        'Stages whose requests their creator may not decide (default: Production).',
    }),
    request_expiry_seconds: z.number().int(),
    reminder_after_seconds: z.number().int().meta({
      description: 'How long a request stays open before a reminder.',
    }),
    protected_stages: z.array(stageSchema).meta({
      description:
        "Stages in force (the registry's and the model's): entered only through an approved request.",
    }),
    required_approvals: z.number().int().meta({
      description: 'Approvals from distinct approvers a request needs.',
    }),
  })
  .meta({ id: 'TransitionRequestSettings' });

const notificationSchema = z
  .object({
    id: z.string(),
    event: webhookEventSchema,
    events: z.array(webhookEventSchema),
    request_id: z.string().optional(),
    version: z.string(),
    recipients: z.array(recipientSchema),
    text: z.string(),
    creation_timestamp: z.number().int(),
  })
  .meta({ id: 'Notification' });

type Context = OperationContext<RequestDependencies>;

/** The settings in force: the protected stages and approvals included. */
function settingsJson(name: string, settings: TransitionRequestSettings) {
  return {
    name,
    separation_of_duties_stages: [...settings.separationOfDutiesStages],
    request_expiry_seconds: settings.requestExpirySeconds,
    reminder_after_seconds: settings.reminderAfterSeconds,
    protected_stages: [...settings.protectedStages],
    required_approvals: settings.requiredApprovals,
  };
}

/** Extension: a model's transition-request settings. */
export const getTransitionRequestSettingsOperation = defineOperation({
  operation: 'getTransitionRequestSettings',
  summary: "Get a model's transition-request settings (extension)",
  output: z.object({ settings: settingsSchema }),
  input: z.object({ name: fields.string() }),
  run: async (_input, { deps, access }: Context) => {
    const { record } = checked(access, 'model');
    return {
      settings: settingsJson(
        record.model.name,
        await settingsOf(deps, record.model.id)
      ),
    };
  },
});

/**
 * Extension (Can Manage): separation of duties per stage, request expiry,
 * and protected stages and approvals on top of the registry's policy.
 */
export const setTransitionRequestSettingsOperation = defineOperation({
  operation: 'setTransitionRequestSettings',
  summary: "Change a model's transition-request settings (extension)",
  output: z.object({ settings: settingsSchema }),
  input: z.object({
    name: fields.string(),
    separation_of_duties_stages: fields.stringList().optional(),
    request_expiry_seconds: fields.int64().optional(),
    reminder_after_seconds: fields.int64().optional(),
    protected_stages: fields.stringList().optional(),
    required_approvals: fields.int64().optional(),
  }),
  run: async (input, { deps, access }: Context) => ({
    settings: settingsJson(
      input.name,
      await setTransitionRequestSettings(
        deps,
        checked(access, 'model').record,
        {
          separationOfDutiesStages: input.separation_of_duties_stages,
          requestExpirySeconds: input.request_expiry_seconds,
          reminderAfterSeconds: input.reminder_after_seconds,
          protectedStages: input.protected_stages,
          requiredApprovals: input.required_approvals,
        }
      )
    ),
  }),
});

/** Where the notification listing reads a version's events. */
export interface NotificationDependencies {
  readonly outbox: Pick<OutboxStore, 'listVersionEvents'>;
}

/**
 * Extension: a version's notices to people, oldest first: the events with
 * recipients (a request made, decided, expired, a reminder), as the outbox
 * holds them (dispatched ones for 30 days).
 */
export const listNotificationsOperation = defineOperation({
  operation: 'listNotifications',
  summary: 'List the notifications recorded for a model version (extension)',
  output: z.object({ notifications: z.array(notificationSchema) }),
  input: z.object({
    name: fields.string(),
    version: z.union([z.string(), z.number()]),
  }),
  run: async (
    input,
    { deps, access }: OperationContext<NotificationDependencies>
  ) => {
    const { record } = checked(access, 'model');
    const events = await deps.outbox.listVersionEvents(
      record.model.id,
      parseVersionNumber(input.version)
    );
    return {
      notifications: events
        .filter((event) => event.recipients !== undefined)
        .map((event) => ({
          id: event.id,
          event: event.types[0],
          events: [...event.types],
          ...(event.requestId === undefined
            ? {}
            : { request_id: event.requestId }),
          version: String(event.version),
          recipients: (event.recipients ?? []).map(recipientJson),
          text: event.text,
          creation_timestamp: event.timestamp,
        })),
    };
  },
});
