import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import {
  ConcurrentModificationError,
  RegisteredModelAlreadyExistsError,
  RequestLimitExceededError,
  ResourceAlreadyExistsError,
} from '#domain/errors.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import type { RegisteredModel } from '#domain/registered-model.ts';
import type { StoredToken } from '#ports/identity-store.ts';
import type { ModelRecord } from '#ports/model-registry-store.ts';

const TABLE_NAME = 'registry';

const mockDocumentClient = () => mockClient(DynamoDBDocumentClient);
type DocumentClientStub = ReturnType<typeof mockDocumentClient>;

function documentClient(): DynamoDBDocumentClient {
  return createDocumentClient(
    new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    })
  );
}

const model: RegisteredModel = {
  id: 'f'.repeat(32),
  name: 'fraud-detector',
  description: '',
  creationTimestamp: 1_700_000_000_000,
  lastUpdatedTimestamp: 1_700_000_000_000,
  userId: 'alice@example.com',
  tags: [],
  aliases: [],
};

const record: ModelRecord = {
  model,
  revision: 3,
  versionCounter: 2,
  grants: [],
  stages: { None: [1, 2], Staging: [], Production: [], Archived: [] },
  stageBounds: { None: { lowest: 1, highest: 2 } },
};

const version: ModelVersion = {
  modelId: model.id,
  version: 3,
  currentStage: 'None',
  description: '',
  source: 's3://artifacts/fraud-detector/3',
  runId: '',
  runLink: '',
  status: 'READY',
  statusMessage: '',
  tags: [],
  creationTimestamp: 1_700_000_001_000,
  lastUpdatedTimestamp: 1_700_000_001_000,
  userId: 'alice@example.com',
};

const token: StoredToken = {
  tokenId: 'token-1',
  tokenHash: 'a'.repeat(64),
  principalId: '42',
  comment: '',
  creationTime: 1_700_000_000_000,
  expiryTime: -1,
};

function transactionCanceled(
  reasons: { Code: string; Message?: string }[]
): TransactionCanceledException {
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: reasons,
  });
}

