import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  type IRole,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { fromRepoRoot, repoRoot } from '../paths.ts';
import { registryTable } from '../table-definition.ts';
import { acknowledgeWildcardResource } from './nag.ts';

/** What a function may do with the registry table. */
export type TableAccess = 'read' | 'readWrite';

/**
 * What a function may do with the objects under one key prefix of a bucket.
 * Every level includes listing that prefix.
 */
export type BucketAccess = 'read' | 'readWrite' | 'delete';

/**
 * What a function may do with the transition-request workflow: `request`
 * for the API groups, `respond` for the function its Task states invoke.
 */
export type WorkflowAccess = 'request' | 'respond';

export interface RegistryFunctionProps {
  /**
   * Handler file, relative to the repository root (for example
   * `functions/handlers/api/tokens.ts`); it must export `handler`.
   */
  readonly entry: string;
  /** @default - no description */
  readonly description?: string;
  /**
   * API functions keep the default: API Gateway gives up on an integration
   * after 29 s and clients retry long before that.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * Added to the defaults (`POWERTOOLS_SERVICE_NAME`, `NODE_OPTIONS`, ...).
   * The `bind*` helpers add the variables of what they bind.
   * @default - the defaults only
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * A stagegate Lambda: Node.js 22 on arm64, bundled by local esbuild to one
 * minified ESM file with source maps, the AWS SDK v3 taken from the runtime,
 * active X-Ray tracing, and its own log group with one month of retention.
 *
 * The function starts with no permission except writing to its log group
 * and sending traces; it gets the rest only through the `bind*` helpers,
 * which also set the environment variable the handler reads and acknowledge,
 * with a reason, the cdk-nag findings that the grant necessarily causes.
 *
 * The execution role and the log group are created next to the function (in
 * the same scope, ids `<id>Role` and `<id>LogGroup`) because they must exist
 * before the function does. The explicit role replaces Lambda's default
 * `AWSLambdaBasicExecutionRole`, which would allow writing to any log group.
 */
export class RegistryFunction extends NodejsFunction {
  /** The execution role; grants made by the `bind*` helpers land here. */
  readonly executionRole: IRole;

  constructor(scope: Construct, id: string, props: RegistryFunctionProps) {
    const executionRole = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: RetentionDays.ONE_MONTH,
    });

    super(scope, id, {
      entry: fromRepoRoot(props.entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: fromRepoRoot('package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      role: executionRole,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'stagegate',
        NODE_OPTIONS: '--enable-source-maps',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        // Some bundled dependencies are CommonJS and call `require`, which
        // does not exist in an ES module.
        banner:
          "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        minify: true,
        sourceMap: true,
        externalModules: ['@aws-sdk/*'],
      },
    });
    this.executionRole = executionRole;
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the product targets everywhere (ARCHITECTURE.md, decision 1: Lambda, local runs and tests); 24 is newer than that target.',
    });

    logGroup.grantWrite(executionRole);
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; the wildcard comes from active tracing.',
    });
  }

  /**
   * Lets the function use the registry table and sets `REGISTRY_TABLE_NAME`.
   *
   * The actions are listed rather than taken from `grantReadData`: `Scan` is
   * left out on purpose, so the "no Scan on any request path" rule
   * (ARCHITECTURE.md, decision 4) is enforced by IAM as well. The indexes are
   * named one by one from `registryTable`, so no wildcard is needed.
   *
   * @param table the table created from `registryTable`
   * @param access `read`: GetItem, BatchGetItem, Query, ConditionCheckItem,
   *   DescribeTable; `readWrite` adds PutItem, UpdateItem, DeleteItem,
   *   BatchWriteItem (transactions are authorized per item by these).
   */
  bindTable(table: ITable, access: TableAccess): this {
    const readActions = [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DescribeTable',
    ];
    const writeActions = [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ];
    this.addToRolePolicy(
      new PolicyStatement({
        actions:
          access === 'readWrite'
            ? [...readActions, ...writeActions]
            : readActions,
        resources: [
          table.tableArn,
          ...registryTable.globalSecondaryIndexes.map(
            (index) => `${table.tableArn}/index/${index.indexName}`
          ),
        ],
      })
    );
    this.addEnvironment('REGISTRY_TABLE_NAME', table.tableName);
    return this;
  }

  /**
   * Lets the function use the objects under `keyPrefix` of a bucket and sets
   * `ARTIFACT_BUCKET_NAME`. Call it once per prefix.
   *
   * Object actions are granted on `<bucket>/<keyPrefix>*` only, and listing
   * is limited to that prefix by an `s3:prefix` condition. The object-level
   * wildcard is acknowledged for cdk-nag, since object keys are not known in
   * advance.
   *
   * @param bucket the artifact bucket
   * @param access `read`: GetObject; `readWrite` adds PutObject and
   *   AbortMultipartUpload (presigned and multipart uploads); `delete`:
   *   DeleteObject; every level may list the prefix.
   * @param keyPrefix a key prefix ending in `/`, e.g. `tmp-external-source/`
   */
  bindBucket(bucket: IBucket, access: BucketAccess, keyPrefix: string): this {
    const objectActions: Record<BucketAccess, string[]> = {
      read: ['s3:GetObject'],
      readWrite: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      delete: ['s3:DeleteObject'],
    };
    const objects = bucket.arnForObjects(`${keyPrefix}*`);
    this.addToRolePolicy(
      new PolicyStatement({
        actions: objectActions[access],
        resources: [objects],
      })
    );
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${keyPrefix}*`] } },
      })
    );
    acknowledgeWildcardResource(
      this.executionRole,
      objects,
      `Artifact keys under ${keyPrefix} are created at run time (one per file of a model version); access is limited to that prefix.`
    );
    this.addEnvironment('ARTIFACT_BUCKET_NAME', bucket.bucketName);
    return this;
  }

  /**
   * Lets the function take part in the transition-request workflow and sets
   * `TRANSITION_REQUEST_STATE_MACHINE_ARN`.
   *
   * @param stateMachine the transition-request state machine; for the
   *   workflow's own function, an import by ARN (see `ApiStack`: a
   *   reference to the resource would close a dependency cycle)
   * @param access `request` (API groups): start executions, answer their
   *   task tokens (approve / reject / cancel) and read the state of their
   *   executions; `respond` (the function the Task states invoke, which
   *   forwards decisions): answer task tokens only, with SendTaskSuccess and
   *   SendTaskFailure.
   */
  bindTransitionRequestWorkflow(
    stateMachine: IStateMachine,
    access: WorkflowAccess
  ): this {
    if (access === 'respond') {
      this.addToRolePolicy(
        new PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
          resources: [stateMachine.stateMachineArn],
        })
      );
    } else {
      stateMachine.grantStartExecution(this);
      stateMachine.grantTaskResponse(this);
      const grant = stateMachine.grantExecution(
        this,
        'states:DescribeExecution'
      );
      for (const resource of grant.principalStatements.flatMap(
        (statement) => statement.resources
      )) {
        acknowledgeWildcardResource(
          this.executionRole,
          resource,
          'Execution ARNs are generated per transition request; DescribeExecution is limited to executions of this one state machine.'
        );
      }
    }
    this.addEnvironment(
      'TRANSITION_REQUEST_STATE_MACHINE_ARN',
      stateMachine.stateMachineArn
    );
    return this;
  }
}
