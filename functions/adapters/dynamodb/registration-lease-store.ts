import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  PendingRegistration,
  RegistrationLease,
  RegistrationLeaseStore,
} from '#ports/registration-lease-store.ts';
import { keys, padVersion, sortableTimestamp } from './keys.ts';
import {
  type Item,
  queryPage,
  type RegistryTable,
  writeIf,
} from './toolkit.ts';

/**
 * {@link RegistrationLeaseStore} on the registry table: one item per
 * pending registration (`RM#<model id>`/`REG#<version>`), in GSI2 under
 * `REGISTRATIONS#PENDING` by lease expiry, so the watchdog queries the
 * expired ones. The item is put by the transaction that creates the
 * version ({@link pendingRegistrationPut}) and deleted by the one that
 * ends its registration ({@link pendingRegistrationDelete}).
 */
export class DynamoDBRegistrationLeaseStore implements RegistrationLeaseStore {
  readonly #table: RegistryTable;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#table = { client: options.client, tableName: options.tableName };
  }

  async renew(
    modelId: string,
    version: number,
    lease: RegistrationLease,
    startAt?: number
  ): Promise<boolean> {
    return this.#conditionalUpdate({
      Key: keys.pendingRegistration(modelId, version),
      UpdateExpression: `SET leaseExpiresAt = :expires, GSI2SK = :position${startAt === undefined ? '' : ', startAt = :startAt'}`,
      // Fails on a missing item too: an ended registration is not revived.
      ConditionExpression: 'attempt = :attempt',
      ExpressionAttributeValues: {
        ':expires': lease.expiresAt,
        ':position': leasePosition(lease.expiresAt, modelId, version),
        ':attempt': lease.attempt,
        ...(startAt === undefined ? {} : { ':startAt': startAt }),
      },
    });
  }

  async listExpired(
    before: number,
    limit: number
  ): Promise<readonly PendingRegistration[]> {
    const bounded = Number.isFinite(before);
    const page = await queryPage(
      this.#table.client,
      {
        TableName: this.#table.tableName,
        IndexName: 'GSI2',
        KeyConditionExpression: bounded
          ? 'GSI2PK = :pk AND GSI2SK < :before'
          : 'GSI2PK = :pk',
        ExpressionAttributeValues: {
          ':pk': keys.pendingRegistrations,
          ...(bounded ? { ':before': sortableTimestamp(before) } : {}),
        },
      },
      limit
    );
    return page.items.map(toPendingRegistration);
  }

  async claim(
    registration: PendingRegistration,
    expiresAt: number
  ): Promise<RegistrationLease | undefined> {
    const attempt = registration.lease.attempt + 1;
    const claimed = await this.#conditionalUpdate({
      Key: keys.pendingRegistration(registration.modelId, registration.version),
      UpdateExpression:
        'SET attempt = :next, leaseExpiresAt = :expires, GSI2SK = :position',
      ConditionExpression: 'attempt = :attempt AND leaseExpiresAt = :seen',
      ExpressionAttributeValues: {
        ':next': attempt,
        ':expires': expiresAt,
        ':position': leasePosition(
          expiresAt,
          registration.modelId,
          registration.version
        ),
        ':attempt': registration.lease.attempt,
        ':seen': registration.lease.expiresAt,
      },
    });
    return claimed ? { attempt, expiresAt } : undefined;
  }

  async remove(registration: PendingRegistration): Promise<void> {
    const { client, tableName } = this.#table;
    // A newer attempt claimed it meanwhile (or it is gone): left to that one.
    await writeIf(() =>
      client.send(
        new DeleteCommand({
          TableName: tableName,
          Key: keys.pendingRegistration(
            registration.modelId,
            registration.version
          ),
          ConditionExpression: 'attempt = :attempt',
          ExpressionAttributeValues: {
            ':attempt': registration.lease.attempt,
          },
        })
      )
    );
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

/** The first attempt's lease, put with the version it registers. */
export function pendingRegistrationPut(
  tableName: string,
  registration: Omit<PendingRegistration, 'lease' | 'startAt'> & {
    readonly leaseExpiresAt: number;
  }
) {
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.pendingRegistration(registration.modelId, registration.version),
        GSI2PK: keys.pendingRegistrations,
        GSI2SK: leasePosition(
          registration.leaseExpiresAt,
          registration.modelId,
          registration.version
        ),
        entity: 'PendingRegistration',
        modelId: registration.modelId,
        version: registration.version,
        uploadId: registration.uploadId,
        createdAt: registration.createdAt,
        attempt: 1,
        leaseExpiresAt: registration.leaseExpiresAt,
        startAt: 0,
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}

/**
 * Ends the registration's lease with the status change that ends the
 * registration; with `lease`, only while that attempt (and expiry) holds
 * it.
 */
export function pendingRegistrationDelete(
  tableName: string,
  modelId: string,
  version: number,
  lease:
    | { readonly attempt: number; readonly expiresAt?: number | undefined }
    | undefined
) {
  const key = keys.pendingRegistration(modelId, version);
  if (!lease) return { Delete: { TableName: tableName, Key: key } };
  const byExpiry = lease.expiresAt !== undefined;
  return {
    Delete: {
      TableName: tableName,
      Key: key,
      ConditionExpression: `attempt = :attempt${byExpiry ? ' AND leaseExpiresAt = :seen' : ''}`,
      ExpressionAttributeValues: {
        ':attempt': lease.attempt,
        ...(byExpiry ? { ':seen': lease.expiresAt } : {}),
      },
    },
  };
}

function leasePosition(
  expiresAt: number,
  modelId: string,
  version: number
): string {
  return `${sortableTimestamp(expiresAt)}#${modelId}#${padVersion(version)}`;
}

function toPendingRegistration(item: Item): PendingRegistration {
  return {
    modelId: String(item.modelId),
    version: Number(item.version),
    uploadId: String(item.uploadId),
    createdAt: Number(item.createdAt),
    lease: {
      attempt: Number(item.attempt),
      expiresAt: Number(item.leaseExpiresAt),
    },
    startAt: Number(item.startAt ?? 0),
  };
}
