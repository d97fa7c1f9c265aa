import {
  BatchGetCommand,
  DeleteCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { SlackOutcome, SlackRequestRef } from '#domain/slack/messages.ts';
import type {
  SlackChannels,
  SlackMessageLocation,
  SlackRequestMessage,
  SlackStore,
} from '#ports/slack.ts';
import { keys } from './keys.ts';
import { getItem, type Item, type RegistryTable, writeIf } from './toolkit.ts';

/** How long a request's message is kept after it was posted (TTL). */
export const SLACK_MESSAGE_RETENTION_DAYS = 400;

/**
 * {@link SlackStore} on the registry table: channels beside the model
 * (`RM#<id>`/`#SLACK`) and registry-wide (`SLACK#registry`), a request's
 * message in its model's partition (`SLACKMSG#<request id>`, claimed with
 * a conditional put so a repeated dispatch posts nothing twice), and the
 * signatures of callbacks seen, each put on condition that it is new and
 * deleted by TTL once its window has closed.
 */
export class DynamoDBSlackStore implements SlackStore {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = { client: table.client, tableName: table.tableName };
  }

  async getChannels(modelId: string): Promise<SlackChannels> {
    const model = keys.slackModelChannel(modelId);
    const result = await this.#table.client.send(
      new BatchGetCommand({
        RequestItems: {
          [this.#table.tableName]: {
            Keys: [model, keys.slackRegistryChannel],
            ConsistentRead: true,
          },
        },
      })
    );
    let items = result.Responses?.[this.#table.tableName] ?? [];
    if (Object.keys(result.UnprocessedKeys ?? {}).length > 0) {
      // Two small items: read them one by one rather than retry the batch.
      items = (
        await Promise.all([
          getItem(this.#table, model),
          getItem(this.#table, keys.slackRegistryChannel),
        ])
      ).filter((item): item is Item => item !== undefined);
    }
    const channelOf = (key: { PK: string }) => {
      const item = items.find((candidate) => candidate.PK === key.PK);
      return typeof item?.channel === 'string' ? item.channel : undefined;
    };
    return {
      model: channelOf(model),
      registry: channelOf(keys.slackRegistryChannel),
    };
  }

  async getRegistryChannel(): Promise<string | undefined> {
    const item = await getItem(this.#table, keys.slackRegistryChannel);
    return typeof item?.channel === 'string' ? item.channel : undefined;
  }

  setModelChannel(modelId: string, channel: string | undefined) {
    return this.#setChannel(keys.slackModelChannel(modelId), channel);
  }

  setRegistryChannel(channel: string | undefined) {
    return this.#setChannel(keys.slackRegistryChannel, channel);
  }

  async #setChannel(
    key: { PK: string; SK: string },
    channel: string | undefined
  ): Promise<void> {
    if (channel === undefined) {
      await this.#table.client.send(
        new DeleteCommand({ TableName: this.#table.tableName, Key: key })
      );
      return;
    }
    await this.#table.client.send(
      new PutCommand({
        TableName: this.#table.tableName,
        Item: { ...key, entity: 'SlackChannel', channel },
      })
    );
  }

  claimMessage(ref: SlackRequestRef): Promise<boolean> {
    return writeIf(() =>
      this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: {
            ...keys.slackMessage(ref.modelId, ref.requestId),
            entity: 'SlackMessage',
            version: ref.version,
            toStage: ref.toStage,
            expiresAt:
              Math.floor(Date.now() / 1000) +
              SLACK_MESSAGE_RETENTION_DAYS * 86_400,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        })
      )
    );
  }

  async releaseMessage(ref: SlackRequestRef): Promise<void> {
    // A message already posted stays: only an unposted claim is given up.
    await writeIf(() =>
      this.#table.client.send(
        new DeleteCommand({
          TableName: this.#table.tableName,
          Key: keys.slackMessage(ref.modelId, ref.requestId),
          ConditionExpression: 'attribute_not_exists(channel)',
        })
      )
    );
  }

  async saveLocation(
    ref: SlackRequestRef,
    location: SlackMessageLocation
  ): Promise<SlackRequestMessage> {
    const result = await this.#table.client.send(
      new UpdateCommand({
        TableName: this.#table.tableName,
        Key: keys.slackMessage(ref.modelId, ref.requestId),
        UpdateExpression: 'SET channel = :channel, ts = :ts',
        ExpressionAttributeValues: {
          ':channel': location.channel,
          ':ts': location.ts,
        },
        ReturnValues: 'ALL_NEW',
      })
    );
    return messageOf(ref, result.Attributes ?? {});
  }

  async saveOutcome(
    ref: SlackRequestRef,
    outcome: SlackOutcome
  ): Promise<SlackRequestMessage | undefined> {
    let attributes: Item | undefined;
    const written = await writeIf(async () => {
      const result = await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: keys.slackMessage(ref.modelId, ref.requestId),
          UpdateExpression: 'SET outcome = :outcome',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':outcome': outcome },
          ReturnValues: 'ALL_NEW',
        })
      );
      attributes = result.Attributes;
    });
    return written && attributes ? messageOf(ref, attributes) : undefined;
  }

  async getMessage(
    ref: SlackRequestRef
  ): Promise<SlackRequestMessage | undefined> {
    const item = await getItem(
      this.#table,
      keys.slackMessage(ref.modelId, ref.requestId)
    );
    return item ? messageOf(ref, item) : undefined;
  }

  claimSignature(signature: string, expiresAt: number): Promise<boolean> {
    return writeIf(() =>
      this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: {
            ...keys.slackSignature(signature),
            entity: 'SlackSignature',
            expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        })
      )
    );
  }
}

function messageOf(ref: SlackRequestRef, item: Item): SlackRequestMessage {
  const outcome = item.outcome as SlackOutcome | undefined;
  return {
    ref,
    ...(typeof item.channel === 'string' && typeof item.ts === 'string'
      ? { location: { channel: item.channel, ts: item.ts } }
      : {}),
    ...(outcome ? { outcome } : {}),
  };
}
