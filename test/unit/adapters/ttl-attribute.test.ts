import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import { DynamoDBTransitionRequestStore } from '#adapters/dynamodb/transition-request-store.ts';
import type { TransitionRequest } from '#domain/transition-request.ts';
import { registryTable } from '#infra/table-definition.ts';

/**
 * The table's TTL attribute holds epoch seconds: DynamoDB deletes an item
 * once that time has passed. An item writer that put milliseconds there
 * would make an item immortal (or, worse, one with a real expiry in
 * seconds would be compared with milliseconds elsewhere).
 */

const TABLE_NAME = 'registry';
const T0 = 1_700_000_000_000;
/** Epoch seconds stay below this until the year 5138; milliseconds never do. */
const LARGEST_SECONDS = 1e11;

const request: TransitionRequest = {
  id: 'a'.repeat(32),
  modelId: 'f'.repeat(32),
  version: 1,
  toStage: 'Staging',
  fromStage: 'None',
  creator: 'bob@example.com',
  comment: 'please',
  status: 'OPEN',
  creationTimestamp: T0,
  lastUpdatedTimestamp: T0,
  expiresAt: T0 + 7 * 24 * 3600 * 1000,
};

describe('DynamoDBTransitionRequestStore', () => {
  let dynamodb: ReturnType<typeof mockClient>;
  let store: DynamoDBTransitionRequestStore;

  beforeAll(() => {
    dynamodb = mockClient(DynamoDBDocumentClient);
    store = new DynamoDBTransitionRequestStore({
      client: createDocumentClient(
        new DynamoDBClient({
          region: 'eu-west-1',
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        })
      ),
      tableName: TABLE_NAME,
    });
  });

  afterEach(() => {
    dynamodb.reset();
  });

  afterAll(() => {
    dynamodb.restore();
  });

  describe('createRequest', () => {
    it('keeps the request (and its expiry in milliseconds) out of the TTL attribute', async () => {
      // Prepare
      dynamodb.on(TransactWriteCommand).resolves({});

      // Act
      await store.createRequest(request, {
        id: 'b'.repeat(32),
        modelId: request.modelId,
        version: 1,
        activityType: 'REQUESTED_TRANSITION',
        fromStage: 'None',
        toStage: 'Staging',
        userId: request.creator,
        creationTimestamp: T0,
        lastUpdatedTimestamp: T0,
      });

      // Assess
      const items = (
        dynamodb.commandCalls(TransactWriteCommand)[0]?.args[0].input
          .TransactItems ?? []
      ).flatMap((item) => (item.Put ? [item.Put.Item ?? {}] : []));
      const requestItem = items.find(
        (item) => item.entity === 'TransitionRequest'
      );
      expect(requestItem).toMatchObject({
        decisionDeadline: request.expiresAt,
      });
      for (const item of items) {
        const ttl = item[registryTable.timeToLiveAttribute];
        if (ttl !== undefined) expect(ttl).toBeLessThan(LARGEST_SECONDS);
      }
      expect(requestItem).not.toHaveProperty(registryTable.timeToLiveAttribute);
    });
  });

  describe('listPendingRequests', () => {
    it('reads the expiry back, also from items written before it moved out of the TTL attribute', async () => {
      // Prepare
      const { expiresAt: _, ...stored } = request;
      dynamodb.on(QueryCommand).resolves({
        Items: [
          { ...stored, decisionDeadline: request.expiresAt },
          { ...stored, id: 'c'.repeat(32), expiresAt: request.expiresAt },
        ],
      });

      // Act
      const pending = await store.listPendingRequests();

      // Assess
      expect(pending.map((found) => found.expiresAt)).toEqual([
        request.expiresAt,
        request.expiresAt,
      ]);
    });
  });
});
