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

type Context = OperationContext<RequestDependencies>;

/** The settings in force: the protected stages and approvals included. */
function settingsJson(name: string, settings: TransitionRequestSettings) {
  return {
    name,
    separation_of_duties_stages: [...settings.separationOfDutiesStages],
    request_expiry_seconds: settings.requestExpirySeconds,
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
          protectedStages: input.protected_stages,
          requiredApprovals: input.required_approvals,
        }
      )
    ),
  }),
});

/** Extension: the notifications the notifier recorded for a version. */
export const listNotificationsOperation = defineOperation({
  operation: 'listNotifications',
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
