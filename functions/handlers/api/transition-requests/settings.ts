import { z } from 'zod';
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
import { stageSchema } from '#http/wire.ts';

export const settingsSchema = z
  .object({
    name: z.string(),
    separation_of_duties_stages: z.array(stageSchema).meta({
      description:
        'Stages whose requests their creator may not decide (default: Production).',
    }),
    request_expiry_seconds: z.number().int(),
  })
  .meta({ id: 'TransitionRequestSettings' });

const notificationSchema = z
  .object({
    id: z.string(),
    event: z.string(),
    request_id: z.string(),
    version: z.string(),
    text: z.string(),
    creation_timestamp: z.number().int(),
  })
  .meta({ id: 'Notification' });

type Context = OperationContext<RequestDependencies>;

function settingsJson(name: string, settings: TransitionRequestSettings) {
  return {
    name,
    separation_of_duties_stages: [...settings.separationOfDutiesStages],
    request_expiry_seconds: settings.requestExpirySeconds,
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

/** Extension (Can Manage): separation of duties per stage, request expiry. */
export const setTransitionRequestSettingsOperation = defineOperation({
  operation: 'setTransitionRequestSettings',
  summary: "Change a model's transition-request settings (extension)",
  output: z.object({ settings: settingsSchema }),
  input: z.object({
    name: fields.string(),
    separation_of_duties_stages: fields.stringList().optional(),
    request_expiry_seconds: fields.int64().optional(),
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
        }
      )
    ),
  }),
});

/** Extension: the notifications the notifier recorded for a version. */
export const listNotificationsOperation = defineOperation({
  operation: 'listNotifications',
  summary: 'List the notifications recorded for a model version (extension)',
  output: z.object({ notifications: z.array(notificationSchema) }),
  input: z.object({
    name: fields.string(),
    version: z.union([z.string(), z.number()]),
  }),
  run: async (input, { deps, access }: Context) => {
    const { record } = checked(access, 'model');
    const notifications = await deps.requests.listNotifications(
      record.model.id,
      parseVersionNumber(input.version)
    );
    return {
      notifications: notifications.map((n) => ({
        id: n.id,
        event: n.event,
        request_id: n.requestId,
        version: String(n.version),
        text: n.text,
        creation_timestamp: n.creationTimestamp,
      })),
    };
  },
});
