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

const modelSlackSettingsSchema = z.object({
  name: z.string(),
  channel: z
    .string()
    .optional()
    .describe("The model's own channel, set by its managers."),
  registry_channel: z
    .string()
    .optional()
    .describe('The registry-wide channel, set by admins.'),
  effective_channel: z
    .string()
    .optional()
    .describe(
      "Where the model's requests are posted: its own, else the registry's."
    ),
});

const registrySlackSettingsSchema = z.object({
  channel: z.string().optional(),
});

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
  summary: "Get a model's Slack channel (extension)",
  output: z.object({ settings: modelSlackSettingsSchema }),
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
  summary: "Set or clear a model's Slack channel (extension, Can Manage)",
  output: z.object({ settings: modelSlackSettingsSchema }),
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
  summary: 'Get the registry-wide Slack channel (extension)',
  output: z.object({ settings: registrySlackSettingsSchema }),
  input: z.object({}),
  run: async (_input, { deps }: Context) => {
    const registry = await deps.slack.getRegistryChannel();
    return { settings: registry ? { channel: registry } : {} };
  },
});

/** Extension (admins): sets or clears the registry-wide Slack channel. */
export const updateRegistrySlackSettingsOperation = defineOperation({
  operation: 'updateRegistrySlackSettings',
  summary: 'Set or clear the registry-wide Slack channel (extension, admins)',
  output: z.object({ settings: registrySlackSettingsSchema }),
  input: z.object({ channel: fields.string() }),
  run: async (input, { deps }: Context) => {
    const channel = validateSlackChannel(input.channel);
    await deps.slack.setRegistryChannel(channel);
    return { settings: channel ? { channel } : {} };
  },
});
