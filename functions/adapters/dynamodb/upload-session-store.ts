import {
  type DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  ManifestEntry,
  PlannedFile,
  SessionOrigin,
  UploadSession,
  UploadSessionStatus,
} from '#domain/artifacts/upload-session.ts';
import type { UploadSessionStore } from '#ports/upload-session-store.ts';
import { keys, sortableTimestamp } from './keys.ts';
import {
  batchGetAll,
  getItem,
  type Item,
  queryPage,
  type RegistryTable,
  writeIf,
  writeItem,
} from './toolkit.ts';

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
  readonly #table: RegistryTable;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#table = { client: options.client, tableName: options.tableName };
  }

  async create(session: UploadSession): Promise<void> {
    const { client, tableName } = this.#table;
    await writeItem(() =>
      client.send(
        new PutCommand({
          TableName: tableName,
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
            // A session made from a version's source starts COMPLETED,
            // with its manifest in place of the planned files.
            ...(session.manifest
              ? {
                  manifest: JSON.stringify(session.manifest.map(manifestTuple)),
                }
              : { files: JSON.stringify(session.files.map(plannedTuple)) }),
            ...(session.completedAt === undefined
              ? {}
              : { completedAt: session.completedAt }),
            ...(session.origin === undefined
              ? {}
              : { origin: JSON.stringify(session.origin) }),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        })
      )
    );
  }

  async get(id: string): Promise<UploadSession | undefined> {
    const item = await getItem(this.#table, keys.uploadSession(id));
    return item ? toSession(item) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<readonly UploadSession[]> {
    const items = await batchGetAll(
      this.#table,
      ids.map((id) => keys.uploadSession(id))
    );
    return items.map(toSession);
  }

  async renew(id: string, urlsExpireAt: number, now: number): Promise<boolean> {
    return this.#conditionalUpdate({
      Key: keys.uploadSession(id),
      // The index position moves to now: the cleanup takes an OPEN session
      // for abandoned by its position.
      UpdateExpression:
        'SET urlsExpireAt = :expires, renewedAt = :now, GSI2SK = :position',
      ConditionExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':expires': urlsExpireAt,
        ':now': now,
        ':position': position(now, id),
        ':open': 'OPEN',
      },
    });
  }

  async complete(
    id: string,
    manifest: readonly ManifestEntry[],
    now: number
  ): Promise<boolean> {
    return this.#conditionalUpdate({
      Key: keys.uploadSession(id),
      // The index position (creation, or the last renewal) stays:
      // abandonment is measured from it whatever the status.
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
    const page = await queryPage(
      this.#table.client,
      {
        TableName: this.#table.tableName,
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
      },
      options.limit
    );
    return page.items.map(toSession);
  }

  #conditionalUpdate(
    update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>
  ): Promise<boolean> {
    const { client, tableName } = this.#table;
    return writeIf(() =>
      client.send(new UpdateCommand({ TableName: tableName, ...update }))
    );
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
    renewedAt: optionalNumber(item.renewedAt),
    files,
    manifest,
    completedAt: optionalNumber(item.completedAt),
    origin:
      typeof item.origin === 'string'
        ? (JSON.parse(item.origin) as SessionOrigin)
        : undefined,
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
