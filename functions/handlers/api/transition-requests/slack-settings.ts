import { z } from 'zod';
import { validateSlackChannel } from '#domain/slack/settings.ts';
import { checked } from '#http/access-guard.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import type { SlackChannels, SlackStore } from '#ports/slack.ts';

/** What the Slack settings routes use: the channels, never the secret. */
export interface SlackSettingsDependencies {
  readonly slack: Pick<
    SlackStore,
    | 'getChannels'
    | 'getRegistryChannel'
    | 'setModelChannel'
    | 'setRegistryChannel'
  >;
}

type Context = OperationContext<SlackSettingsDependencies>;

/** Where a model's Slack messages go, and why. */
function slackSettingsJson(name: string, channels: SlackChannels) {
  const effective = channels.model ?? channels.registry;
  return {
    name,
    ...(channels.model ? { channel: channels.model } : {}),
    ...(channels.registry ? { registry_channel: channels.registry } : {}),
    ...(effective ? { effective_channel: effective } : {}),
  };
}

/** Extension: a model's Slack channel, and the registry's it falls back to. */
export const getSlackSettingsOperation = defineOperation({
  operation: 'getSlackSettings',
  input: z.object({ name: fields.string() }),
  run: async (_input, { deps, access }: Context) => {
    const { record } = checked(access, 'model');
    return {
      settings: slackSettingsJson(
        record.model.name,
        await deps.slack.getChannels(record.model.id)
      ),
    };
  },
});

/** Extension (the model's managers): the model's own Slack channel. */
export const updateSlackSettingsOperation = defineOperation({
  operation: 'updateSlackSettings',
  input: z.object({ name: fields.string(), channel: fields.string() }),
  run: async (input, { deps, access }: Context) => {
    const { record } = checked(access, 'model');
    await deps.slack.setModelChannel(
      record.model.id,
      validateSlackChannel(input.channel)
    );
    return {
      settings: slackSettingsJson(
        record.model.name,
        await deps.slack.getChannels(record.model.id)
      ),
    };
  },
});

/** Extension: the registry-wide Slack channel (every model without one). */
export const getRegistrySlackSettingsOperation = defineOperation({
  operation: 'getRegistrySlackSettings',
  input: z.object({}),
  run: async (_input, { deps }: Context) => {
    const registry = await deps.slack.getRegistryChannel();
    return { settings: registry ? { channel: registry } : {} };
  },
});

/** Extension (admins): sets or clears the registry-wide Slack channel. */
export const updateRegistrySlackSettingsOperation = defineOperation({
  operation: 'updateRegistrySlackSettings',
  input: z.object({ channel: fields.string() }),
  run: async (input, { deps }: Context) => {
    const channel = validateSlackChannel(input.channel);
    await deps.slack.setRegistryChannel(channel);
    return { settings: channel ? { channel } : {} };
  },
});
