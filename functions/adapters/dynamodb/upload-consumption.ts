import { UploadNotUsableError } from '#domain/artifacts/errors.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import type { UploadConsumption } from '#ports/model-registry-store.ts';
import { keys, sortableTimestamp } from './keys.ts';
import { pendingRegistrationPut } from './registration-lease-store.ts';
import type { TransactItems } from './toolkit.ts';

/**
 * The items a version's creating transaction adds when the version is
 * registered from an upload session: the session's consumption (item 0
 * here) and the lease of the registration's first attempt.
 */
export function uploadConsumptionItems(
  tableName: string,
  consume: UploadConsumption,
  version: ModelVersion
): TransactItems {
  return [
    consumeUploadItem(tableName, consume, version),
    pendingRegistrationPut(tableName, {
      modelId: version.modelId,
      version: version.version,
      uploadId: consume.uploadId,
      createdAt: consume.now,
      leaseExpiresAt: consume.leaseExpiresAt,
    }),
  ];
}

/** What a failed condition on the consumption item means. */
export function uploadNotUsable(consume: UploadConsumption) {
  return new UploadNotUsableError(
    `Upload ${consume.uploadId} cannot be registered: it is no longer a completed, unused upload of yours.`
  );
}

/**
 * COMPLETED → CONSUMED: the session moves to the CONSUMED cleanup index (by
 * consumption time) and remembers its version. Its condition is what makes
 * one session register one version.
 */
function consumeUploadItem(
  tableName: string,
  consume: UploadConsumption,
  version: ModelVersion
) {
  const owner = consume.ownerId !== undefined;
  return {
    Update: {
      TableName: tableName,
      Key: keys.uploadSession(consume.uploadId),
      UpdateExpression:
        'SET #status = :consumed, consumedAt = :now, consumedModelId = :modelId, consumedVersion = :version, GSI2PK = :pk, GSI2SK = :sk',
      ConditionExpression: `#status = :completed${owner ? ' AND ownerId = :owner' : ''}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':consumed': 'CONSUMED',
        ':completed': 'COMPLETED',
        ':now': consume.now,
        ':modelId': version.modelId,
        ':version': version.version,
        ':pk': keys.uploadsForCleanup('CONSUMED'),
        ':sk': `${sortableTimestamp(consume.now)}#${consume.uploadId}`,
        ...(owner ? { ':owner': consume.ownerId } : {}),
      },
    },
  };
}
