import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import { getStringFromEnv } from './config.ts';

/**
 * The registry table's client and name, for a handler's composition root.
 * Endpoints come from the SDK's own settings (`AWS_ENDPOINT_URL_DYNAMODB`
 * locally), so the same handler code runs on Lambda and on the laptop.
 */
export function registryTableFromEnv(): {
  client: DynamoDBDocumentClient;
  tableName: string;
} {
  return {
    client: createDocumentClient(new DynamoDBClient({})),
    tableName: getStringFromEnv('REGISTRY_TABLE_NAME'),
  };
}
