import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Document client with the marshalling the adapters rely on: optional
 * fields that are `undefined` are dropped instead of failing the write.
 */
export function createDocumentClient(
  client: DynamoDBClient
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
