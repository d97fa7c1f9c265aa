import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ThrottlingException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import {
  BATCH_ATTEMPTS,
  batchDeleteAll,
  batchGetAll,
  itemAtFailure,
  queryAll,
  queryPage,
  transactWrite,
  translateWriteError,
  writeIf,
} from '#adapters/dynamodb/toolkit.ts';
import {
  ConcurrentModificationError,
  InvalidStateError,
  RequestLimitExceededError,
  ResourceAlreadyExistsError,
} from '#domain/errors.ts';

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

function key(n: number) {
  return { PK: `RM#${n}`, SK: '#RM' };
}

function transactionCanceled(
  reasons: { Code: string; Item?: Record<string, never> }[]
): TransactionCanceledException {
  return new TransactionCanceledException({
    message: `Transaction cancelled [${reasons.map((r) => r.Code).join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: reasons,
  });
}

const conditionFailed = () =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
  });

describe('DynamoDB toolkit', () => {
  // Created when this describe starts, so it is the stub that is installed.
  let dynamodb: DocumentClientStub;

  beforeAll(() => {
    dynamodb = mockDocumentClient();
  });

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    dynamodb.reset();
    vi.useRealTimers();
  });

  afterAll(() => {
    dynamodb.restore();
  });

  describe('queryAll', () => {
    it('follows LastEvaluatedKey across pages', async () => {
      // Prepare: the paginator reuses one input object, so each call's
      // start key is recorded as it is sent.
      const startKeys: unknown[] = [];
      const pages = [
        { Items: [{ n: 1 }], LastEvaluatedKey: key(1) },
        { Items: [{ n: 2 }, { n: 3 }] },
      ];
      dynamodb.on(QueryCommand).callsFake((input) => {
        startKeys.push(input.ExclusiveStartKey);
        return pages[startKeys.length - 1];
      });

      // Act
      const items = await queryAll(documentClient(), {
        TableName: TABLE_NAME,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'RM#1' },
      });

      // Assess
      expect(items).toStrictEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(startKeys).toStrictEqual([undefined, key(1)]);
    });
  });

  describe('queryPage', () => {
    const input = {
      TableName: TABLE_NAME,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': 'RM' },
    };

    it('asks for the limit and reports an index with nothing after the page as exhausted', async () => {
      // Prepare
      dynamodb.on(QueryCommand).resolves({ Items: [{ n: 1 }, { n: 2 }] });

      // Act
      const page = await queryPage(documentClient(), input, 5);

      // Assess
      expect(page).toStrictEqual({
        items: [{ n: 1 }, { n: 2 }],
        exhausted: true,
      });
      expect(dynamodb.commandCalls(QueryCommand)[0]?.args[0].input.Limit).toBe(
        5
      );
    });

    it('continues past a page cut short by the 1 MB cap, and never returns more than the limit', async () => {
      // Prepare
      dynamodb
        .on(QueryCommand)
        .resolvesOnce({ Items: [{ n: 1 }], LastEvaluatedKey: key(1) })
        .resolvesOnce({
          Items: [{ n: 2 }, { n: 3 }, { n: 4 }],
          LastEvaluatedKey: key(4),
        });

      // Act
      const page = await queryPage(documentClient(), input, 3);

      // Assess
      expect(page).toStrictEqual({
        items: [{ n: 1 }, { n: 2 }, { n: 3 }],
        exhausted: false,
      });
      expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(2);
    });

    it('is not exhausted when it stops at the limit with a LastEvaluatedKey', async () => {
      // Prepare
      dynamodb
        .on(QueryCommand)
        .resolves({ Items: [{ n: 1 }, { n: 2 }], LastEvaluatedKey: key(2) });

      // Act
      const page = await queryPage(documentClient(), input, 2);

      // Assess
      expect(page.exhausted).toBe(false);
      expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(1);
    });

    it('reads nothing for a limit below 1', async () => {
      // Act
      const page = await queryPage(documentClient(), input, 0);

      // Assess
      expect(page).toStrictEqual({ items: [], exhausted: false });
      expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(0);
    });
  });

  describe('batchGetAll', () => {
    it('retries unprocessed keys with backoff until every key is read', async () => {
      // Prepare
      dynamodb
        .on(BatchGetCommand)
        .resolvesOnce({
          Responses: { [TABLE_NAME]: [{ n: 1 }] },
          UnprocessedKeys: {
            [TABLE_NAME]: { Keys: [key(2), key(3)], ConsistentRead: true },
          },
        })
        .resolvesOnce({
          Responses: { [TABLE_NAME]: [{ n: 2 }] },
          UnprocessedKeys: {
            [TABLE_NAME]: { Keys: [key(3)], ConsistentRead: true },
          },
        })
        .resolvesOnce({ Responses: { [TABLE_NAME]: [{ n: 3 }] } });

      // Act
      const reading = batchGetAll(
        { client: documentClient(), tableName: TABLE_NAME },
        [key(1), key(2), key(3)]
      );
      await vi.runAllTimersAsync();
      const items = await reading;

      // Assess
      expect(items).toStrictEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      const requested = dynamodb
        .commandCalls(BatchGetCommand)
        .map((call) => call.args[0].input.RequestItems?.[TABLE_NAME]);
      expect(requested).toStrictEqual([
        { Keys: [key(1), key(2), key(3)], ConsistentRead: true },
        { Keys: [key(2), key(3)], ConsistentRead: true },
        { Keys: [key(3)], ConsistentRead: true },
      ]);
    });

    it('gives up on keys still unprocessed after the last attempt with RequestLimitExceededError', async () => {
      // Prepare
      dynamodb.on(BatchGetCommand).resolves({
        Responses: { [TABLE_NAME]: [] },
        UnprocessedKeys: {
          [TABLE_NAME]: { Keys: [key(1)], ConsistentRead: true },
        },
      });

      // Act
      const reading = batchGetAll(
        { client: documentClient(), tableName: TABLE_NAME },
        [key(1)]
      );
      const outcome = expect(reading).rejects.toThrow(
        RequestLimitExceededError
      );
      await vi.runAllTimersAsync();

      // Assess
      await outcome;
      await expect(reading).rejects.toHaveProperty(
        'code',
        'REQUEST_LIMIT_EXCEEDED'
      );
      expect(dynamodb.commandCalls(BatchGetCommand)).toHaveLength(
        BATCH_ATTEMPTS
      );
    });

    it('reads 100 keys per call and a repeated key once', async () => {
      // Prepare
      dynamodb.on(BatchGetCommand).resolves({ Responses: {} });
      const keys = Array.from({ length: 150 }, (_, n) => key(n));

      // Act
      await batchGetAll({ client: documentClient(), tableName: TABLE_NAME }, [
        ...keys,
        key(0),
        { SK: '#RM', PK: 'RM#1' },
      ]);

      // Assess
      const sizes = dynamodb
        .commandCalls(BatchGetCommand)
        .map(
          (call) =>
            call.args[0].input.RequestItems?.[TABLE_NAME]?.Keys?.length ?? 0
        );
      expect(sizes).toStrictEqual([100, 50]);
    });

    it('turns a throttled call into RequestLimitExceededError', async () => {
      // Prepare
      const throttled = new ThrottlingException({
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      });
      dynamodb.on(BatchGetCommand).rejects(throttled);

      // Act
      const reading = batchGetAll(
        { client: documentClient(), tableName: TABLE_NAME },
        [key(1)]
      );

      // Assess
      await expect(reading).rejects.toThrow(RequestLimitExceededError);
      await expect(reading).rejects.toHaveProperty('cause', throttled);
    });
  });

  describe('batchDeleteAll', () => {
    it('deletes 25 keys per call and retries unprocessed deletes', async () => {
      // Prepare
      const keys = Array.from({ length: 26 }, (_, n) => key(n));
      dynamodb
        .on(BatchWriteCommand)
        .resolvesOnce({
          UnprocessedItems: {
            [TABLE_NAME]: [{ DeleteRequest: { Key: key(3) } }],
          },
        })
        .resolves({});

      // Act
      const deleting = batchDeleteAll(
        { client: documentClient(), tableName: TABLE_NAME },
        keys
      );
      await vi.runAllTimersAsync();
      await deleting;

      // Assess
      const batches = dynamodb
        .commandCalls(BatchWriteCommand)
        .map((call) => call.args[0].input.RequestItems?.[TABLE_NAME] ?? []);
      expect(batches.map((batch) => batch.length)).toStrictEqual([25, 1, 1]);
      expect(batches[1]).toStrictEqual([{ DeleteRequest: { Key: key(3) } }]);
      expect(batches[2]).toStrictEqual([{ DeleteRequest: { Key: key(25) } }]);
    });
  });

  describe('translateWriteError', () => {
    const taken = () => new ResourceAlreadyExistsError('Name taken.');
    const gone = () => new InvalidStateError('Gone.');

    it("turns a failed condition on a named item into the caller's error", () => {
      // Act
      const error = translateWriteError(
        transactionCanceled([
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed' },
        ]),
        { 1: taken }
      );

      // Assess
      expect(error).toBeInstanceOf(ResourceAlreadyExistsError);
      expect(error).toHaveProperty('code', 'RESOURCE_ALREADY_EXISTS');
    });

    it('names the lowest failed item that has an error, past unnamed ones', () => {
      // Act
      const error = translateWriteError(
        transactionCanceled([
          { Code: 'ConditionalCheckFailed' },
          { Code: 'ConditionalCheckFailed' },
          { Code: 'ConditionalCheckFailed' },
        ]),
        { 1: gone, 2: taken }
      );

      // Assess
      expect(error).toBeInstanceOf(InvalidStateError);
    });

    it('reads a single conditional write as item 0', () => {
      // Act
      const error = translateWriteError(conditionFailed(), { 0: taken });

      // Assess
      expect(error).toBeInstanceOf(ResourceAlreadyExistsError);
    });

    it.each([
      [
        'a failed condition on an unnamed item',
        transactionCanceled([
          { Code: 'ConditionalCheckFailed' },
          { Code: 'None' },
        ]),
      ],
      [
        'a conflict with another transaction',
        transactionCanceled([
          { Code: 'None' },
          { Code: 'TransactionConflict' },
        ]),
      ],
      [
        'a conflict outside a transaction',
        new TransactionConflictException({
          message: 'Transaction is ongoing for the item',
          $metadata: { httpStatusCode: 400 },
        }),
      ],
      ['an unnamed single conditional write', conditionFailed()],
    ])('turns %s into ConcurrentModificationError', (_label, thrown) => {
      // Act
      const error = translateWriteError(thrown, { 1: taken });

      // Assess
      expect(error).toBeInstanceOf(ConcurrentModificationError);
      expect(error).toHaveProperty('cause', thrown);
    });

    it('prefers a failed condition over throttling in the same cancellation', () => {
      // Act
      const error = translateWriteError(
        transactionCanceled([
          { Code: 'ThrottlingError' },
          { Code: 'ConditionalCheckFailed' },
        ])
      );

      // Assess
      expect(error).toBeInstanceOf(ConcurrentModificationError);
    });

    it.each([
      [
        'a cancellation for throttling',
        transactionCanceled([{ Code: 'None' }, { Code: 'ThrottlingError' }]),
      ],
      [
        'a cancellation for exceeded throughput',
        transactionCanceled([{ Code: 'ProvisionedThroughputExceeded' }]),
      ],
      [
        'a ThrottlingException',
        new ThrottlingException({
          message: 'Rate exceeded',
          $metadata: { httpStatusCode: 400 },
        }),
      ],
    ])('turns %s into RequestLimitExceededError', (_label, thrown) => {
      // Act
      const error = translateWriteError(thrown);

      // Assess
      expect(error).toBeInstanceOf(RequestLimitExceededError);
      expect(error).toHaveProperty('code', 'REQUEST_LIMIT_EXCEEDED');
    });

    it.each([
      [
        'a validation error',
        transactionCanceled([{ Code: 'ValidationError' }]),
      ],
      ['an unrelated error', new Error('socket hang up')],
    ])('leaves %s unchanged', (_label, thrown) => {
      // Act
      const error = translateWriteError(thrown, { 0: taken });

      // Assess
      expect(error).toBe(thrown);
    });
  });

  describe('transactWrite', () => {
    it('sends the items in one transaction and translates its failure', async () => {
      // Prepare
      dynamodb
        .on(TransactWriteCommand)
        .rejects(transactionCanceled([{ Code: 'ConditionalCheckFailed' }]));
      const items = [
        {
          ConditionCheck: {
            TableName: TABLE_NAME,
            Key: key(1),
            ConditionExpression: 'attribute_exists(PK)',
          },
        },
      ];

      // Act
      const writing = transactWrite(documentClient(), items, {
        0: () => new InvalidStateError('Gone.'),
      });

      // Assess
      await expect(writing).rejects.toThrow(InvalidStateError);
      expect(
        dynamodb.commandCalls(TransactWriteCommand)[0]?.args[0].input
      ).toStrictEqual({ TransactItems: items });
    });
  });

  describe('writeIf', () => {
    const update = (client: DynamoDBDocumentClient) => () =>
      client.send(
        new UpdateCommand({
          TableName: TABLE_NAME,
          Key: key(1),
          UpdateExpression: 'SET n = :n',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':n': 1 },
        })
      );

    it('answers true when the write went through', async () => {
      // Prepare
      dynamodb.on(UpdateCommand).resolves({});

      // Act
      const written = await writeIf(update(documentClient()));

      // Assess
      expect(written).toBe(true);
    });

    it('answers false when a condition failed', async () => {
      // Prepare
      dynamodb.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const written = await writeIf(update(documentClient()));

      // Assess
      expect(written).toBe(false);
    });

    it('translates any other failure', async () => {
      // Prepare
      dynamodb.on(UpdateCommand).rejects(
        new ThrottlingException({
          message: 'Rate exceeded',
          $metadata: { httpStatusCode: 400 },
        })
      );

      // Act
      const writing = writeIf(update(documentClient()));

      // Assess
      await expect(writing).rejects.toThrow(RequestLimitExceededError);
    });
  });

  describe('itemAtFailure', () => {
    it('gives the old item of the failed condition, when DynamoDB sent it', () => {
      // Prepare
      const single = new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: { httpStatusCode: 400 },
        Item: { PK: { S: 'RM#1' } },
      });
      const cancelled = transactionCanceled([
        { Code: 'None' },
        { Code: 'ConditionalCheckFailed', Item: {} },
      ]);

      // Act
      const found = [
        itemAtFailure(single, 0),
        itemAtFailure(cancelled, 1),
        itemAtFailure(cancelled, 0),
        itemAtFailure(conditionFailed(), 0),
      ];

      // Assess
      expect(found).toStrictEqual([
        { PK: { S: 'RM#1' } },
        {},
        undefined,
        undefined,
      ]);
    });
  });
});
