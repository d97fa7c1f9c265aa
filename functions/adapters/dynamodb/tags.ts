import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import type { RegistryEvent } from '#domain/events.ts';
import { limits } from '#domain/limits.ts';
import { byKey, type Tag } from '#domain/registered-model.ts';
import { outboxPuts } from './outbox-store.ts';
import {
  type Item,
  itemAtFailure,
  type RegistryTable,
  translateWriteError,
  writeIf,
} from './toolkit.ts';

/** Tags are a map on their model's or version's item, key → value. */
export function tagMap(tags: readonly Tag[]): Record<string, string> {
  return Object.fromEntries(tags.map((tag) => [tag.key, tag.value]));
}

export function tagsFrom(value: unknown): Tag[] {
  const map = (value ?? {}) as Record<string, string>;
  return Object.entries(map)
    .map(([key, tagValue]) => ({ key, value: String(tagValue) }))
    .sort(byKey((tag) => tag.key));
}

/**
 * Sets one tag on an existing item.
 * @throws ResourceDoesNotExistError when the item is gone.
 * @throws InvalidParameterValueError when a new key would pass the limit.
 */
export async function setTag(
  table: RegistryTable,
  key: Item,
  tagKey: string,
  value: string,
  events?: readonly RegistryEvent[]
): Promise<void> {
  const update = {
    TableName: table.tableName,
    Key: key,
    UpdateExpression: 'SET tags.#key = :value',
    // Replacing a tag never hits the limit; adding one may.
    ConditionExpression:
      'attribute_exists(PK) AND (attribute_exists(tags.#key) OR size(tags) < :max)',
    ExpressionAttributeNames: { '#key': tagKey },
    ExpressionAttributeValues: {
      ':value': value,
      ':max': limits.tagsPerEntity,
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
  const announced = outboxPuts(table.tableName, events);
  try {
    if (announced.length > 0) {
      await table.client.send(
        new TransactWriteCommand({
          TransactItems: [{ Update: update }, ...announced],
        })
      );
    } else {
      await table.client.send(new UpdateCommand(update));
    }
  } catch (error) {
    throw translateWriteError(error, {
      0: () =>
        itemAtFailure(error, 0)
          ? new InvalidParameterValueError(
              `At most ${limits.tagsPerEntity} tags are allowed.`
            )
          : new ResourceDoesNotExistError('The resource no longer exists.'),
    });
  }
}

/** @returns false when there was no such tag. */
export function deleteTag(
  table: RegistryTable,
  key: Item,
  tagKey: string
): Promise<boolean> {
  return writeIf(() =>
    table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: key,
        UpdateExpression: 'REMOVE tags.#key',
        ConditionExpression: 'attribute_exists(tags.#key)',
        ExpressionAttributeNames: { '#key': tagKey },
      })
    )
  );
}
