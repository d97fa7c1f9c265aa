import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import { getStringFromEnv } from '../config.ts';
import { needEnvironment } from '../needs.ts';
import { tracer } from '../powertools.ts';
import type { RegistryTable } from '../resources.ts';

/**
 * The registry table: the function's one DynamoDB client, traced, with
 * the document client over it. The endpoint comes from the SDK's own
 * settings (`AWS_ENDPOINT_URL_DYNAMODB` locally).
 * @throws Error when `REGISTRY_TABLE_NAME` is not set.
 */
export function registryTableFromEnv(): RegistryTable {
  return {
    client: createDocumentClient(
      tracer.captureAWSv3Client(new DynamoDBClient({}))
    ),
    tableName: getStringFromEnv(needEnvironment.table),
  };
}
