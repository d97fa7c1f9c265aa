import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  ConcurrentModificationError,
  RequestLimitExceededError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';

/**
 * The DynamoDB mechanics every adapter shares, written once: paging,
 * batch reads and deletes with their unprocessed-keys retry, and the one
 * translation of a failed write into the errors the domain expects.
 * Helpers that build a request take the {@link RegistryTable}; helpers
 * that send a request the caller built (with its `TableName`) take the
 * client.
 */

export type Item = Record<string, unknown>;

export type TransactItems = NonNullable<
  TransactWriteCommandInput['TransactItems']
>;
export type TransactItem = TransactItems[number];

/** The registry's table, as every adapter receives it. */
export interface RegistryTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** A strongly consistent read of one item. */
export async function getItem(
  table: RegistryTable,
  key: Item
): Promise<Item | undefined> {
  const result = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: key,
      ConsistentRead: true,
    })
  );
  return result.Item;
}

/**
 * Updates an item that must exist.
 * @throws ResourceDoesNotExistError when it does not (any more).
 */
export async function updateExisting(
  table: RegistryTable,
  update: Omit<UpdateCommandInput, 'TableName' | 'ConditionExpression'>
): Promise<void> {
  await writeItem(
    () =>
      table.client.send(
        new UpdateCommand({
          TableName: table.tableName,
          ...update,
          ConditionExpression: 'attribute_exists(PK)',
        })
      ),
    {
      0: () => new ResourceDoesNotExistError('The resource no longer exists.'),
    }
  );
}

// ---------------------------------------------------------------------------
// Paging

/** Every item a Query selects, across its 1 MB pages. */
export async function queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput
): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of paginateQuery({ client }, { ...input })) {
    items.push(...(page.Items ?? []));
  }
  return items;
}

/** At most `limit` items from the start of a Query (a keyset page). */
export interface QueryPage {
  readonly items: Item[];
  /** True when the Query has nothing after the last item returned. */
  readonly exhausted: boolean;
}

/**
 * Reads up to `limit` items, across DynamoDB's 1 MB pages. Callers resume
 * with a key condition past the last item's sort key (keyset paging), not
 * with `LastEvaluatedKey`, so a page cut short here loses nothing.
 */
export async function queryPage(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  limit: number
): Promise<QueryPage> {
  const items: Item[] = [];
  if (limit < 1) return { items, exhausted: false };
  for await (const page of paginateQuery(
    { client, pageSize: limit },
    { ...input, Limit: limit }
  )) {
    const found = page.Items ?? [];
    const room = limit - items.length;
    items.push(...found.slice(0, room));
    if (found.length > room) return { items, exhausted: false };
    // DynamoDB sends a LastEvaluatedKey whenever it stopped at `Limit`,
    // even with nothing after it: exhaustion is only known without one.
    if (page.LastEvaluatedKey === undefined) return { items, exhausted: true };
    if (items.length === limit) return { items, exhausted: false };
  }
  return { items, exhausted: true };
}

// ---------------------------------------------------------------------------
// Batch reads and deletes

/** DynamoDB's limits per BatchGetItem and per BatchWriteItem call. */
const BATCH_GET_KEYS = 100;
const BATCH_WRITE_REQUESTS = 25;

/**
 * Rounds of a batch call before its unprocessed keys count as a failure:
 * DynamoDB leaves keys unprocessed when the table is throttled, and
 * retrying those without end would hold the request past its timeout.
 */
export const BATCH_ATTEMPTS = 8;
const BACKOFF_BASE_MS = 25;
const BACKOFF_CAP_MS = 1000;

/** Full jitter, so concurrent callers spread out instead of colliding. */
function backoff(attempt: number): Promise<void> {
  const delay =
    Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, delay));
}

/**
 * Strongly consistent reads of many items by key, 100 keys per call;
 * missing items are left out and the order is unspecified. Duplicate keys
 * are read once (BatchGetItem refuses them).
 * @throws RequestLimitExceededError when keys are still unprocessed after
 *   {@link BATCH_ATTEMPTS} rounds.
 */
export async function batchGetAll(
  table: RegistryTable,
  itemKeys: readonly Item[]
): Promise<Item[]> {
  const { client, tableName } = table;
  const found: Item[] = [];
  for (const chunk of chunks(distinctKeys(itemKeys), BATCH_GET_KEYS)) {
    let pending: Item[] = chunk;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > BATCH_ATTEMPTS) throw unprocessed(pending.length);
      if (attempt > 1) await backoff(attempt);
      const result = await sendBatch(() =>
        client.send(
          new BatchGetCommand({
            RequestItems: {
              [tableName]: { Keys: pending, ConsistentRead: true },
            },
          })
        )
      );
      found.push(...(result.Responses?.[tableName] ?? []));
      pending = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return found;
}

/**
 * Deletes items by key, 25 per call, retrying unprocessed ones. Not
 * atomic: callers delete only items nothing reaches any more.
 * @throws RequestLimitExceededError when items are still unprocessed
 *   after {@link BATCH_ATTEMPTS} rounds.
 */
export async function batchDeleteAll(
  table: RegistryTable,
  itemKeys: readonly Item[]
): Promise<void> {
  const { client, tableName } = table;
  type WriteRequests = NonNullable<
    BatchWriteCommandInput['RequestItems']
  >[string];
  for (const chunk of chunks(distinctKeys(itemKeys), BATCH_WRITE_REQUESTS)) {
    let pending: WriteRequests = chunk.map((key) => ({
      DeleteRequest: { Key: key },
    }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > BATCH_ATTEMPTS) throw unprocessed(pending.length);
      if (attempt > 1) await backoff(attempt);
      const requests = pending;
      const result = await sendBatch(() =>
        client.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: requests } })
        )
      );
      pending = result.UnprocessedItems?.[tableName] ?? [];
    }
  }
}