describe('DynamoDBModelRegistryStore', () => {
  // Created when this describe starts, so it is the stub that is installed.
  let dynamodb: DocumentClientStub;

  beforeAll(() => {
    dynamodb = mockDocumentClient();
  });

  afterEach(() => {
    dynamodb.reset();
  });

  afterAll(() => {
    dynamodb.restore();
  });

  describe('createRegisteredModel', () => {
    it('writes the name item and the model item in one conditional transaction', async () => {
      // Prepare
      dynamodb.on(TransactWriteCommand).resolves({});
      const store = new DynamoDBModelRegistryStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      await store.createRegisteredModel(model, []);

      // Assess
      const calls = dynamodb.commandCalls(TransactWriteCommand);
      expect(calls).toHaveLength(1);
      const items = calls[0]?.args[0].input.TransactItems ?? [];
      expect(items.map((item) => item.Put?.Item?.PK)).toStrictEqual([
        'RMNAME#fraud-detector',
        `RM#${model.id}`,
      ]);
      for (const item of items) {
        expect(item.Put?.TableName).toBe(TABLE_NAME);
        expect(item.Put?.ConditionExpression).toBe('attribute_not_exists(PK)');
      }
    });

    it('turns a failed condition on the name item into RegisteredModelAlreadyExistsError', async () => {
      // Prepare
      dynamodb
        .on(TransactWriteCommand)
        .rejects(
          transactionCanceled([
            { Code: 'ConditionalCheckFailed' },
            { Code: 'None' },
          ])
        );
      const store = new DynamoDBModelRegistryStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      const attempt = store.createRegisteredModel(model, []);

      // Assess
      await expect(attempt).rejects.toThrow(RegisteredModelAlreadyExistsError);
      await expect(attempt).rejects.toMatchObject({
        code: 'RESOURCE_ALREADY_EXISTS',
        message: 'Registered Model (name=fraud-detector) already exists.',
      });
    });

    it('turns a failed condition on the model item only into ConcurrentModificationError', async () => {
      // Prepare
      dynamodb
        .on(TransactWriteCommand)
        .rejects(
          transactionCanceled([
            { Code: 'None' },
            { Code: 'ConditionalCheckFailed' },
          ])
        );
      const store = new DynamoDBModelRegistryStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      const attempt = store.createRegisteredModel(model, []);

      // Assess
      await expect(attempt).rejects.toThrow(ConcurrentModificationError);
    });

    it.each([
      ['a validation error', [{ Code: 'ValidationError' }, { Code: 'None' }]],
      ['no reasons at all', []],
    ])('rethrows a cancellation for %s unchanged', async (_label, reasons) => {
      // Prepare
      const cancellation = transactionCanceled(reasons);
      dynamodb.on(TransactWriteCommand).rejects(cancellation);
      const store = new DynamoDBModelRegistryStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      const attempt = store.createRegisteredModel(model, []);

      // Assess
      await expect(attempt).rejects.toBe(cancellation);
    });

    it.each([
      [
        'a cancellation for throttling on the model item',
        transactionCanceled([{ Code: 'None' }, { Code: 'ThrottlingError' }]),
      ],
      [
        'a throughput error',
        new ProvisionedThroughputExceededException({
          message: 'Rate exceeded',
          $metadata: { httpStatusCode: 400 },
        }),
      ],
    ])('turns %s into RequestLimitExceededError', async (_label, thrown) => {
      // Prepare
      dynamodb.on(TransactWriteCommand).rejects(thrown);
      const store = new DynamoDBModelRegistryStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      const attempt = store.createRegisteredModel(model, []);

      // Assess
      await expect(attempt).rejects.toThrow(RequestLimitExceededError);
      await expect(attempt).rejects.toMatchObject({
        code: 'REQUEST_LIMIT_EXCEEDED',
        cause: thrown,
      });
    });
  });

  describe('createVersion', () => {
    it.each([
      [
        'a stale version counter',
        [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      ],
      [
        'a version item that already exists',
        [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
      ],
      [
        'a conflict with another transaction',
        [{ Code: 'TransactionConflict' }, { Code: 'None' }],
      ],
    ])(
      'turns a cancellation for %s into ConcurrentModificationError',
      async (_label, reasons) => {
        // Prepare
        dynamodb.on(TransactWriteCommand).rejects(transactionCanceled(reasons));
        const store = new DynamoDBModelRegistryStore({
          client: documentClient(),
          tableName: TABLE_NAME,
        });

        // Act
        const attempt = store.createVersion(record, version);

        // Assess
        await expect(attempt).rejects.toThrow(ConcurrentModificationError);
        await expect(attempt).rejects.toHaveProperty(
          'name',
          'ConcurrentModificationError'
        );
      }
    );

    it('conditions the counter update on the counter it read', async () => {
      // Prepare
      dynamodb.on(TransactWriteCommand).resolves({});
      const store = new DynamoDBModelRegistryStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      await store.createVersion(record, version);

      // Assess
      const items =
        dynamodb.commandCalls(TransactWriteCommand)[0]?.args[0].input
          .TransactItems ?? [];
      expect(items[0]?.Update).toMatchObject({
        ConditionExpression: 'versionCounter = :counter',
        ExpressionAttributeValues: { ':counter': 2, ':number': 3 },
      });
      expect(items[1]?.Update).toMatchObject({
        Key: { PK: `RM#${model.id}`, SK: '#STAGES' },
        ConditionExpression: 'attribute_not_exists(revision)',
      });
      expect(items[2]?.Put).toMatchObject({
        ConditionExpression: 'attribute_not_exists(PK)',
        Item: { PK: `RM#${model.id}`, SK: 'MV#0000000003' },
      });
    });

    it('marks the bounds inexact when a claimed number keeps losing its round on them', async () => {
      // Prepare: every round on the bounds finds them moved (the model item
      // comes back as raw AttributeValue JSON, as DynamoDB returns it).
      const moved = () => {
        const error = transactionCanceled([
          { Code: 'ConditionalCheckFailed' },
          { Code: 'None' },
          { Code: 'None' },
        ]);
        const reason = error.CancellationReasons?.[0];
        if (reason) {
          reason.Item = {
            versionCounter: { N: '9' },
            lowest_None: { N: '1' },
            highest_None: { N: '4' },
          };
        }
        return error;
      };
      dynamodb
        .on(TransactWriteCommand)
        .rejectsOnce(moved())
        .rejectsOnce(moved())
        .rejectsOnce(moved())
        .rejectsOnce(moved())
        .rejectsOnce(moved())
        .resolves({});
      const store = new DynamoDBModelRegistryStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      await store.createVersion(
        { ...record, versionCounter: 9 },
        { ...version, version: 7 },
        undefined,
        undefined,
        true
      );

      // Assess
      const rounds = dynamodb
        .commandCalls(TransactWriteCommand)
        .map((call) => call.args[0].input.TransactItems?.[0]?.Update);
      expect(rounds).toHaveLength(6);
      // Later rounds are conditioned on where the returned bounds stand:
      // 7 is above both the highest (4) and the lowest (1).
      expect(rounds[1]?.ConditionExpression).toBe(
        'versionCounter >= :number AND (attribute_not_exists(#hi) OR #hi < :number) AND (attribute_not_exists(#lo) OR #lo < :number)'
      );
      expect(rounds[5]).toMatchObject({
        UpdateExpression: expect.stringContaining('#exact = :inexact'),
        ConditionExpression: 'versionCounter >= :number',
        ExpressionAttributeValues: expect.objectContaining({
          ':inexact': false,
        }),
      });
      expect(rounds[5]?.UpdateExpression).not.toContain('#hi');
    });

    it('turns a cancellation for throttling into RequestLimitExceededError', async () => {
      // Prepare
      const cancellation = transactionCanceled([
        { Code: 'None' },
        { Code: 'ThrottlingError' },
      ]);
      dynamodb.on(TransactWriteCommand).rejects(cancellation);
      const store = new DynamoDBModelRegistryStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      const attempt = store.createVersion(record, version);

      // Assess
      await expect(attempt).rejects.toThrow(RequestLimitExceededError);
      await expect(attempt).rejects.toHaveProperty(
        'code',
        'REQUEST_LIMIT_EXCEEDED'
      );
    });
  });
});

describe('DynamoDBIdentityStore', () => {
  // Created when this describe starts, so it is the stub that is installed.
  let dynamodb: DocumentClientStub;

  beforeAll(() => {
    dynamodb = mockDocumentClient();
  });

  afterEach(() => {
    dynamodb.reset();
  });

  afterAll(() => {
    dynamodb.restore();
  });

  describe('createToken', () => {
    it('puts the token on condition that its hash is new', async () => {
      // Prepare
      dynamodb.on(PutCommand).resolves({});
      const store = new DynamoDBIdentityStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      await store.createToken(token);

      // Assess
      const input = dynamodb.commandCalls(PutCommand)[0]?.args[0].input;
      expect(input).toMatchObject({
        TableName: TABLE_NAME,
        ConditionExpression: 'attribute_not_exists(PK)',
        Item: { PK: `TOKEN#${token.tokenHash}`, tokenId: 'token-1' },
      });
      expect(input?.Item).not.toHaveProperty('expiresAt');
    });

    it('gives an expiring token a TTL a day after its expiry, in seconds', async () => {
      // Prepare
      dynamodb.on(PutCommand).resolves({});
      const store = new DynamoDBIdentityStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      await store.createToken({ ...token, expiryTime: 1_700_000_000_500 });

      // Assess
      expect(
        dynamodb.commandCalls(PutCommand)[0]?.args[0].input.Item
      ).toMatchObject({ expiresAt: 1_700_000_001 + 86_400 });
    });

    it('turns a failed condition into ResourceAlreadyExistsError', async () => {
      // Prepare
      dynamodb.on(PutCommand).rejects(
        new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: { httpStatusCode: 400 },
        })
      );
      const store = new DynamoDBIdentityStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      const attempt = store.createToken(token);

      // Assess
      await expect(attempt).rejects.toThrow(ResourceAlreadyExistsError);
      await expect(attempt).rejects.toMatchObject({
        code: 'RESOURCE_ALREADY_EXISTS',
        message: 'Token already exists.',
      });
    });

    it('turns a throughput error into RequestLimitExceededError', async () => {
      // Prepare
      const throttled = new ProvisionedThroughputExceededException({
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      });
      dynamodb.on(PutCommand).rejects(throttled);
      const store = new DynamoDBIdentityStore({
        client: documentClient(),
        tableName: TABLE_NAME,
      });

      // Act
      const attempt = store.createToken(token);

      // Assess
      await expect(attempt).rejects.toThrow(RequestLimitExceededError);
      await expect(attempt).rejects.toHaveProperty('cause', throttled);
    });
  });
});
