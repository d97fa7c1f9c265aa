import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TEMPORARY_PREFIX } from '../functions/domain/cleanup.ts';
import { type KeyAttribute, registryTable } from './table-definition.ts';

/**
 * Key prefixes of the artifact bucket (docs/architecture.md, decision 5): clients
 * upload to `temporary` through presigned URLs, registration copies the files
 * to `managed/<model-id>/<version>/`, and the cleanup job (with a lifecycle
 * rule as backstop) empties `temporary`.
 */
export const artifactKeyPrefixes = {
  temporary: TEMPORARY_PREFIX,
  managed: 'mlflow-registry/',
} as const;

/** Days after which a temporary upload expires even if nobody cleaned it. */
const TEMPORARY_UPLOAD_EXPIRY_DAYS = 7;

/**
 * The stateful part of stagegate: the registry table and the artifact bucket
 * (plus the bucket receiving its access logs). Everything here is retained
 * when the stack is deleted or a resource is replaced, and the stateless
 * {@link ApiStack} receives the table and bucket through its props, so the
 * API side can be torn down and redeployed without touching data.
 */
export class StatefulStack extends Stack {
  /** Single-table design, built from `registryTable` (table-definition.ts). */
  readonly table: Table;
  /** Model artifacts: temporary uploads and managed version copies. */
  readonly artifactBucket: IBucket;
  /**
   * The key that signs OAuth access tokens (HS256): 64 random characters.
   * Rotate with `aws secretsmanager put-secret-value` and a new random
   * string; the previous version verifies tokens until they expire.
   */
  readonly oauthSigningKey: Secret;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    this.table = new Table(this, 'RegistryTable', {
      partitionKey: toAttribute(registryTable.partitionKey),
      sortKey: toAttribute(registryTable.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: registryTable.timeToLiveAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      // The outbox's inserts wake the event dispatcher within a second
      // (docs/architecture.md, decision 11); new images carry the event.
      stream: StreamViewType.NEW_IMAGE,
    });
    for (const index of registryTable.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: toAttribute(index.partitionKey),
        sortKey: toAttribute(index.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }

    const accessLogBucket = new Bucket(this, 'AccessLogBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // S3 server access logging can only deliver to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });
    Validations.of(accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is the access-log target of the artifact bucket; logging its own accesses would need yet another log bucket.',
    });

    this.artifactBucket = new Bucket(this, 'ArtifactBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      encryption: BucketEncryption.S3_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      // Who downloaded which model version is part of the registry's audit
      // trail, so every object access is logged.
      serverAccessLogsBucket: accessLogBucket,
      serverAccessLogsPrefix: 'artifact-bucket/',
      lifecycleRules: [
        {
          id: 'ExpireTemporaryUploads',
          prefix: artifactKeyPrefixes.temporary,
          expiration: Duration.days(TEMPORARY_UPLOAD_EXPIRY_DAYS),
          // The bucket is versioned: without this, expired and deleted
          // temporary files would stay as noncurrent versions forever.
          noncurrentVersionExpiration: Duration.days(1),
        },
        {
          id: 'AbortIncompleteMultipartUploads',
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Browsers (the web UI, notebooks) upload and download artifacts
      // directly with presigned URLs, which are cross-origin requests. The
      // signature in the URL, not the origin, is what grants access, so any
      // origin may send PUT/GET; ETag is exposed so clients can check the
      // upload and complete multipart uploads.
      cors: [
        {
          allowedMethods: [HttpMethods.PUT, HttpMethods.GET],
          allowedOrigins: ['*'],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
    });

    this.oauthSigningKey = new Secret(this, 'OAuthSigningKey', {
      description:
        'stagegate: signs OAuth access tokens (HS256); its previous version verifies until they expire',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.oauthSigningKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotated by putting a new random value (README, "OAuth"): a rotation Lambda would only do the same, and the previous version keeps verifying the tokens it signed (at most an hour).',
    });

    // A retained bucket must keep its TLS-only (and log delivery) policy
    // after the stack is gone.
    for (const bucket of [accessLogBucket, this.artifactBucket]) {
      bucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }

    new CfnOutput(this, 'RegistryTableName', {
      value: this.table.tableName,
      description: 'REGISTRY_TABLE_NAME of the functions',
    });
    new CfnOutput(this, 'ArtifactBucketName', {
      value: this.artifactBucket.bucketName,
      description: 'ARTIFACT_BUCKET_NAME of the functions',
    });
  }
}

function toAttribute(key: KeyAttribute): Attribute {
  return {
    name: key.name,
    type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER,
  };
}