async function sendBatch<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw isThrottled(error) ? unavailable(error) : error;
  }
}

function unprocessed(count: number) {
  return new RequestLimitExceededError(
    `The registry's table left ${count} items unprocessed after ${BATCH_ATTEMPTS} attempts; retry the request.`
  );
}

/** Keys are flat maps of strings (and numbers); equal ones read as one. */
function distinctKeys(itemKeys: readonly Item[]): Item[] {
  const seen = new Map<string, Item>();
  for (const key of itemKeys) {
    const id = JSON.stringify(
      Object.entries(key).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    );
    if (!seen.has(id)) seen.set(id, key);
  }
  return [...seen.values()];
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    result.push(items.slice(start, start + size));
  }
  return result;
}

// ---------------------------------------------------------------------------
// Failed writes

/**
 * What a failed condition means, by the index of its item in the
 * transaction (a single conditional write is item 0). Conditions without
 * an entry mean the caller's picture is stale.
 */
export type ConditionErrors = Readonly<Partial<Record<number, () => Error>>>;

/**
 * The one translation of a failed write (single or transactional) into
 * the domain's terms, first match wins:
 * 1. a failed condition with an entry in `conditions` → that error (the
 *    lowest such index when several failed);
 * 2. any other failed condition, or a collision with a concurrent
 *    transaction → `ConcurrentModificationError`: the use case re-reads
 *    and retries (its optimistic loop);
 * 3. throttling that outlasted the SDK's own retries →
 *    `RequestLimitExceededError` (429, which MLflow and Databricks
 *    clients retry);
 * 4. anything else (validation, item size, network) → unchanged.
 */
export function translateWriteError(
  error: unknown,
  conditions: ConditionErrors = {}
): unknown {
  const failed = failedConditions(error);
  for (const index of failed) {
    const named = conditions[index];
    if (named) return named();
  }
  if (failed.length > 0 || isConflict(error)) {
    return new ConcurrentModificationError(messageOf(error), { cause: error });
  }
  if (isThrottled(error)) return unavailable(error);
  return error;
}

/** One TransactWriteItems call, its failure translated. */
export async function transactWrite(
  client: DynamoDBDocumentClient,
  items: TransactItems,
  conditions: ConditionErrors = {}
): Promise<void> {
  try {
    await client.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    throw translateWriteError(error, conditions);
  }
}

/** One single-item write (Put, Update, Delete), its failure translated. */
export async function writeItem(
  write: () => Promise<unknown>,
  conditions: ConditionErrors = {}
): Promise<void> {
  try {
    await write();
  } catch (error) {
    throw translateWriteError(error, conditions);
  }
}

/**
 * Runs a conditional write whose failed condition is an answer, not an
 * error ("no such token", "already claimed").
 * @returns false when a condition failed and nothing was written.
 */
export async function writeIf(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (failedConditions(error).length > 0) return false;
    throw translateWriteError(error);
  }
}

/**
 * The item as it was when its condition failed, for writes that ask for
 * it (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`); undefined when
 * there was none.
 */
export function itemAtFailure(
  error: unknown,
  index: number
): Record<string, unknown> | undefined {
  if (error instanceof ConditionalCheckFailedException) {
    return index === 0 ? error.Item : undefined;
  }
  if (error instanceof TransactionCanceledException) {
    return error.CancellationReasons?.[index]?.Item;
  }
  return undefined;
}

/**
 * An update expression of the actions given, each clause left out when it
 * has none (DynamoDB refuses an empty `REMOVE`).
 */
export function updateExpression(actions: {
  readonly set?: readonly string[];
  readonly remove?: readonly string[];
  readonly add?: readonly string[];
}): string {
  return (
    [
      ['SET', actions.set],
      ['REMOVE', actions.remove],
      ['ADD', actions.add],
    ] as const
  )
    .filter(([, parts]) => parts !== undefined && parts.length > 0)
    .map(([clause, parts]) => `${clause} ${parts?.join(', ')}`)
    .join(' ');
}

/** Whether the write failed on the condition of item `index` alone. */
export function onlyFailedCondition(error: unknown, index: number): boolean {
  const failed = failedConditions(error);
  return failed.length === 1 && failed[0] === index && !isConflict(error);
}

function failedConditions(error: unknown): number[] {
  if (error instanceof ConditionalCheckFailedException) return [0];
  if (!(error instanceof TransactionCanceledException)) return [];
  return (error.CancellationReasons ?? []).flatMap((reason, index) =>
    reason.Code === 'ConditionalCheckFailed' ? [index] : []
  );
}

function isConflict(error: unknown): boolean {
  if (error instanceof TransactionCanceledException) {
    return (error.CancellationReasons ?? []).some(
      (reason) => reason.Code === 'TransactionConflict'
    );
  }
  return errorName(error) === 'TransactionConflictException';
}

const THROTTLED_REASONS = new Set([
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
]);
const THROTTLED_ERRORS = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);

function isThrottled(error: unknown): boolean {
  if (error instanceof TransactionCanceledException) {
    return (error.CancellationReasons ?? []).some((reason) =>
      THROTTLED_REASONS.has(reason.Code ?? '')
    );
  }
  return THROTTLED_ERRORS.has(errorName(error));
}

function unavailable(error: unknown) {
  return new RequestLimitExceededError(
    "The registry's table is throttling requests; retry the request.",
    { cause: error }
  );
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'Condition failed';
}
