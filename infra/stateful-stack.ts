import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import {
  BackupPlan,
  BackupPlanRule,
  BackupResource,
  BackupVault,
} from 'aws-cdk-lib/aws-backup';
import {
  type Attribute,
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CorsRule,
  HttpMethods,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TEMPORARY_PREFIX } from '../functions/domain/cleanup.ts';
import { type StageConfig, stageNames } from './stage-config.ts';
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

export interface StatefulStackProps extends StackProps {
  /** The stage deployed (`infra/stages.ts`). */
  readonly config: StageConfig;
}

/**
 * The stateful part of stagegate: the registry table and the artifact bucket
 * (plus the bucket receiving its access logs), their optional backups, and
 * the secret holding the bootstrap admin's token. Everything holding data
 * is retained when the stack is deleted or a resource is replaced, the
 * table refuses deletion outright, and the stack is termination-protected
 * (per stage). The stateless {@link ApiStack} receives the table and bucket
 * through its props, so the API side can be torn down and redeployed
 * without touching data.
 */
export class StatefulStack extends Stack {
  /** Single-table design, built from `registryTable` (table-definition.ts). */
  readonly table: Table;
  /** Model artifacts: temporary uploads and managed version copies. */
  readonly artifactBucket: IBucket;
  /**
   * The bootstrap admin's token, written (and replaced) by `npm run
   * bootstrap-admin`; it expires on its own (docs/deployment.md).
   */
  readonly bootstrapAdminSecret: ISecret;
  /** The daily backup plan, when the stage asks for one. */
  readonly backupPlan: BackupPlan | undefined;
  /**
   * The key that signs OAuth access tokens (HS256): 64 random characters.
   * Rotate with `aws secretsmanager put-secret-value` and a new random
   * string; the previous version verifies tokens until they expire.
   */
  readonly oauthSigningKey: Secret;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = stageNames(config);

    this.table = new Table(this, 'RegistryTable', {
      tableName: names.table,
      partitionKey: toAttribute(registryTable.partitionKey),
      sortKey: toAttribute(registryTable.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: registryTable.timeToLiveAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      // Retained on stack deletion, and DeleteTable is refused until an
      // operator turns this off on purpose.
      deletionProtection: true,
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
          // Managed files removed with their version (the cleanup job)
          // or replaced stay recoverable this long, then go; so do the
          // delete markers left behind.
          id: 'ExpireNoncurrentManagedFiles',
          prefix: artifactKeyPrefixes.managed,
          noncurrentVersionExpiration: Duration.days(
            config.noncurrentArtifactDays
          ),
          expiredObjectDeleteMarker: true,
        },
        {
          // The backstop of the cleanup job, which aborts the multipart
          // uploads of abandoned sessions: an upload may take as long as
          // its client keeps asking for fresh URLs, up to the week the
          // temporary prefix keeps objects anyway.
          id: 'AbortIncompleteMultipartUploads',
          abortIncompleteMultipartUploadAfter: Duration.days(
            TEMPORARY_UPLOAD_EXPIRY_DAYS
          ),
        },
      ],
      cors: corsRules(config.allowedOrigins),
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
        'Rotated by putting a new random value (docs/mlflow.md, "OAuth"): a rotation Lambda would only do the same, and the previous version keeps verifying the tokens it signed (at most an hour).',
    });

    // A retained bucket must keep its TLS-only (and log delivery) policy
    // after the stack is gone.
    for (const bucket of [accessLogBucket, this.artifactBucket]) {
      bucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }

    this.bootstrapAdminSecret = new Secret(this, 'BootstrapAdminToken', {
      secretName: names.bootstrapSecret,
      description: `stagegate (${config.name}): the bootstrap admin's expiring token, written by npm run bootstrap-admin`,
    });
    Validations.of(this.bootstrapAdminSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The token it holds expires on its own (24 h by default) and is replaced, never rotated, by npm run bootstrap-admin; the runbook revokes it once real admins exist.',
    });

    this.backupPlan = config.backup
      ? this.createBackupPlan(names.prefix, config.backup.retentionDays)
      : undefined;

    new CfnOutput(this, 'RegistryTableName', {
      value: this.table.tableName,
      description: 'REGISTRY_TABLE_NAME of the functions',
    });
    new CfnOutput(this, 'ArtifactBucketName', {
      value: this.artifactBucket.bucketName,
      description: 'ARTIFACT_BUCKET_NAME of the functions',
    });
    new CfnOutput(this, 'BootstrapAdminSecretName', {
      value: this.bootstrapAdminSecret.secretName,
      description: 'Where npm run bootstrap-admin keeps the bootstrap token',
    });
  }

  /**
   * A daily backup of the table and the artifact bucket (S3 backups need
   * the bucket's versioning, which it has), kept `retentionDays` in a
   * retained vault of the stage.
   */
  private createBackupPlan(prefix: string, retentionDays: number): BackupPlan {
    const vault = new BackupVault(this, 'BackupVault', {
      backupVaultName: `${prefix}-backups`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const plan = new BackupPlan(this, 'BackupPlan', {
      backupPlanName: `${prefix}-daily`,
      backupVault: vault,
      backupPlanRules: [
        new BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: Schedule.cron({ hour: '3', minute: '0' }),
          deleteAfter: Duration.days(retentionDays),
        }),
      ],
    });
    const policies = [
      'service-role/AWSBackupServiceRolePolicyForBackup',
      'service-role/AWSBackupServiceRolePolicyForRestores',
      'AWSBackupServiceRolePolicyForS3Backup',
      'AWSBackupServiceRolePolicyForS3Restore',
    ];
    const role = new Role(this, 'BackupRole', {
      assumedBy: new ServicePrincipal('backup.amazonaws.com'),
      description: `AWS Backup of ${prefix}: the table and the artifact bucket`,
      managedPolicies: policies.map((name) =>
        ManagedPolicy.fromAwsManagedPolicyName(name)
      ),
    });
    for (const name of policies) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
        reason:
          "AWS Backup's own service-role policy for backing up and restoring DynamoDB and S3; AWS keeps it current with the services' APIs.",
      });
    }
    plan.addSelection('Registry', {
      role,
      resources: [
        BackupResource.fromDynamoDbTable(this.table),
        BackupResource.fromArn(this.artifactBucket.bucketArn),
      ],
    });
    return plan;
  }
}

/**
 * Browsers (a web UI, notebooks) upload and download artifacts directly
 * with presigned URLs, which are cross-origin requests; only the stage's
 * allowed origins may. ETag is exposed so browsers can check an upload
 * and complete multipart uploads. No origin, no rule: non-browser clients
 * need none.
 */
function corsRules(origins: readonly string[]): CorsRule[] | undefined {
  if (origins.length === 0) return undefined;
  return [
    {
      allowedMethods: [HttpMethods.PUT, HttpMethods.GET],
      allowedOrigins: [...origins],
      allowedHeaders: ['*'],
      exposedHeaders: ['ETag'],
      maxAge: 3000,
    },
  ];
}

function toAttribute(key: KeyAttribute): Attribute {
  return {
    name: key.name,
    type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER,
  };
}
