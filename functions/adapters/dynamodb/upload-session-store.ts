import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  ManifestEntry,
  PlannedFile,
  UploadSession,
  UploadSessionStatus,
} from '#domain/artifacts/upload-session.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';
import type { Item } from './items.ts';
import { keys, sortableTimestamp } from './keys.ts';

/** DynamoDB's limit per BatchGetItem call. */
const BATCH_GET = 100;
/** How long the table keeps an expired session (for audit), then TTL drops it. */
const EXPIRED_RETENTION_SECONDS = 30 * 24 * 3600;

/**
 * {@link UploadSessionStore} on the registry table: one item per session
 * (`UPLOAD#<id>`/`#UPLOAD`). The planned files and the manifest are stored
 * as compact JSON strings (arrays, not maps), because a session of 1000
 * files must fit DynamoDB's 400 KB item; completing a session replaces the
 * planned files by the manifest. Sessions the cleanup job still has to look
 * at sit in GSI2 under `UPLOADS#<status>`, oldest first.
 */
export class DynamoDBUploadSessionStore implements UploadSessionStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async create(session: UploadSession): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...keys.uploadSession(session.id),
          GSI2PK: keys.uploadsForCleanup(session.status),
          GSI2SK: position(session.createdAt, session.id),
          entity: 'UploadSession',
          id: session.id,
          ownerId: session.ownerId,
          ownerName: session.ownerName,
          ...(session.modelId === undefined
            ? {}
            : { modelId: session.modelId }),
          status: session.status,
          createdAt: session.createdAt,
          urlsExpireAt: session.urlsExpireAt,
          files: JSON.stringify(session.files.map(plannedTuple)),
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      })
    );
  }

  async get(id: string): Promise<UploadSession | undefined> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.uploadSession(id),
        ConsistentRead: true,
      })
    );
    return result.Item ? toSession(result.Item) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<readonly UploadSession[]> {
    const unique = [...new Set(ids)];
    const found: UploadSession[] = [];
    for (let start = 0; start < unique.length; start += BATCH_GET) {
      let pending: Item[] | undefined = unique
        .slice(start, start + BATCH_GET)
        .map((id) => keys.uploadSession(id));
      for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
        if (attempt > 0) await backoff(attempt);
        const result = await this.#client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.#tableName]: { Keys: pending, ConsistentRead: true },
            },
          })
        );
        found.push(
          ...(result.Responses?.[this.#tableName] ?? []).map(toSession)
        );
        pending = result.UnprocessedKeys?.[this.#tableName]?.Keys as
          | Item[]
          | undefined;
      }
    }
    return found;
  }

  async complete(
    id: string,
    manifest: readonly ManifestEntry[],
    now: number
  ): Promise<boolean> {
    return this.#conditionalUpdate({
      Key: keys.uploadSession(id),
      // The index position (creation time) stays: abandonment is measured
      // from creation whatever the status.
      UpdateExpression:
        'SET #status = :completed, manifest = :manifest, completedAt = :now, GSI2PK = :pk REMOVE files',
      ConditionExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':completed': 'COMPLETED',
        ':open': 'OPEN',
        ':manifest': JSON.stringify(manifest.map(manifestTuple)),
        ':now': now,
        ':pk': keys.uploadsForCleanup('COMPLETED'),
      },
    });
  }

  async expire(id: string, now: number): Promise<boolean> {
    return this.#conditionalUpdate({
      Key: keys.uploadSession(id),
      UpdateExpression:
        'SET #status = :expired, cleanedAt = :now, expiresAt = :ttl REMOVE GSI2PK, GSI2SK',
      ConditionExpression: '#status IN (:open, :completed)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':expired': 'EXPIRED',
        ':open': 'OPEN',
        ':completed': 'COMPLETED',
        ':now': now,
        ':ttl': Math.floor(now / 1000) + EXPIRED_RETENTION_SECONDS,
      },
    });
  }

  async markCleaned(id: string, now: number): Promise<void> {
    // The item stays: it is the registered version's manifest (the files
    // endpoint reads the SHA-256 sums from it).
    await this.#conditionalUpdate({
      Key: keys.uploadSession(id),
      UpdateExpression: 'SET cleanedAt = :now REMOVE GSI2PK, GSI2SK',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':now': now },
    });
  }

  async listForCleanup(
    status: Exclude<UploadSessionStatus, 'EXPIRED'>,
    options: { before?: number | undefined; limit: number }
  ): Promise<readonly UploadSession[]> {
    const before = options.before;
    const sessions: UploadSession[] = [];
    let exclusiveStartKey: Item | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: 'GSI2',
          KeyConditionExpression:
            before === undefined
              ? 'GSI2PK = :pk'
              : 'GSI2PK = :pk AND GSI2SK < :before',
          ExpressionAttributeValues: {
            ':pk': keys.uploadsForCleanup(status),
            ...(before === undefined
              ? {}
              : { ':before': sortableTimestamp(before) }),
          },
          Limit: options.limit - sessions.length,
          ExclusiveStartKey: exclusiveStartKey,
        })
      );
      sessions.push(...(page.Items ?? []).map(toSession));
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey && sessions.length < options.limit);
    return sessions;
  }

  async #conditionalUpdate(
    update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>
  ): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({ TableName: this.#tableName, ...update })
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function position(epochMillis: number, id: string): string {
  return `${sortableTimestamp(epochMillis)}#${id}`;
}

type PlannedTuple =
  | [path: string, size: number]
  | [
      path: string,
      size: number,
      uploadId: string,
      partSize: number,
      partCount: number,
    ];

function plannedTuple(file: PlannedFile): PlannedTuple {
  return file.multipart
    ? [
        file.path,
        file.size,
        file.multipart.uploadId,
        file.multipart.partSize,
        file.multipart.partCount,
      ]
    : [file.path, file.size];
}

type ManifestTuple = [
  path: string,
  size: number,
  sha256: string,
  etag: string,
  versionId?: string,
];

function manifestTuple(entry: ManifestEntry): ManifestTuple {
  return entry.versionId === undefined
    ? [entry.path, entry.size, entry.sha256, entry.etag]
    : [entry.path, entry.size, entry.sha256, entry.etag, entry.versionId];
}

function toSession(item: Item): UploadSession {
  const manifest =
    typeof item.manifest === 'string'
      ? (JSON.parse(item.manifest) as ManifestTuple[]).map(
          ([path, size, sha256, etag, versionId]): ManifestEntry => ({
            path,
            size,
            sha256,
            etag,
            ...(versionId === undefined ? {} : { versionId }),
          })
        )
      : undefined;
  const files: PlannedFile[] =
    typeof item.files === 'string'
      ? (JSON.parse(item.files) as PlannedTuple[]).map((tuple) =>
          tuple.length === 5
            ? {
                path: tuple[0],
                size: tuple[1],
                multipart: {
                  uploadId: tuple[2],
                  partSize: tuple[3],
                  partCount: tuple[4],
                },
              }
            : { path: tuple[0], size: tuple[1] }
        )
      : (manifest ?? []).map((entry) => ({
          path: entry.path,
          size: entry.size,
        }));
  const optionalNumber = (value: unknown) =>
    value === undefined ? undefined : Number(value);
  return {
    id: String(item.id),
    ownerId: String(item.ownerId),
    ownerName: String(item.ownerName ?? ''),
    modelId: item.modelId === undefined ? undefined : String(item.modelId),
    status: item.status as UploadSessionStatus,
    createdAt: Number(item.createdAt),
    urlsExpireAt: Number(item.urlsExpireAt),
    files,
    manifest,
    completedAt: optionalNumber(item.completedAt),
    consumedAt: optionalNumber(item.consumedAt),
    consumedBy:
      item.consumedModelId === undefined
        ? undefined
        : {
            modelId: String(item.consumedModelId),
            version: Number(item.consumedVersion),
          },
    cleanedAt: optionalNumber(item.cleanedAt),
  };
}

function backoff(attempt: number): Promise<void> {
  const delay = Math.random() * Math.min(1000, 20 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, delay));
}
