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
import type { OutboxStore } from '#ports/outbox-store.ts';

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
