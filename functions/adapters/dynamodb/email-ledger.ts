import {
  DeleteCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { EmailLedger } from '#ports/email-ledger.ts';
import { keys } from './keys.ts';
import { getItem, type RegistryTable, writeIf } from './toolkit.ts';

const ENTITY = 'Email';

/**
 * {@link EmailLedger} on the registry table: one item per mail
 * (`EMAIL#<mail id>`/`#EMAIL`) with `sent` and `usedAt`, each written
 * under a condition on the other's absence or its own, and removed by the
 * table's TTL (`expiresAt`, epoch seconds) once its links have expired.
 */
export class DynamoDBEmailLedger implements EmailLedger {
  readonly #table: RegistryTable;

  constructor(table: RegistryTable) {
    this.#table = table;
  }

  claimSend(mailId: string, keepUntil: number): Promise<boolean> {
    return writeIf(() =>
      this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: {
            ...keys.email(mailId),
            entity: ENTITY,
            sent: true,
            expiresAt: Math.ceil(keepUntil / 1000),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        })
      )
    );
  }

  async releaseSend(mailId: string): Promise<void> {
    // Only a claim nobody used: a used mail was sent.
    await writeIf(() =>
      this.#table.client.send(
        new DeleteCommand({
          TableName: this.#table.tableName,
          Key: keys.email(mailId),
          ConditionExpression: 'attribute_not_exists(usedAt)',
        })
      )
    );
  }

  async getUse(mailId: string): Promise<{ usedAt: number } | undefined> {
    const item = await getItem(this.#table, keys.email(mailId));
    return typeof item?.usedAt === 'number'
      ? { usedAt: item.usedAt }
      : undefined;
  }

  markUsed(mailId: string, at: number, keepUntil: number): Promise<boolean> {
    // An upsert: a link is ours by its signature, whether or not the
    // ledger still has its mail's claim.
    return writeIf(() =>
      this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: keys.email(mailId),
          UpdateExpression:
            'SET usedAt = :at, entity = :entity, expiresAt = if_not_exists(expiresAt, :expires)',
          ConditionExpression: 'attribute_not_exists(usedAt)',
          ExpressionAttributeValues: {
            ':at': at,
            ':entity': ENTITY,
            ':expires': Math.ceil(keepUntil / 1000),
          },
        })
      )
    );
  }

  async releaseUse(mailId: string, at: number): Promise<void> {
    // Only this use: a later one (after a release) stays.
    await writeIf(() =>
      this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: keys.email(mailId),
          UpdateExpression: 'REMOVE usedAt',
          ConditionExpression: 'usedAt = :at',
          ExpressionAttributeValues: { ':at': at },
        })
      )
    );
  }
}
