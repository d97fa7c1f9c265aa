import { readFileSync } from 'node:fs';
import { CfnElement, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type FunctionGroup,
  functionGroups,
  routeKey,
  routes,
} from '../../functions/http/routes.ts';
import { groupRoots, otherRoots } from '../../functions/roots/index.ts';
import { functionTimeoutSeconds } from '../../functions/shared/function-limits.ts';
import {
  environmentOf,
  type FunctionNeeds,
  needEnvironment,
} from '../../functions/shared/needs.ts';
import {
  handlerEntries,
  registrationFunctionName,
  TRANSITION_REQUEST_ASL,
  transitionRequestStateMachineName,
} from '../../infra/api-stack.ts';
import {
  buildApp,
  type StagegateApp,
  type StagegateDeployment,
} from '../../infra/build-app.ts';
import {
  type RegistryFunction,
  registryBundling,
} from '../../infra/constructs/registry-function.ts';
import { fromRepoRoot } from '../../infra/paths.ts';
import type { StageInput } from '../../infra/stage-config.ts';
import { artifactKeyPrefixes } from '../../infra/stateful-stack.ts';
import {
  type KeyAttribute,
  registryTable,
} from '../../infra/table-definition.ts';

/**
 * The stage most tests look at: every option on (gradual deployments, a
 * domain, alarm e-mail, backups, browser origins, its own settings).
 */
const TEST_STAGE = {
  name: 'test',
  owner: 'ml-platform',
  logRetentionDays: 90,
  logLevel: 'WARN',
  api: { rateLimit: 50, burstLimit: 80 },
  registry: { artifactUrlTtlSeconds: 600, cleanupMaxAgeHours: 12 },
  allowedOrigins: ['https://ml.example.com'],
  alarms: {
    email: 'oncall@example.com',
    api5xxRatePercent: 2,
    apiP99LatencyMs: 3000,
  },
  domain: {
    name: 'registry.example.com',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    hostedZoneName: 'example.com',
  },
  deployment: 'canary',
  backup: { retentionDays: 35 },
  noncurrentArtifactDays: 30,
} as const satisfies StageInput;

/** A second stage in the same app and account, with the defaults. */
const OTHER_STAGE = {
  name: 'other',
  owner: 'data-team',
  deployment: 'all-at-once',
  terminationProtection: false,
} as const satisfies StageInput;

let stagegate: StagegateApp;
let stateful: Template;
let api: Template;
let other: StagegateDeployment;
let otherStateful: Template;
let otherApi: Template;

beforeAll(() => {
  stagegate = buildApp({
    // Neither changes what these tests look at; both cost seconds.
    bundling: false,
    cloudFormationValidation: false,
    // An unacknowledged cdk-nag error then fails the cdk-nag test, with the
    // list of findings, instead of the synthesis every test depends on.
    context: { '@aws-cdk/core:failSynthOnValidationErrors': false },
    stages: [TEST_STAGE, OTHER_STAGE],
  });
  stateful = Template.fromStack(stagegate.stateful);
  api = Template.fromStack(stagegate.api);
  const second = stagegate.deployments[1];
  if (!second) throw new Error('the second stage was not built');
  other = second;
  otherStateful = Template.fromStack(other.stateful);
  otherApi = Template.fromStack(other.api);
});

function keySchema(partitionKey: KeyAttribute, sortKey: KeyAttribute) {
  return [
    { AttributeName: partitionKey.name, KeyType: 'HASH' },
    { AttributeName: sortKey.name, KeyType: 'RANGE' },
  ];
}

/** The one resource of `type` (matching `props`); fails otherwise. */
function onlyResource(template: Template, type: string, props?: object) {
  const entries = Object.entries(template.findResources(type, props));
  expect(entries, `exactly one ${type}`).toHaveLength(1);
  const [entry] = entries;
  if (!entry) throw new Error(`no ${type}`);
  const [id, resource] = entry;
  return { id, resource };
}

function logicalIdOf(stack: Stack, construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement)) {
    throw new Error(`${construct.node.path} wraps no CloudFormation element`);
  }
  return stack.getLogicalId(resource);
}

interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every statement of the inline policies attached to the role `roleId`. */
function statementsOfRole(template: Template, roleId: string) {
  return Object.values(
    template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
    })
  ).flatMap(
    (policy): PolicyStatementJson[] =>
      policy.Properties.PolicyDocument.Statement
  );
}

/** What reading the table's stream takes (the dispatcher's event source). */
const STREAM_ACTIONS = new Set([
  'dynamodb:ListStreams',
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
]);

function actionsOf(statement: PolicyStatementJson): string[] {
  return [statement.Action].flat();
}

/**
 * The one event source mapping of a function, which invokes its live
 * alias (named as `<function name>:live`).
 */
function mappingOf(fn: RegistryFunction) {
  const alias = logicalIdOf(stagegate.api, fn.live);
  const mappings = Object.values(
    api.findResources('AWS::Lambda::EventSourceMapping')
  ).filter((mapping) =>
    JSON.stringify(mapping.Properties.FunctionName).includes(`"${alias}"`)
  );
  const [mapping] = mappings;
  expect(mappings).toHaveLength(1);
  if (!mapping) throw new Error(`no event source mapping of ${alias}`);
  expect(JSON.stringify(mapping.Properties.FunctionName)).toContain(':live');
  return { resource: mapping };
}

/** The ARN of the test stage's scheduled-job-failures queue. */
function scheduledJobFailuresArn() {
  return {
    'Fn::GetAtt': [
      logicalIdOf(stagegate.api, stagegate.api.scheduledJobFailures.queue),
      'Arn',
    ],
  };
}

/** The state machine's definition as a string (CDK may render a Fn::Join). */
function definitionTextOf(definition: unknown): string {
  if (typeof definition === 'string') return definition;
  const [separator, parts] = (
    definition as { 'Fn::Join': [string, unknown[]] }
  )['Fn::Join'];
  return parts
    .map((part) => (typeof part === 'string' ? part : JSON.stringify(part)))
    .join(separator);
}

/**
 * The text CloudFormation deploys for a DefinitionString: each `${Key}` is
 * replaced by `DefinitionSubstitutions[Key]`, a value resolved at deployment
 * that is rendered here as `{{Fn::GetAtt:<logical id>.<attribute>}}`.
 */
function substituteDefinition(
  definition: string,
  substitutions: Readonly<Record<string, unknown>>
): string {
  return definition.replaceAll(/\$\{(\w+)\}/g, (placeholder, key: string) => {
    const value = substitutions[key];
    if (value === undefined) return placeholder;
    return typeof value === 'string' ? value : renderIntrinsic(value);
  });
}

function renderIntrinsic(value: unknown): string {
  const ref = (value as { Ref?: string }).Ref;
  if (ref) return `{{Ref:${ref}}}`;
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (!getAtt) throw new Error(`unexpected value ${JSON.stringify(value)}`);
  return `{{Fn::GetAtt:${getAtt[0]}.${getAtt[1]}}}`;
}

type Resources = Record<string, { DependsOn?: string | string[] }>;

/**
 * The logical ids a template value refers to: `Ref`, `Fn::GetAtt` and the
 * `${Id}` / `${Id.Attribute}` of `Fn::Sub` (pseudo parameters included;
 * callers keep the ids they know).
 */
function referencesIn(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencesIn(item, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') into.add(inner);
      else if (key === 'Fn::GetAtt') {
        const target = Array.isArray(inner) ? inner[0] : inner;
        if (typeof target === 'string') into.add(target.split('.')[0] ?? '');
      } else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? inner[0] : inner;
        if (typeof text === 'string') {
          for (const [, id] of text.matchAll(/\$\{([^!.}]+)[^}]*\}/g)) {
            if (id) into.add(id);
          }
        }
        referencesIn(Array.isArray(inner) ? inner[1] : undefined, into);
      } else referencesIn(inner, into);
    }
  }
  return into;
}

/** Each resource → the resources CloudFormation must create before it. */
function dependencyGraph(resources: Resources): Map<string, Set<string>> {
  const ids = new Set(Object.keys(resources));
  return new Map(
    Object.entries(resources).map(([id, resource]) => {
      const needs = referencesIn(resource);
      for (const dependency of [resource.DependsOn ?? []].flat()) {
        needs.add(dependency);
      }
      return [id, new Set([...needs].filter((need) => ids.has(need)))];
    })
  );
}

/** Everything `id` waits for, directly or through others. */
function dependenciesOf(
  graph: ReadonlyMap<string, ReadonlySet<string>>,
  id: string
): Set<string> {
  const seen = new Set<string>();
  const pending = [...(graph.get(id) ?? [])];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...(graph.get(next) ?? []));
  }
  return seen;
}

/**
 * An order in which every resource comes after what it needs.
 * @throws naming the resources on a dependency cycle.
 */
function creationOrder(graph: ReadonlyMap<string, ReadonlySet<string>>) {
  const order: string[] = [];
  const placed = new Set<string>();
  while (placed.size < graph.size) {
    const ready = [...graph]
      .filter(
        ([id, needs]) =>
          !placed.has(id) && [...needs].every((need) => placed.has(need))
      )
      .map(([id]) => id)
      .sort();
    if (ready.length === 0) {
      const stuck = [...graph.keys()].filter((id) => !placed.has(id));
      throw new Error(`dependency cycle among ${stuck.join(', ')}`);
    }
    for (const id of ready) placed.add(id);
    order.push(...ready);
  }
  return order;
}

/** The other stacks' outputs a template reads (cross-stack references). */
function stackOutputsRead(
  value: unknown
): { stackName: unknown; outputName: unknown }[] {
  if (Array.isArray(value)) return value.flatMap(stackOutputsRead);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    if (key === 'Fn::GetStackOutput') {
      const { StackName, OutputName } = inner as Record<string, unknown>;
      return [{ stackName: StackName, outputName: OutputName }];
    }
    if (key === 'Fn::ImportValue') {
      return [{ stackName: undefined, outputName: inner }];
    }
    return stackOutputsRead(inner);
  });
}

/**
 * What a function may reach: the least privilege its operations need. The
 * tests hold the synthesized IAM policies to it, whatever wires them.
 */
interface Reach {
  /** Reads and writes the registry table. */
  readonly table: boolean;
  /**
   * Transition-request executions: start them and answer their task
   * tokens (`request`), or only answer (`respond`).
   */
  readonly workflow?: 'request' | 'respond';
  /** Any S3 action on the artifact bucket (the prefixes: below). */
  readonly artifacts: boolean;
}

/** Every group is listed: a new one does not compile until decided here. */
const groupReach: Record<FunctionGroup, Reach> = {
  health: { table: false, artifacts: false },
  // Writes here can make transition requests stale, which the workflow
  // closes.
  'registered-models': { table: true, workflow: 'request', artifacts: false },
  // Starts registrations (the registration function copies); lists and
  // HEADs the files at a version's source to pin what is copied.
  'model-versions': { table: true, workflow: 'request', artifacts: true },
  'transition-requests': { table: true, workflow: 'request', artifacts: false },
  tokens: { table: true, artifacts: false },
  'token-management': { table: true, artifacts: false },
  scim: { table: true, artifacts: false },
  permissions: { table: true, artifacts: false },
  artifacts: { table: true, artifacts: true },
  // Temporary copies (DBFS API): the one function artifact bytes pass.
  dbfs: { table: true, artifacts: true },
  oauth: { table: true, artifacts: false },
  workspace: { table: true, artifacts: false },
  'registry-webhooks': { table: true, artifacts: false },
  // Decides requests from e-mail links, as 'transition-requests' does.
  'email-callbacks': { table: true, workflow: 'request', artifacts: false },
  // The replay guard's conditional puts; decisions are the actions'.
  'slack-callbacks': { table: true, artifacts: false },
};

const workflowReach: Reach = {
  table: true,
  workflow: 'respond',
  artifacts: false,
};

describe('cdk-nag', () => {
  it.each(
    [
      ['AwsSolutions', () => new AwsSolutionsChecks()],
      ['Serverless', () => new ServerlessChecks()],
    ].flatMap(([pack, checks]) =>
      [
        ['test stateful', () => stagegate.stateful],
        ['test API', () => stagegate.api],
        ['other stateful', () => other.stateful],
        ['other API', () => other.api],
        ['test web', () => stagegate.web],
        ['other web', () => other.web],
      ].map(
        ([stack, of]) =>
          [pack, stack, checks, of] as [
            string,
            string,
            () => AwsSolutionsChecks | ServerlessChecks,
            () => Stack,
          ]
      )
    )
  )(
    '%s reports no unacknowledged error or warning in the %s stack',
    (_pack, _stack, checks, stack) => {
      // Prepare
      // After synthesis (beforeAll), like `cdk synth`: wildcard resources of
      // another stack are acknowledged only once references are resolved.

      // Act
      const report = checks().validateScope(stack());

      // Assess
      const findings = report.violations.flatMap((violation) =>
        violation.violatingResources.map(
          (resource) =>
            `${violation.severity} ${violation.ruleName} at ${resource.constructPath}`
        )
      );
      expect(findings).toEqual([]);
    }
  );
});

describe('stacks', () => {
  it('deploys the stateful stack first: the API stack reads outputs it publishes, and it reads no other stack', () => {
    // Prepare
    const published = Object.keys(stateful.toJSON().Outputs ?? {});

    // Act
    const readByApi = stackOutputsRead(api.toJSON());
    const readByStateful = stackOutputsRead(stateful.toJSON());

    // Assess
    expect(readByStateful).toEqual([]);
    expect(readByApi.length).toBeGreaterThan(0);
    for (const read of readByApi) {
      expect(read.stackName).toBe(stagegate.stateful.stackName);
      expect(published).toContain(read.outputName);
    }
    expect(stagegate.api.dependencies).toEqual([stagegate.stateful]);
    expect(stagegate.stateful.dependencies).toEqual([]);
  });

  it.each([
    ['stateful', () => stateful],
    ['API', () => api],
  ])(
    'lets CloudFormation create every resource of the %s stack in some order',
    (_, template) => {
      // Act
      const order = creationOrder(
        dependencyGraph(template().toJSON().Resources)
      );

      // Assess
      expect(order.sort()).toEqual(
        Object.keys(template().toJSON().Resources).sort()
      );
    }
  );
});

describe('StatefulStack', () => {
  describe('registry table', () => {
    it('is on-demand with point-in-time recovery and the definition TTL', () => {
      stateful.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: {
          AttributeName: registryTable.timeToLiveAttribute,
          Enabled: true,
        },
        SSESpecification: { SSEEnabled: true },
      });
    });

    it('has exactly the keys and indexes of registryTable', () => {
      // Prepare
      const expectedIndexes = registryTable.globalSecondaryIndexes.map(
        (index) => ({
          IndexName: index.indexName,
          KeySchema: keySchema(index.partitionKey, index.sortKey),
          Projection: { ProjectionType: 'ALL' },
        })
      );
      const keyAttributes = [
        registryTable.partitionKey,
        registryTable.sortKey,
        ...registryTable.globalSecondaryIndexes.flatMap((index) => [
          index.partitionKey,
          index.sortKey,
        ]),
      ];

      // Act
      const { resource } = onlyResource(stateful, 'AWS::DynamoDB::Table');

      // Assess
      expect(resource.Properties.KeySchema).toEqual(
        keySchema(registryTable.partitionKey, registryTable.sortKey)
      );
      expect(resource.Properties.GlobalSecondaryIndexes).toEqual(
        expectedIndexes
      );
      expect(
        new Map(
          resource.Properties.AttributeDefinitions.map(
            (a: { AttributeName: string; AttributeType: string }) => [
              a.AttributeName,
              a.AttributeType,
            ]
          )
        )
      ).toEqual(new Map(keyAttributes.map((key) => [key.name, key.type])));
    });

    it('is retained when the stack or the resource goes away', () => {
      stateful.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });
  });

  describe('artifact bucket', () => {
    const artifactBucket = () =>
      onlyResource(stateful, 'AWS::S3::Bucket', {
        Properties: { VersioningConfiguration: { Status: 'Enabled' } },
      });

    it('blocks every kind of public access', () => {
      expect(
        artifactBucket().resource.Properties.PublicAccessBlockConfiguration
      ).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    });

    it('is versioned, encrypted, logged and retained', () => {
      // Act
      const { resource } = artifactBucket();

      // Assess
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      });
      expect(resource.Properties.LoggingConfiguration).toMatchObject({
        DestinationBucketName: { Ref: expect.any(String) },
      });
    });

    it('denies every request not made over TLS, also once the stack is gone', () => {
      stateful.hasResource('AWS::S3::BucketPolicy', {
        DeletionPolicy: 'Retain',
        Properties: {
          Bucket: { Ref: artifactBucket().id },
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Action: 's3:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        },
      });
    });

    it('expires temporary uploads after 7 days and aborts multipart uploads a week old', () => {
      expect(
        artifactBucket().resource.Properties.LifecycleConfiguration.Rules
      ).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Prefix: artifactKeyPrefixes.temporary,
            ExpirationInDays: 7,
            Status: 'Enabled',
          }),
          expect.objectContaining({
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            Status: 'Enabled',
          }),
        ])
      );
    });

    it("lets browsers of the stage's origins PUT and GET through presigned URLs and read the ETag", () => {
      expect(
        artifactBucket().resource.Properties.CorsConfiguration.CorsRules
      ).toEqual([
        expect.objectContaining({
          AllowedMethods: ['PUT', 'GET'],
          AllowedOrigins: ['https://ml.example.com'],
          ExposedHeaders: ['ETag'],
        }),
      ]);
    });

    it('allows no cross-origin request in a stage without origins', () => {
      // Act
      const [bucket] = Object.values(
        otherStateful.findResources('AWS::S3::Bucket', {
          Properties: { VersioningConfiguration: { Status: 'Enabled' } },
        })
      );

      // Assess
      expect(bucket?.Properties).toBeDefined();
      expect(bucket?.Properties.CorsConfiguration).toBeUndefined();
    });

    it("removes managed files' noncurrent versions and delete markers after the stage's retention", () => {
      expect(
        artifactBucket().resource.Properties.LifecycleConfiguration.Rules
      ).toContainEqual(
        expect.objectContaining({
          Prefix: artifactKeyPrefixes.managed,
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          ExpiredObjectDeleteMarker: true,
          Status: 'Enabled',
        })
      );
    });
  });
});

describe('ApiStack', () => {
  describe('HTTP API', () => {
    it('serves the $default stage with access logs and throttling', () => {
      api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        AccessLogSettings: {
          DestinationArn: Match.anyValue(),
          Format: Match.stringLikeRegexp('\\$context\\.requestId'),
        },
        DefaultRouteSettings: {
          ThrottlingBurstLimit: 80,
          ThrottlingRateLimit: 50,
        },
      });
    });

    it('has one route per route table entry, plus $default', () => {
      // Act
      const routeKeys = Object.values(
        api.findResources('AWS::ApiGatewayV2::Route')
      ).map((resource) => resource.Properties.RouteKey);

      // Assess
      expect(routeKeys.sort()).toEqual(
        [...routes.map(routeKey), '$default'].sort()
      );
    });

    it('puts the Lambda authorizer on every route except the public ones', () => {
      // Prepare
      const authorizer = onlyResource(api, 'AWS::ApiGatewayV2::Authorizer');
      const byKey = new Map(
        Object.values(api.findResources('AWS::ApiGatewayV2::Route')).map(
          (resource) => [resource.Properties.RouteKey, resource.Properties]
        )
      );
      const protectedKeys = [
        ...routes
          .filter((route) => route.action !== 'public')
          .map((route) => routeKey(route)),
        '$default',
      ];
      const publicKeys = routes
        .filter((route) => route.action === 'public')
        .map((route) => routeKey(route));

      // Assess
      expect(publicKeys).toContain('GET /health');
      for (const key of protectedKeys) {
        expect(byKey.get(key), key).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizer.id },
        });
      }
      for (const key of publicKeys) {
        const props = byKey.get(key);
        expect(props?.AuthorizationType ?? 'NONE', key).toBe('NONE');
        expect(props?.AuthorizerId, key).toBeUndefined();
      }
    });

    it("integrates each route with the live alias of its group's Lambda", () => {
      // Prepare
      const functionOfIntegration = new Map(
        Object.entries(api.findResources('AWS::ApiGatewayV2::Integration')).map(
          ([id, resource]) => [id, resource.Properties.IntegrationUri.Ref]
        )
      );

      // Act
      const functionOfRoute = new Map(
        Object.values(api.findResources('AWS::ApiGatewayV2::Route')).map(
          (resource) => {
            // Target: { 'Fn::Join': ['', ['integrations/', { Ref: id }]] }
            const integrationId =
              resource.Properties.Target['Fn::Join'][1][1].Ref;
            return [
              resource.Properties.RouteKey,
              functionOfIntegration.get(integrationId),
            ];
          }
        )
      );

      // Assess
      for (const route of routes) {
        const fn = stagegate.api.groupFunctions.get(route.group);
        expect(fn, route.group).toBeDefined();
        if (fn) {
          expect(functionOfRoute.get(routeKey(route)), routeKey(route)).toBe(
            logicalIdOf(stagegate.api, fn.live)
          );
        }
      }
      expect(functionOfRoute.get('$default')).toBe(
        logicalIdOf(stagegate.api, stagegate.api.notFoundFunction.live)
      );
    });

    it('runs the authorizer on every request and expects an IAM policy back', () => {
      // Act
      const { resource } = onlyResource(api, 'AWS::ApiGatewayV2::Authorizer');

      // Assess
      expect(resource.Properties).toMatchObject({
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        AuthorizerResultTtlInSeconds: 0,
      });
      expect(resource.Properties.EnableSimpleResponses ?? false).toBe(false);
      expect(resource.Properties.IdentitySource).toBeUndefined();
      expect(resource.Properties.AuthorizerUri['Fn::Join'][1]).toContainEqual({
        Ref: logicalIdOf(stagegate.api, stagegate.api.authorizerFunction.live),
      });
    });
  });

  describe('Slack', () => {
    it('creates the Slack secret for the operator to fill, read by the callback, the dispatcher and the actions only', () => {
      // Prepare
      const secretId = logicalIdOf(stagegate.api, stagegate.api.slackSecret);

      // Act
      const readers = Object.entries(api.findResources('AWS::IAM::Policy'))
        .filter(([, policy]) =>
          (policy.Properties.PolicyDocument.Statement as PolicyStatementJson[])
            .filter((statement) =>
              actionsOf(statement).some((a) => a.startsWith('secretsmanager:'))
            )
            .some((statement) =>
              // CDK merges statements of one action into one resource list.
              [statement.Resource]
                .flat()
                .some(
                  (resource) =>
                    JSON.stringify(resource) ===
                    JSON.stringify({ Ref: secretId })
                )
            )
        )
        .map(([id]) => id);

      // Assess
      // The other secret is the e-mail link key ('e-mail' below).
      api.resourceCountIs('AWS::SecretsManager::Secret', 2);
      expect(api.toJSON().Resources[secretId].DeletionPolicy).toBe('Delete');
      expect(readers).toHaveLength(3);
    });

    it('reads the secret through the Parameters and Secrets extension, in exactly the functions that may', () => {
      // Act
      const withLayer = Object.entries(
        api.findResources('AWS::Lambda::Function')
      )
        .filter(([, fn]) =>
          // CDK's region map of the extension's layer versions.
          JSON.stringify(fn.Properties.Layers ?? []).includes(
            'ParamsandsecretslayerMap'
          )
        )
        .map(([id]) => id)
        .sort();

      // Assess
      expect(withLayer).toEqual(
        [
          stagegate.api.slackActionsFunction,
          stagegate.api.eventDispatcherFunction,
          stagegate.api.groupFunctions.get('slack-callbacks'),
          // The OAuth signing key (below).
          stagegate.api.authorizerFunction,
          stagegate.api.groupFunctions.get('oauth'),
        ]
          .map((fn) => logicalIdOf(stagegate.api, fn as RegistryFunction))
          .sort()
      );
    });

    it('runs each click once: no asynchronous retry of the actions function', () => {
      api.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: {
          Ref: logicalIdOf(stagegate.api, stagegate.api.slackActionsFunction),
        },
        MaximumRetryAttempts: 0,
      });
    });

    it('links messages to the version pages of this registry, at its public URL', () => {
      for (const fn of [
        stagegate.api.slackActionsFunction,
        stagegate.api.eventDispatcherFunction,
      ]) {
        const { Properties } =
          api.toJSON().Resources[logicalIdOf(stagegate.api, fn)];
        // The test stage has a custom domain: the registry's stable URL.
        expect(Properties.Environment.Variables.STAGEGATE_PUBLIC_URL).toBe(
          `https://${TEST_STAGE.domain?.name}`
        );
      }
    });
  });

  describe('functions', () => {
    it('has one function per group, the authorizer, not-found, cleanup, the workflow, the registration function and its watchdog, the event dispatcher, the webhook deliveries, the reminders and the Slack actions', () => {
      api.resourceCountIs('AWS::Lambda::Function', functionGroups.length + 10);
    });

    it('grants dynamodb:Scan to nobody', () => {
      // Act
      const actions = Object.values(
        api.findResources('AWS::IAM::Policy')
      ).flatMap((policy) =>
        (policy.Properties.PolicyDocument.Statement as PolicyStatementJson[])
          .filter((statement) => statement.Effect === 'Allow')
          .flatMap(actionsOf)
      );

      // Assess
      expect(actions).toContain('dynamodb:Query');
      expect(actions).not.toContain('dynamodb:Scan');
      expect(actions).not.toContain('dynamodb:*');
    });

    /**
     * Every function with the root its entry point builds: the root's
     * needs are what the function is granted, and the only resources its
     * handler can be wired with (`ResourcesFor`, `awsResourcesFromEnv`).
     */
    const functionsWithRoots: {
      name: string;
      needs: FunctionNeeds;
      fn: () => RegistryFunction | undefined;
    }[] = [
      ...functionGroups.map((group) => ({
        name: group,
        needs: groupRoots[group].needs,
        fn: () => stagegate.api.groupFunctions.get(group),
      })),
      ...(
        [
          ['authorizer', () => stagegate.api.authorizerFunction],
          ['notFound', () => stagegate.api.notFoundFunction],
          ['cleanup', () => stagegate.api.cleanupFunction],
          ['registration', () => stagegate.api.registrationFunction],
          [
            'registrationWatchdog',
            () => stagegate.api.registrationWatchdogFunction,
          ],
          [
            'transitionRequestWorkflow',
            () => stagegate.api.transitionRequestWorkflowFunction,
          ],
          ['eventDispatcher', () => stagegate.api.eventDispatcherFunction],
          ['webhookDeliveries', () => stagegate.api.webhookDeliveriesFunction],
          ['reminders', () => stagegate.api.remindersFunction],
          ['slackActions', () => stagegate.api.slackActionsFunction],
        ] as const
      ).map(([name, fn]) => ({ name, needs: otherRoots[name].needs, fn })),
    ];

    it('builds every function from a root', () => {
      // Assess
      expect(functionsWithRoots.map(({ name }) => name).sort()).toStrictEqual(
        [...functionGroups, ...Object.keys(handlerEntries)].sort()
      );
    });

    describe.each(functionsWithRoots)('$name function', ({ needs, fn }) => {
      const functionOf = () => {
        const registryFunction = fn();
        if (!registryFunction) throw new Error('no function');
        const { Properties } =
          api.toJSON().Resources[logicalIdOf(stagegate.api, registryFunction)];
        return {
          environment: (Properties.Environment?.Variables ?? {}) as Record<
            string,
            unknown
          >,
          statements: statementsOfRole(
            api,
            logicalIdOf(stagegate.api, registryFunction.executionRole)
          ),
        };
      };

      it('carries the variables of its needs, and no other resource name', () => {
        // Act
        const { environment } = functionOf();
        const resourceVariables = new Set<string>(
          Object.values(needEnvironment)
        );

        // Assess
        expect(
          Object.keys(environment)
            .filter((name) => resourceVariables.has(name))
            .sort()
        ).toStrictEqual(environmentOf(needs));
      });

      it(`${needs.table ? `may ${needs.table.access} the table and the indexes ${needs.table.indexes.join(', ') || '(none)'}` : 'has no access to the table'}, as its root declares`, () => {
        // Act
        // The table's stream is the dispatcher's trigger, granted with its
        // event source (see 'registry events'), not a table need.
        const dynamodb = functionOf().statements.filter((statement) =>
          actionsOf(statement).some(
            (action) =>
              action.startsWith('dynamodb:') && !STREAM_ACTIONS.has(action)
          )
        );

        // Assess
        if (!needs.table) {
          expect(dynamodb).toEqual([]);
          return;
        }
        const read = [
          'dynamodb:BatchGetItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DescribeTable',
          'dynamodb:GetItem',
          'dynamodb:Query',
        ];
        const write = [
          'dynamodb:BatchWriteItem',
          'dynamodb:DeleteItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ];
        expect(dynamodb).toHaveLength(1);
        const [statement] = dynamodb;
        expect(actionsOf(statement as PolicyStatementJson).sort()).toEqual(
          (needs.table.access === 'readWrite'
            ? [...read, ...write]
            : read
          ).sort()
        );
        const resources = [(statement as PolicyStatementJson).Resource].flat();
        expect(resources).toHaveLength(1 + needs.table.indexes.length);
        const [tableArn, ...indexArns] = resources.map((resource) =>
          JSON.stringify(resource)
        );
        expect(tableArn).toContain('RegistryTable');
        expect(tableArn).not.toContain('/index/');
        expect(indexArns).toEqual(
          needs.table.indexes.map((index) =>
            expect.stringContaining(`/index/${index}"`)
          )
        );
      });

      it(`${needs.transitionRequestWorkflow ? `may ${{ request: 'start and answer', respond: 'answer', reconcile: 'start, answer and describe' }[needs.transitionRequestWorkflow]}` : 'has no access to'} transition-request executions (and nothing more), as its root declares`, () => {
        // Prepare
        const stateMachineId = logicalIdOf(
          stagegate.api,
          stagegate.api.transitionRequestStateMachine
        );

        // Act
        const { environment, statements } = functionOf();
        const states = statements.filter((statement) =>
          actionsOf(statement).some((action) => action.startsWith('states:'))
        );
        const statesActions = states.flatMap(actionsOf);

        // Assess
        // Exactly the calls its adapter makes (SfnApprovalWorkflow): it
        // never fails a task or sends a heartbeat, and only the scheduled
        // reconciliation reads executions.
        const expected = {
          respond: ['states:SendTaskSuccess'],
          request: ['states:SendTaskSuccess', 'states:StartExecution'],
          reconcile: [
            'states:DescribeExecution',
            'states:SendTaskSuccess',
            'states:StartExecution',
          ],
        };
        if (!needs.transitionRequestWorkflow) {
          expect(statesActions).toEqual([]);
          return;
        }
        expect(statesActions.sort()).toEqual(
          expected[needs.transitionRequestWorkflow]
        );
        const arn = environment.TRANSITION_REQUEST_STATE_MACHINE_ARN;
        if (needs.transitionRequestWorkflow === 'respond') {
          // The ARN is built from the fixed name: a reference to the state
          // machine would close a cycle through its definition.
          expect(JSON.stringify(arn)).toContain(
            `:stateMachine:${transitionRequestStateMachineName('stagegate-test')}`
          );
          expect(JSON.stringify(arn)).not.toContain(stateMachineId);
        } else {
          expect(arn).toEqual({ Ref: stateMachineId });
        }
        for (const statement of states) {
          const actions = actionsOf(statement);
          const resource = JSON.stringify(statement.Resource);
          if (actions.includes('states:DescribeExecution')) {
            expect(actions).toEqual(['states:DescribeExecution']);
            expect(resource).toContain(':execution:');
            expect(resource).toContain(stateMachineId);
          } else {
            expect(statement.Resource).toEqual(arn);
          }
        }
      });

      it(`${needs.bucket ? `uses only the prefixes ${needs.bucket.map((p) => p.prefix).join(', ')} of the bucket` : 'has no S3 access'}, as its root declares`, () => {
        // Act
        const { statements } = functionOf();
        const s3 = statements.filter((statement) =>
          actionsOf(statement).some((action) => action.startsWith('s3:'))
        );
        // CDK merges statements with the same actions into one with several
        // resources: each resource is matched on its own.
        const objectPrefixes = s3
          .filter(
            (statement) => !actionsOf(statement).includes('s3:ListBucket')
          )
          .flatMap((statement) => [statement.Resource].flat())
          .map(
            (resource) =>
              Object.entries(artifactKeyPrefixes).find(([, prefix]) =>
                JSON.stringify(resource).includes(`/${prefix}*`)
              )?.[0]
          );
        const listed = s3
          .filter((statement) => actionsOf(statement).includes('s3:ListBucket'))
          .flatMap(
            (statement) =>
              (
                statement as PolicyStatementJson & {
                  Condition?: { StringLike?: { 's3:prefix'?: string[] } };
                }
              ).Condition?.StringLike?.['s3:prefix'] ?? ['<unconditioned>']
          );

        // Assess
        expect([...new Set(objectPrefixes)].sort()).toEqual(
          [...new Set((needs.bucket ?? []).map(({ prefix }) => prefix))].sort()
        );
        expect(listed.sort()).toEqual(
          (needs.bucket ?? [])
            .filter(({ list }) => list)
            .map(({ prefix }) => `${artifactKeyPrefixes[prefix]}*`)
            .sort()
        );
      });

      it(`${needs.registrations ? 'may' : 'may not'} invoke the registration function${needs.slackActions ? ' (and may invoke the Slack actions function)' : ''}, as its root declares`, () => {
        // Act
        const invokes = functionOf()
          .statements.flatMap(actionsOf)
          .filter((action) => action === 'lambda:InvokeFunction');

        // Assess
        expect(invokes).toHaveLength(
          (needs.registrations ? 1 : 0) + (needs.slackActions ? 1 : 0)
        );
        // The live alias, never the function or another version.
        for (const statement of functionOf().statements) {
          if (actionsOf(statement).includes('lambda:InvokeFunction')) {
            expect(JSON.stringify(statement.Resource)).toMatch(/live|Live/);
          }
        }
      });

      it(`may read ${[needs.slackSecret ? 'the Slack secret' : '', needs.emailLinkKey ? 'the e-mail link key' : ''].filter(Boolean).join(' and ') || 'no secret'}, as its root declares`, () => {
        // Act
        // (the OAuth signing key is another secret, tested below)
        const secrets = functionOf().statements.filter(
          (statement) =>
            actionsOf(statement).some((action) =>
              action.startsWith('secretsmanager:')
            ) && !JSON.stringify(statement).includes('OAuthSigningKey')
        );

        // Assess
        // CDK merges statements of one action into one resource list.
        expect([...new Set(secrets.flatMap(actionsOf))]).toEqual(
          secrets.length > 0 ? ['secretsmanager:GetSecretValue'] : []
        );
        const readable = (secret: IConstruct) => ({
          Ref: logicalIdOf(stagegate.api, secret),
        });
        expect(
          secrets.flatMap((statement) => [statement.Resource].flat())
        ).toEqual([
          ...(needs.emailLinkKey ? [readable(stagegate.api.emailLinkKey)] : []),
          ...(needs.slackSecret ? [readable(stagegate.api.slackSecret)] : []),
        ]);
      });
    });

    it('declares in each root no more than the least-privilege table allows', () => {
      // Act
      const declared = Object.fromEntries(
        [
          ...functionGroups.map((group) => [group, groupRoots[group].needs]),
          [
            'transition-request workflow',
            otherRoots.transitionRequestWorkflow.needs,
          ],
        ].map(([name, needs]) => {
          const of = needs as FunctionNeeds;
          return [
            name,
            {
              table: of.table !== undefined,
              workflow: of.transitionRequestWorkflow,
              artifacts: of.bucket !== undefined,
            },
          ];
        })
      );

      // Assess
      expect(declared).toStrictEqual(
        Object.fromEntries([
          ...functionGroups.map((group) => [
            group,
            { workflow: undefined, ...groupReach[group] },
          ]),
          ['transition-request workflow', workflowReach],
        ])
      );
    });

    it('configures every function with exactly the resources its policy grants', () => {
      // Prepare: each configured resource, the variable naming it and the
      // actions on it.
      const resources = [
        { variable: 'REGISTRY_TABLE_NAME', service: 'dynamodb:' },
        {
          variable: 'TRANSITION_REQUEST_STATE_MACHINE_ARN',
          service: 'states:',
        },
        {
          variable: 'WEBHOOK_QUEUE_URL',
          service: 'sqs:',
          // Not the failure queues: Lambda's on-failure destinations send
          // with the function's role.
          on: [
            logicalIdOf(stagegate.api, stagegate.api.webhookQueue),
            logicalIdOf(stagegate.api, stagegate.api.webhookDeadLetterQueue),
          ],
        },
        { variable: 'EVENT_BUS_NAME', service: 'events:' },
      ];

      // Act
      const mismatches = Object.entries(
        api.findResources('AWS::Lambda::Function')
      ).flatMap(([id, { Properties }]) => {
        const environment: Record<string, unknown> =
          Properties.Environment?.Variables ?? {};
        const statements = statementsOfRole(
          api,
          Properties.Role['Fn::GetAtt'][0]
        );
        const granted = (service: string, on?: string[]) =>
          statements.some(
            (statement) =>
              actionsOf(statement).some((action) =>
                action.startsWith(service)
              ) &&
              (on === undefined ||
                on.some((id) =>
                  JSON.stringify(statement.Resource).includes(`"${id}"`)
                ))
          );
        return [
          ...resources
            .filter(
              ({ variable, service, on }) =>
                variable in environment !== granted(service, on)
            )
            .map(
              ({ variable }) =>
                `${id}: ${variable} without its grant, or the reverse`
            ),
          // A grant on the bucket is of no use without its name.
          ...(granted('s3:') && !('ARTIFACT_BUCKET_NAME' in environment)
            ? [`${id}: S3 actions without ARTIFACT_BUCKET_NAME`]
            : []),
        ];
      });

      // Assess
      expect(mismatches).toEqual([]);
      expect(
        Object.keys(api.findResources('AWS::Lambda::Function')).length
      ).toBeGreaterThan(functionGroups.length);
    });

    describe('artifact access', () => {
      function statementsOf(fn: IConstruct & { executionRole: IConstruct }) {
        return statementsOfRole(
          api,
          logicalIdOf(stagegate.api, fn.executionRole)
        );
      }

      function environmentOf(fn: IConstruct) {
        return (api.toJSON().Resources[logicalIdOf(stagegate.api, fn)]
          .Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
      }

      /** The S3 actions granted on objects under `prefix`, sorted. */
      function objectActions(
        statements: PolicyStatementJson[],
        prefix: string
      ): string[] {
        return statements
          .filter((statement) =>
            JSON.stringify(statement.Resource).includes(`/${prefix}*`)
          )
          .flatMap(actionsOf)
          .sort();
      }

      function listedPrefixes(statements: PolicyStatementJson[]): string[] {
        return statements
          .filter((statement) => actionsOf(statement).includes('s3:ListBucket'))
          .flatMap(
            (statement) =>
              (
                statement as PolicyStatementJson & {
                  Condition?: { StringLike?: { 's3:prefix'?: string[] } };
                }
              ).Condition?.StringLike?.['s3:prefix'] ?? ['<unconditioned>']
          );
      }

      it('lets the artifacts group presign PUTs into the temporary prefix and GETs of the managed one, and list only the latter', () => {
        // Prepare
        const fn = stagegate.api.groupFunctions.get('artifacts');
        if (!fn) throw new Error('no artifacts function');

        // Act
        const statements = statementsOf(fn);

        // Assess
        expect(
          objectActions(statements, artifactKeyPrefixes.temporary)
        ).toEqual(['s3:GetObject', 's3:PutObject']);
        expect(objectActions(statements, artifactKeyPrefixes.managed)).toEqual([
          's3:GetObject',
        ]);
        expect(listedPrefixes(statements)).toEqual([
          `${artifactKeyPrefixes.managed}*`,
        ]);
        expect(environmentOf(fn).ARTIFACT_BUCKET_NAME).toBeDefined();
      });

      it('lets model-versions invoke the registration function, and only list and read the temporary and managed prefixes', () => {
        // Prepare
        const fn = stagegate.api.groupFunctions.get('model-versions');
        if (!fn) throw new Error('no model-versions function');
        const registrationAlias = {
          Ref: logicalIdOf(
            stagegate.api,
            stagegate.api.registrationFunction.live
          ),
        };

        // Act
        const statements = statementsOf(fn);
        const environment = environmentOf(fn);

        // Assess: what creating a version from a temporary copy or a
        // managed version reads (list, HEAD), and no write
        expect(
          objectActions(statements, artifactKeyPrefixes.temporary)
        ).toEqual(['s3:GetObject']);
        expect(objectActions(statements, artifactKeyPrefixes.managed)).toEqual([
          's3:GetObject',
        ]);
        expect(listedPrefixes(statements).sort()).toEqual(
          [
            `${artifactKeyPrefixes.managed}*`,
            `${artifactKeyPrefixes.temporary}*`,
          ].sort()
        );
        expect(
          statements.filter((statement) =>
            actionsOf(statement).includes('lambda:InvokeFunction')
          )
        ).toEqual([
          expect.objectContaining({
            Effect: 'Allow',
            Resource: registrationAlias,
          }),
        ]);
        expect(environment.REGISTRATION_FUNCTION_NAME).toEqual(
          stagegate.api.resolve(
            stagegate.api.registrationFunction.live.functionName
          )
        );
        expect(environment.ARTIFACT_BUCKET_NAME).toBeDefined();
      });

      it('lets the registration function copy pinned versions from the temporary and managed prefixes into the managed one, without listing', () => {
        // Prepare
        const fn = stagegate.api.registrationFunction;

        // Act
        const statements = statementsOf(fn);

        // Assess
        expect(
          objectActions(statements, artifactKeyPrefixes.temporary)
        ).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
        // Managed versions are also sources (`models:/`): pinned reads too.
        expect([
          ...new Set(objectActions(statements, artifactKeyPrefixes.managed)),
        ]).toEqual([
          's3:AbortMultipartUpload',
          's3:DeleteObject',
          's3:GetObject',
          's3:GetObjectVersion',
          's3:PutObject',
        ]);
        expect(listedPrefixes(statements)).toEqual([]);
        expect(environmentOf(fn).REGISTRATION_FUNCTION_NAME).toBe(
          `${registrationFunctionName('stagegate-test')}:live`
        );
      });

      it('runs the registration for up to 15 minutes, invoked asynchronously through its alias without retries, failures to a queue, continuing by invoking its alias', () => {
        // Prepare
        const id = logicalIdOf(
          stagegate.api,
          stagegate.api.registrationFunction
        );

        // Act
        const { Properties } = api.toJSON().Resources[id];
        const selfInvoke = statementsOf(
          stagegate.api.registrationFunction
        ).filter((statement) =>
          actionsOf(statement).includes('lambda:InvokeFunction')
        );

        // Assess
        expect(Properties).toMatchObject({
          Timeout: 900,
          FunctionName: 'stagegate-test-registration',
        });
        api.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: { Ref: id },
          // 'live', read from the alias's ARN at deployment.
          Qualifier: {
            'Fn::Select': [
              7,
              {
                'Fn::Split': [
                  ':',
                  {
                    Ref: logicalIdOf(
                      stagegate.api,
                      stagegate.api.registrationFunction.live
                    ),
                  },
                ],
              },
            ],
          },
          MaximumRetryAttempts: 0,
          MaximumEventAgeInSeconds: 3600,
          DestinationConfig: {
            OnFailure: {
              Destination: {
                'Fn::GetAtt': [
                  logicalIdOf(
                    stagegate.api,
                    stagegate.api.registrationFailures.queue
                  ),
                  'Arn',
                ],
              },
            },
          },
        });
        expect(JSON.stringify(selfInvoke)).toContain(
          ':function:stagegate-test-registration:live'
        );
      });

      it('lets the registration watchdog start registrations, use the table and delete managed copies by key, and nothing else', () => {
        // Prepare
        const fn = stagegate.api.registrationWatchdogFunction;
        const registrationAlias = {
          Ref: logicalIdOf(
            stagegate.api,
            stagegate.api.registrationFunction.live
          ),
        };

        // Act
        const statements = statementsOf(fn);
        const environment = environmentOf(fn);

        // Assess
        expect(objectActions(statements, artifactKeyPrefixes.managed)).toEqual([
          's3:AbortMultipartUpload',
          's3:DeleteObject',
        ]);
        expect(
          objectActions(statements, artifactKeyPrefixes.temporary)
        ).toEqual([]);
        expect(listedPrefixes(statements)).toEqual([]);
        expect(
          statements.filter((statement) =>
            actionsOf(statement).includes('lambda:InvokeFunction')
          )
        ).toEqual([
          expect.objectContaining({
            Effect: 'Allow',
            Resource: registrationAlias,
          }),
        ]);
        expect(
          statements
            .flatMap(actionsOf)
            .filter((action) => action.startsWith('dynamodb:'))
        ).not.toContain('dynamodb:Scan');
        expect(environment.REGISTRY_TABLE_NAME).toBeDefined();
        expect(environment.REGISTRATION_FUNCTION_NAME).toEqual(
          stagegate.api.resolve(
            stagegate.api.registrationFunction.live.functionName
          )
        );
      });

      it("lets the cleanup job delete (and list) temporary objects and deleted versions' managed files, and nothing else in S3", () => {
        // Act
        const statements = statementsOf(stagegate.api.cleanupFunction);

        // Assess
        expect(
          objectActions(statements, artifactKeyPrefixes.temporary)
        ).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject']);
        expect(objectActions(statements, artifactKeyPrefixes.managed)).toEqual([
          's3:AbortMultipartUpload',
          's3:DeleteObject',
        ]);
        expect(listedPrefixes(statements).sort()).toEqual([
          `${artifactKeyPrefixes.managed}*`,
          `${artifactKeyPrefixes.temporary}*`,
        ]);
      });
    });

    it('runs every function on nodejs22.x and arm64 with tracing', () => {
      // Act
      const functions = Object.values(
        api.findResources('AWS::Lambda::Function')
      );

      // Assess
      expect(functions.length).toBeGreaterThan(0);
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        });
      }
    });

    it('bundles everything into each function, the AWS SDK at the versions package-lock pins included', () => {
      expect(registryBundling.externalModules).toEqual([]);
    });

    it('deploys each function with its timeout from functionTimeoutSeconds, which the local runtime enforces', () => {
      for (const [name, fn] of stagegate.api.functions) {
        const { Properties } =
          api.toJSON().Resources[logicalIdOf(stagegate.api, fn)];
        expect(Properties.Timeout, name).toBe(functionTimeoutSeconds[name]);
      }
      expect(stagegate.api.functions.size).toBe(functionGroups.length + 10);
    });

    it('gives the public health function no policy beyond logs and tracing', () => {
      // Prepare
      const health = stagegate.api.groupFunctions.get('health');
      expect(health).toBeDefined();
      const roleId = health && logicalIdOf(stagegate.api, health.executionRole);

      // Act
      const policies = Object.values(
        api.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: roleId }] },
        })
      );

      // Assess
      const actions = policies.flatMap((policy) =>
        policy.Properties.PolicyDocument.Statement.flatMap(
          (statement: { Action: string | string[] }) => statement.Action
        )
      );
      expect(actions.length).toBeGreaterThan(0);
      for (const action of actions) {
        expect(action).toMatch(/^(logs|xray):/);
      }
    });
  });

  describe('transition-request state machine', () => {
    it('is created after the workflow function it names, which never waits for it, and before the groups that start its executions', () => {
      // Prepare
      const graph = dependencyGraph(api.toJSON().Resources);
      const machine = logicalIdOf(
        stagegate.api,
        stagegate.api.transitionRequestStateMachine
      );
      const workflowFunction = logicalIdOf(
        stagegate.api,
        stagegate.api.transitionRequestWorkflowFunction
      );
      const starters = functionGroups
        .filter((group) => groupReach[group].workflow === 'request')
        .map((group) => {
          const fn = stagegate.api.groupFunctions.get(group);
          if (!fn) throw new Error(`no function for ${group}`);
          return logicalIdOf(stagegate.api, fn);
        });

      // Act
      const order = creationOrder(graph);
      const position = (id: string) => order.indexOf(id);

      // Assess
      expect(dependenciesOf(graph, machine)).toContain(workflowFunction);
      expect(dependenciesOf(graph, workflowFunction)).not.toContain(machine);
      expect(starters.length).toBeGreaterThan(0);
      for (const starter of starters) {
        expect(dependenciesOf(graph, starter), starter).toContain(machine);
        expect(position(starter)).toBeGreaterThan(position(machine));
      }
      expect(position(machine)).toBeGreaterThan(position(workflowFunction));
    });

    it('is the ASL file with every placeholder substituted', () => {
      // Prepare
      const asl = readFileSync(fromRepoRoot(TRANSITION_REQUEST_ASL), 'utf8');
      const placeholders = [...asl.matchAll(/\$\{(\w+)\}/g)].map(
        ([, name]) => name
      );

      // Act
      const { resource } = onlyResource(
        api,
        'AWS::StepFunctions::StateMachine'
      );
      const definitionText = definitionTextOf(
        resource.Properties.DefinitionString
      );

      // Assess
      expect(JSON.parse(definitionText)).toEqual(JSON.parse(asl));
      expect(
        Object.keys(resource.Properties.DefinitionSubstitutions).sort()
      ).toEqual([...new Set(placeholders)].sort());
      expect(
        resource.Properties.DefinitionSubstitutions.TransitionRequestFunctionArn
      ).toEqual({
        Ref: logicalIdOf(
          stagegate.api,
          stagegate.api.transitionRequestWorkflowFunction.live
        ),
      });
    });

    it("deploys that very file, every Task invoking the workflow function's live alias", () => {
      // Prepare
      const asl = readFileSync(fromRepoRoot(TRANSITION_REQUEST_ASL), 'utf8');
      const workflowFunctionArn = `{{Ref:${logicalIdOf(
        stagegate.api,
        stagegate.api.transitionRequestWorkflowFunction.live
      )}}}`;

      // Act
      const { resource } = onlyResource(
        api,
        'AWS::StepFunctions::StateMachine'
      );
      const deployed = substituteDefinition(
        definitionTextOf(resource.Properties.DefinitionString),
        resource.Properties.DefinitionSubstitutions
      );

      // Assess
      expect(deployed).toBe(
        asl.replaceAll(
          /\$\{TransitionRequestFunctionArn\}/g,
          workflowFunctionArn
        )
      );
      const tasks = Object.values(
        JSON.parse(deployed).States as Record<
          string,
          { Type: string; Parameters?: { FunctionName?: string } }
        >
      ).filter((state) => state.Type === 'Task');
      expect(tasks.length).toBeGreaterThan(0);
      for (const task of tasks) {
        expect(task.Parameters?.FunctionName).toBe(workflowFunctionArn);
      }
    });

    it('has the fixed name, from the stage, the workflow function builds its ARN from', () => {
      api.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'stagegate-test-transition-request',
      });
      expect(transitionRequestStateMachineName('stagegate-test')).toBe(
        'stagegate-test-transition-request'
      );
      expect(() => transitionRequestStateMachineName('S'.repeat(62))).toThrow(
        /longer than 80/
      );
    });

    it('runs the workflow function on nodejs22.x and arm64', () => {
      // Act
      const fn =
        api.toJSON().Resources[
          logicalIdOf(
            stagegate.api,
            stagegate.api.transitionRequestWorkflowFunction
          )
        ];

      // Assess
      expect(fn).toMatchObject({
        Type: 'AWS::Lambda::Function',
        Properties: {
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
        },
      });
    });

    it("may invoke the workflow function's live alias and nothing else", () => {
      // Prepare
      const { resource } = onlyResource(
        api,
        'AWS::StepFunctions::StateMachine'
      );
      const roleId = resource.Properties.RoleArn['Fn::GetAtt'][0];
      const workflowAlias = {
        Ref: logicalIdOf(
          stagegate.api,
          stagegate.api.transitionRequestWorkflowFunction.live
        ),
      };

      // Act
      const invoke = statementsOfRole(api, roleId).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('lambda:'))
      );

      // Assess
      expect(invoke).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: workflowAlias,
        }),
      ]);
    });

    it('is a STANDARD workflow logging everything with X-Ray on', () => {
      api.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: 'STANDARD',
        LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
        TracingConfiguration: { Enabled: true },
      });
    });
  });

  describe('registration watchdog schedule', () => {
    it("invokes the watchdog's live alias every 5 minutes, without retrying a run, undeliverable runs to the dead-letter queue", () => {
      api.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: {
              Ref: logicalIdOf(
                stagegate.api,
                stagegate.api.registrationWatchdogFunction.live
              ),
            },
            RetryPolicy: {
              MaximumRetryAttempts: 0,
              MaximumEventAgeInSeconds: 300,
            },
            DeadLetterConfig: { Arn: scheduledJobFailuresArn() },
          }),
        ],
      });
    });
  });

  describe('cleanup schedule', () => {
    it("invokes the cleanup function's live alias every hour, retrying a delivery, undeliverable runs to the dead-letter queue", () => {
      api.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 hour)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: {
              Ref: logicalIdOf(
                stagegate.api,
                stagegate.api.cleanupFunction.live
              ),
            },
            RetryPolicy: {
              MaximumRetryAttempts: 3,
              MaximumEventAgeInSeconds: 3600,
            },
            DeadLetterConfig: { Arn: scheduledJobFailuresArn() },
          }),
        ],
      });
    });
  });

  describe('registry events', () => {
    it('streams the table’s new images, for the outbox', () => {
      stateful.hasResourceProperties('AWS::DynamoDB::Table', {
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      });
    });

    it('queues webhook deliveries on an encrypted, TLS-only queue with a dead-letter queue named after it', () => {
      // Act
      const queues = api.findResources('AWS::SQS::Queue');
      const byName = Object.fromEntries(
        Object.entries(queues)
          // The failure queues (alarmed) have generated names.
          .filter(([, queue]) => queue.Properties.QueueName !== undefined)
          .map(([id, queue]) => [
            queue.Properties.QueueName,
            { id, properties: queue.Properties },
          ])
      );
      const name = `${stagegate.api.stackName}-webhook-deliveries`;

      // Assess
      expect(Object.keys(byName).sort()).toEqual([name, `${name}-dlq`]);
      expect(byName[name]?.properties).toMatchObject({
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: {
            'Fn::GetAtt': [byName[`${name}-dlq`]?.id, 'Arn'],
          },
          maxReceiveCount: 5,
        },
      });
      expect(byName[`${name}-dlq`]?.properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      const policies = Object.values(
        api.findResources('AWS::SQS::QueuePolicy')
      );
      expect(policies).toHaveLength(Object.keys(queues).length);
      for (const policy of policies) {
        expect(
          JSON.stringify(policy.Properties.PolicyDocument.Statement)
        ).toContain('aws:SecureTransport');
      }
    });

    it('creates the event bus and puts on it only from the dispatcher', () => {
      // Act
      const bus = onlyResource(api, 'AWS::Events::EventBus');
      const putters = Object.entries(api.findResources('AWS::IAM::Policy'))
        .filter(([, policy]) =>
          (policy.Properties.PolicyDocument.Statement as PolicyStatementJson[])
            .flatMap(actionsOf)
            .includes('events:PutEvents')
        )
        .map(([, policy]) => policy.Properties.Roles[0].Ref as string);

      // Assess
      expect(bus.resource.Properties.Name).toBe(
        `${stagegate.api.stackName}-registry-events`
      );
      expect(putters).toEqual([
        logicalIdOf(
          stagegate.api,
          stagegate.api.eventDispatcherFunction.executionRole
        ),
      ]);
    });

    it('lets only the dispatcher read the table’s stream', () => {
      // Act
      const readers = Object.values(api.findResources('AWS::IAM::Policy'))
        .filter((policy) =>
          (policy.Properties.PolicyDocument.Statement as PolicyStatementJson[])
            .flatMap(actionsOf)
            .includes('dynamodb:GetRecords')
        )
        .map((policy) => policy.Properties.Roles[0].Ref as string);

      // Assess
      expect(readers).toEqual([
        logicalIdOf(
          stagegate.api,
          stagegate.api.eventDispatcherFunction.executionRole
        ),
      ]);
    });

    it('wakes the dispatcher on the outbox’s inserts only, and sweeps every 5 minutes', () => {
      // Act
      const mapping = mappingOf(stagegate.api.eventDispatcherFunction);

      // Assess
      expect(mapping.resource.Properties).toMatchObject({
        StartingPosition: 'LATEST',
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: {
          OnFailure: {
            Destination: {
              'Fn::GetAtt': [
                logicalIdOf(
                  stagegate.api,
                  stagegate.api.eventDispatchFailures.queue
                ),
                'Arn',
              ],
            },
          },
        },
      });
      expect(
        JSON.parse(
          mapping.resource.Properties.FilterCriteria.Filters[0].Pattern
        )
      ).toEqual({
        eventName: ['INSERT'],
        dynamodb: { NewImage: { entity: { S: ['RegistryEvent'] } } },
      });
      api.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        Targets: [
          Match.objectLike({
            Arn: {
              Ref: logicalIdOf(
                stagegate.api,
                stagegate.api.eventDispatcherFunction.live
              ),
            },
            Input: JSON.stringify({ olderThanSeconds: 60 }),
            DeadLetterConfig: { Arn: scheduledJobFailuresArn() },
          }),
        ],
      });
    });

    it('feeds the delivery worker from the queue, with partial batch responses', () => {
      // Act
      const mapping = mappingOf(stagegate.api.webhookDeliveriesFunction);

      // Assess
      expect(mapping.resource.Properties).toMatchObject({
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        EventSourceArn: {
          'Fn::GetAtt': [
            logicalIdOf(stagegate.api, stagegate.api.webhookQueue),
            'Arn',
          ],
        },
      });
    });

    it('lets only the worker dead-letter, and only the worker, dispatcher and registry-webhooks group queue deliveries', () => {
      // Act
      const senders = (queue: IConstruct) => {
        const arn = {
          'Fn::GetAtt': [logicalIdOf(stagegate.api, queue), 'Arn'],
        };
        return Object.values(api.findResources('AWS::IAM::Policy'))
          .filter((policy) =>
            (
              policy.Properties.PolicyDocument
                .Statement as PolicyStatementJson[]
            )
              .filter((statement) =>
                actionsOf(statement).includes('sqs:SendMessage')
              )
              .some((statement) =>
                [statement.Resource]
                  .flat()
                  .some(
                    (resource) =>
                      JSON.stringify(resource) === JSON.stringify(arn)
                  )
              )
          )
          .map((policy) => policy.Properties.Roles[0].Ref as string)
          .sort();
      };
      const role = (fn: RegistryFunction | undefined) => {
        if (!fn) throw new Error('no function');
        return logicalIdOf(stagegate.api, fn.executionRole);
      };

      // Assess
      expect(senders(stagegate.api.webhookDeadLetterQueue)).toEqual([
        role(stagegate.api.webhookDeliveriesFunction),
      ]);
      expect(senders(stagegate.api.webhookQueue)).toEqual(
        [
          role(stagegate.api.webhookDeliveriesFunction),
          role(stagegate.api.eventDispatcherFunction),
          role(stagegate.api.groupFunctions.get('registry-webhooks')),
        ].sort()
      );
    });

    it('runs the reminders every 5 minutes, without retrying a failed run', () => {
      api.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        Targets: [
          Match.objectLike({
            Arn: {
              Ref: logicalIdOf(
                stagegate.api,
                stagegate.api.remindersFunction.live
              ),
            },
            RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }),
            DeadLetterConfig: { Arn: scheduledJobFailuresArn() },
          }),
        ],
      });
    });
  });
});

/** The properties that name a resource in its account and region. */
const RESOURCE_NAME_PROPERTIES = new Set([
  'FunctionName',
  'TableName',
  'StateMachineName',
  'AlarmName',
  'DashboardName',
  'TopicName',
  'Name',
  'BackupVaultName',
  'ApplicationName',
]);

/** Every name the templates give a resource, by resource type. */
function namedResources(...templates: Template[]): string[] {
  return templates.flatMap((template) =>
    Object.values(
      template.toJSON().Resources as Record<
        string,
        { Type: string; Properties?: Record<string, unknown> }
      >
    ).flatMap(({ Type, Properties }) =>
      Object.entries(Properties ?? {})
        .filter(
          ([key, value]) =>
            RESOURCE_NAME_PROPERTIES.has(key) &&
            typeof value === 'string' &&
            // Named within their function or API, not the account.
            Type !== 'AWS::Lambda::Alias' &&
            Type !== 'AWS::ApiGatewayV2::Authorizer'
        )
        .map(([key, value]) => `${Type} ${key}=${value}`)
    )
  );
}

describe('stages', () => {
  it('builds two stages side by side in one app, every stack and named resource apart', () => {
    // Act
    const test = namedResources(stateful, api);
    const second = namedResources(otherStateful, otherApi);

    // Assess
    expect(
      stagegate.deployments.flatMap(({ stateful, api }) => [
        stateful.stackName,
        api.stackName,
      ])
    ).toEqual([
      'stagegate-test-stateful',
      'stagegate-test-api',
      'stagegate-other-stateful',
      'stagegate-other-api',
    ]);
    expect(test.length).toBeGreaterThan(20);
    expect(test.filter((name) => second.includes(name))).toEqual([]);
    for (const name of test.filter((name) => !name.includes('Route53'))) {
      expect(name).toContain('stagegate-test');
    }
    for (const name of second) expect(name).toContain('stagegate-other');
    expect(other.api.dependencies).toEqual([other.stateful]);
  });

  it.each([
    ['test', () => [stateful, api], TEST_STAGE.owner],
    ['other', () => [otherStateful, otherApi], OTHER_STAGE.owner],
  ] as const)(
    'tags the %s stage’s resources with project, stage and owner',
    (stage, templates, owner) => {
      for (const template of templates()) {
        for (const type of [
          'AWS::Lambda::Function',
          'AWS::DynamoDB::Table',
          'AWS::S3::Bucket',
          'AWS::SQS::Queue',
        ]) {
          for (const resource of Object.values(template.findResources(type))) {
            expect(resource.Properties.Tags ?? []).toEqual(
              expect.arrayContaining([
                { Key: 'project', Value: 'stagegate' },
                { Key: 'stage', Value: stage },
                { Key: 'owner', Value: owner },
              ])
            );
          }
        }
      }
    }
  );

  it("passes the stage's settings to every function, and only the settings it sets", () => {
    // Act
    const environments = [api, otherApi].map((template) =>
      Object.values(template.findResources('AWS::Lambda::Function')).map(
        (fn) => fn.Properties.Environment.Variables as Record<string, unknown>
      )
    );

    // Assess
    for (const environment of environments[0] ?? []) {
      expect(environment).toMatchObject({
        STAGEGATE_STAGE: 'test',
        POWERTOOLS_LOG_LEVEL: 'WARN',
        ARTIFACT_URL_TTL_SECONDS: '600',
        CLEANUP_MAX_AGE_HOURS: '12',
      });
      expect(environment.FAILED_RETENTION_HOURS).toBeUndefined();
    }
    for (const environment of environments[1] ?? []) {
      expect(environment).toMatchObject({
        STAGEGATE_STAGE: 'other',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
      expect(environment.ARTIFACT_URL_TTL_SECONDS).toBeUndefined();
    }
  });

  it("keeps every log group the stage's retention", () => {
    for (const [template, days] of [
      [api, 90],
      [otherApi, 30],
    ] as const) {
      const groups = Object.values(
        template.findResources('AWS::Logs::LogGroup')
      );
      expect(groups.length).toBeGreaterThan(functionGroups.length);
      for (const group of groups) {
        expect(group.Properties.RetentionInDays).toBe(days);
      }
    }
  });

  it('refuses a stage whose settings the functions would refuse at cold start', () => {
    expect(() =>
      buildApp({
        bundling: false,
        cloudFormationValidation: false,
        stages: [
          {
            name: 'bad',
            owner: 'x',
            registry: { artifactUrlTtlSeconds: 8 * 24 * 3600 },
          },
        ],
      })
    ).toThrow(/Stage bad is misconfigured: ARTIFACT_URL_TTL_SECONDS/);
    expect(() =>
      buildApp({
        bundling: false,
        cloudFormationValidation: false,
        stages: [{ name: 'Prod!', owner: 'x' }],
      })
    ).toThrow(/lower-case letters/);
  });
});

describe('custom domain', () => {
  it('serves the API on the stage domain, with a DNS-validated certificate and alias records', () => {
    // Prepare
    const domain = TEST_STAGE.domain;

    // Assess
    api.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: domain.name,
      ValidationMethod: 'DNS',
      DomainValidationOptions: [
        { DomainName: domain.name, HostedZoneId: domain.hostedZoneId },
      ],
    });
    api.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: domain.name,
      DomainNameConfigurations: [
        Match.objectLike({
          EndpointType: 'REGIONAL',
          SecurityPolicy: 'TLS_1_2',
        }),
      ],
    });
    api.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', {
      Stage: '$default',
    });
    for (const type of ['A', 'AAAA']) {
      api.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: `${domain.name}.`,
        Type: type,
        HostedZoneId: domain.hostedZoneId,
        AliasTarget: Match.anyValue(),
      });
    }
    expect(api.toJSON().Outputs.ApiUrl.Value).toBe(`https://${domain.name}`);
  });

  it('disables the execute-api endpoint when the stage has a domain, and only then', () => {
    api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      DisableExecuteApiEndpoint: true,
    });
    expect(
      onlyResource(otherApi, 'AWS::ApiGatewayV2::Api').resource.Properties
        .DisableExecuteApiEndpoint ?? false
    ).toBe(false);
    otherApi.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
  });
});

describe('alarms and dashboard', () => {
  /** The test stage's alarms by name (without the `stagegate-test-` prefix). */
  function alarms(template: Template = api) {
    return new Map(
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
        (alarm) => [
          String(alarm.Properties.AlarmName).replace(/^stagegate-\w+-/, ''),
          alarm.Properties,
        ]
      )
    );
  }

  function functionNames(deployment: {
    api:
      | { functions: Map<string, unknown> }
      | { functions: ReadonlyMap<string, unknown> };
  }) {
    return [...deployment.api.functions.keys()].map((name) =>
      name.replaceAll(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)
    );
  }

  it('has the expected alarms, each with its threshold', () => {
    // Act
    const found = alarms();
    const expected: Record<string, { threshold: number; operator: string }> = {
      'api-5xx-rate': { threshold: 2, operator: 'GreaterThanThreshold' },
      'api-p99-latency': {
        threshold: 3000,
        operator: 'GreaterThanThreshold',
      },
      'transition-requests-failed': {
        threshold: 1,
        operator: 'GreaterThanOrEqualToThreshold',
      },
      'transition-requests-timed-out': {
        threshold: 1,
        operator: 'GreaterThanOrEqualToThreshold',
      },
      'failed-registrations': {
        threshold: 1,
        operator: 'GreaterThanOrEqualToThreshold',
      },
      'cleanup-errors': {
        threshold: 1,
        operator: 'GreaterThanOrEqualToThreshold',
      },
      'table-throttles': {
        threshold: 1,
        operator: 'GreaterThanOrEqualToThreshold',
      },
      'registration-failures-dead-letters': {
        threshold: 1,
        operator: 'GreaterThanOrEqualToThreshold',
      },
      'scheduled-job-failures-dead-letters': {
        threshold: 1,
        operator: 'GreaterThanOrEqualToThreshold',
      },
      'event-dispatch-failures-dead-letters': {
        threshold: 1,
        operator: 'GreaterThanOrEqualToThreshold',
      },
      'webhook-deliveries-dead-letters': {
        threshold: 1,
        operator: 'GreaterThanOrEqualToThreshold',
      },
      'slack-action-failures-dead-letters': {
        threshold: 1,
        operator: 'GreaterThanOrEqualToThreshold',
      },
      ...Object.fromEntries(
        functionNames(stagegate).flatMap((name) => [
          [
            `${name}-function-errors`,
            { threshold: 1, operator: 'GreaterThanOrEqualToThreshold' },
          ],
          [
            `${name}-function-throttles`,
            { threshold: 1, operator: 'GreaterThanOrEqualToThreshold' },
          ],
        ])
      ),
    };

    // Assess
    expect([...found.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, { threshold, operator }] of Object.entries(expected)) {
      expect(found.get(name), name).toMatchObject({
        Threshold: threshold,
        ComparisonOperator: operator,
        TreatMissingData: 'notBreaching',
      });
    }
    expect(functionNames(stagegate)).toHaveLength(functionGroups.length + 10);
  });

  it('names every alarm once (CloudFormation refuses a name twice)', () => {
    // Act
    const names = Object.values(
      api.findResources('AWS::CloudWatch::Alarm')
    ).map((alarm) => alarm.Properties.AlarmName);

    // Assess
    expect(new Set(names).size).toBe(names.length);
  });

  it('measures each alarm on what it names', () => {
    // Act
    const found = alarms();
    const metricNamesOf = (name: string) =>
      JSON.stringify(found.get(name)?.Metrics ?? found.get(name)?.MetricName);

    // Assess
    expect(metricNamesOf('api-5xx-rate')).toMatch(
      /"5xx".*"Count"|"Count".*"5xx"/
    );
    expect(metricNamesOf('api-5xx-rate')).toContain('100 * errors / requests');
    expect(found.get('api-p99-latency')).toMatchObject({
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    expect(found.get('transition-requests-failed')?.MetricName).toBe(
      'ExecutionsFailed'
    );
    expect(found.get('transition-requests-timed-out')?.MetricName).toBe(
      'ExecutionsTimedOut'
    );
    expect(found.get('failed-registrations')).toMatchObject({
      Namespace: 'stagegate',
      MetricName: 'FailedRegistrations',
      Dimensions: expect.arrayContaining([
        { Name: 'stage', Value: 'test' },
        { Name: 'service', Value: 'stagegate' },
      ]),
    });
    expect(metricNamesOf('cleanup-errors')).toContain('CleanupFailures');
    expect(metricNamesOf('cleanup-errors')).toContain('"Errors"');
    expect(metricNamesOf('table-throttles')).toContain('ReadThrottleEvents');
    expect(metricNamesOf('table-throttles')).toContain('WriteThrottleEvents');
    expect(metricNamesOf('table-throttles')).toContain('GSI2');
    expect(found.get('registration-failures-dead-letters')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
    });
    expect(found.get('authorizer-function-errors')).toMatchObject({
      MetricName: 'Errors',
      Dimensions: expect.arrayContaining([
        expect.objectContaining({ Name: 'Resource' }),
      ]),
    });
  });

  it('notifies the stage topic, subscribed by e-mail with its own dead-letter queue, on ALARM and OK', () => {
    // Prepare
    const topic = onlyResource(api, 'AWS::SNS::Topic');

    // Act
    const found = alarms();

    // Assess
    for (const [name, alarm] of found) {
      expect(alarm.AlarmActions, name).toEqual([{ Ref: topic.id }]);
      expect(alarm.OKActions, name).toEqual([{ Ref: topic.id }]);
    }
    api.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: topic.id },
      RedrivePolicy: Match.objectLike({
        deadLetterTargetArn: Match.anyValue(),
      }),
    });
    otherApi.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('keeps the two stages apart: own alarm names, own metric dimension', () => {
    // Act
    const mine = [...alarms(api).values()].map((alarm) => alarm.AlarmName);
    const theirs = alarms(otherApi);

    // Assess
    expect(
      mine.every((name) => String(name).startsWith('stagegate-test-'))
    ).toBe(true);
    expect(theirs.get('failed-registrations')?.Dimensions).toContainEqual({
      Name: 'stage',
      Value: 'other',
    });
  });

  it('has one dashboard per stage, with the alarms on it', () => {
    // Act
    const { resource } = onlyResource(api, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(resource.Properties.DashboardBody);

    // Assess
    expect(resource.Properties.DashboardName).toBe('stagegate-test');
    expect(body).toContain(
      logicalIdOf(stagegate.api, stagegate.api.monitoring.api5xxRate)
    );
    for (const metric of [
      'FailedRegistrations',
      'RequestsReconciled',
      'ExecutionsFailed',
      'ApproximateNumberOfMessagesVisible',
    ]) {
      expect(body).toContain(metric);
    }
    otherApi.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('failure handling', () => {
  it('gives every asynchronously invoked function an on-failure destination (SQS) on the alias callers invoke', () => {
    // Prepare: what the registry invokes asynchronously.
    const asynchronous = [
      stagegate.api.registrationFunction,
      stagegate.api.cleanupFunction,
      stagegate.api.registrationWatchdogFunction,
      stagegate.api.eventDispatcherFunction,
      stagegate.api.remindersFunction,
      stagegate.api.slackActionsFunction,
    ];
    const queues = new Set(Object.keys(api.findResources('AWS::SQS::Queue')));

    // Act
    const configs = Object.values(
      api.findResources('AWS::Lambda::EventInvokeConfig')
    ).map((config) => config.Properties);

    // Assess
    expect(configs.map((config) => config.FunctionName.Ref).sort()).toEqual(
      asynchronous.map((fn) => logicalIdOf(stagegate.api, fn)).sort()
    );
    for (const config of configs) {
      const destination = config.DestinationConfig.OnFailure.Destination;
      expect(queues.has(destination['Fn::GetAtt'][0])).toBe(true);
      expect(JSON.stringify(config.Qualifier)).toMatch(/Live/);
    }
  });

  it('is invoked asynchronously only by the schedules, and every schedule target has a dead-letter queue', () => {
    // Act
    const targets = Object.values(
      api.findResources('AWS::Events::Rule')
    ).flatMap((rule) => rule.Properties.Targets);

    // Assess: cleanup, watchdog, event sweep, reminders.
    expect(targets).toHaveLength(4);
    for (const target of targets) {
      expect(target.DeadLetterConfig).toEqual({
        Arn: scheduledJobFailuresArn(),
      });
      expect(target.RetryPolicy).toBeDefined();
    }
  });

  it('keeps failed work 14 days, encrypted, TLS only', () => {
    // Every queue but the webhook delivery queue holds failed work.
    const queues = Object.entries(api.findResources('AWS::SQS::Queue'));
    const failed = queues.filter(
      ([id]) => id !== logicalIdOf(stagegate.api, stagegate.api.webhookQueue)
    );
    expect(failed).toHaveLength(queues.length - 1);
    for (const [, queue] of failed) {
      expect(queue.Properties).toMatchObject({
        MessageRetentionPeriod: 14 * 24 * 3600,
        SqsManagedSseEnabled: true,
      });
    }
    api.resourceCountIs('AWS::SQS::QueuePolicy', queues.length);
  });
});

describe('safe upgrades', () => {
  it('gives every function a retained version and a live alias on it', () => {
    // Act
    const versions = api.findResources('AWS::Lambda::Version');
    const aliases = Object.values(api.findResources('AWS::Lambda::Alias'));

    // Assess
    expect(aliases).toHaveLength(stagegate.api.functions.size);
    for (const alias of aliases) {
      expect(alias.Properties.Name).toBe('live');
      const version = alias.Properties.FunctionVersion['Fn::GetAtt'][0];
      expect(versions[version]).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    }
  });

  it('invokes nothing but the live aliases: routes, authorizer, state machine, schedules, registrations', () => {
    // Prepare
    const aliases = new Set(
      Object.keys(api.findResources('AWS::Lambda::Alias'))
    );
    const functions = new Set(
      Object.keys(api.findResources('AWS::Lambda::Function'))
    );

    // Act
    const permissions = Object.values(
      api.findResources('AWS::Lambda::Permission')
    ).map((permission) => permission.Properties.FunctionName);
    const invokeGrants = Object.values(api.findResources('AWS::IAM::Policy'))
      .flatMap(
        (policy) =>
          policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]
      )
      .filter((statement) =>
        actionsOf(statement).includes('lambda:InvokeFunction')
      )
      .flatMap((statement) => [statement.Resource].flat());

    // Assess
    expect(permissions.length).toBeGreaterThan(functionGroups.length);
    for (const target of permissions) {
      expect(aliases.has(target.Ref), JSON.stringify(target)).toBe(true);
    }
    for (const resource of invokeGrants) {
      const text = JSON.stringify(resource);
      expect(
        aliases.has((resource as { Ref?: string }).Ref ?? '') ||
          text.endsWith(':live"]]}'),
        text
      ).toBe(true);
      expect([...functions].some((id) => text.includes(`"${id}"`))).toBe(false);
    }
  });

  it('shifts each alias gradually (canary), rolled back by the alarms of its function', () => {
    // Prepare
    const alarmIds = (...alarms: IConstruct[]) =>
      alarms.map((alarm) => ({
        Name: { Ref: logicalIdOf(stagegate.api, alarm) },
      }));
    const monitoring = stagegate.api.monitoring;

    // Act
    const groups = Object.values(
      api.findResources('AWS::CodeDeploy::DeploymentGroup')
    );

    // Assess
    expect(groups).toHaveLength(stagegate.api.functions.size);
    for (const group of groups) {
      expect(group.Properties).toMatchObject({
        DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        AutoRollbackConfiguration: {
          Enabled: true,
          Events: expect.arrayContaining([
            'DEPLOYMENT_FAILURE',
            'DEPLOYMENT_STOP_ON_ALARM',
          ]),
        },
        AlarmConfiguration: { Enabled: true },
      });
    }
    for (const alias of Object.values(
      api.findResources('AWS::Lambda::Alias')
    )) {
      expect(alias.UpdatePolicy?.CodeDeployLambdaAliasUpdate).toBeDefined();
    }
    const errors = monitoring.functionErrors.get('registered-models');
    const throttles = monitoring.functionThrottles.get('registered-models');
    if (!errors || !throttles) throw new Error('no registered-models alarms');
    const ofRegisteredModels = groups.find((group) =>
      JSON.stringify(group.Properties.AlarmConfiguration.Alarms).includes(
        logicalIdOf(stagegate.api, errors)
      )
    );
    expect(ofRegisteredModels?.Properties.AlarmConfiguration.Alarms).toEqual(
      expect.arrayContaining(alarmIds(errors, throttles, monitoring.api5xxRate))
    );
  });

  it('moves aliases in the stack update when the stage deploys all at once', () => {
    otherApi.resourceCountIs('AWS::CodeDeploy::DeploymentGroup', 0);
    otherApi.resourceCountIs('AWS::Lambda::Alias', other.api.functions.size);
  });
});

describe('data safety', () => {
  it('protects the table from deletion, in every stage', () => {
    for (const template of [stateful, otherStateful]) {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        DeletionProtectionEnabled: true,
      });
    }
  });

  it('protects the stateful stack from termination unless the stage says otherwise', () => {
    expect(stagegate.stateful.terminationProtection).toBe(true);
    expect(other.stateful.terminationProtection).toBe(false);
    expect(stagegate.api.terminationProtection).toBe(false);
  });

  it('backs the table and the bucket up daily into a retained vault when the stage asks', () => {
    // Act
    const plan = onlyResource(stateful, 'AWS::Backup::BackupPlan');
    const selection = onlyResource(stateful, 'AWS::Backup::BackupSelection');

    // Assess
    expect(plan.resource.Properties.BackupPlan.BackupPlanRule).toEqual([
      expect.objectContaining({
        ScheduleExpression: 'cron(0 3 * * ? *)',
        Lifecycle: { DeleteAfterDays: 35 },
      }),
    ]);
    expect(
      JSON.stringify(selection.resource.Properties.BackupSelection.Resources)
    ).toMatch(/RegistryTable.*ArtifactBucket|ArtifactBucket.*RegistryTable/);
    stateful.hasResource('AWS::Backup::BackupVault', {
      DeletionPolicy: 'Retain',
    });
    otherStateful.resourceCountIs('AWS::Backup::BackupPlan', 0);
  });

  it('keeps the bootstrap admin token in a secret of the stage', () => {
    stateful.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'stagegate-test/bootstrap-admin-token',
    });
    expect(Object.keys(stateful.toJSON().Outputs)).toContain(
      'BootstrapAdminSecretName'
    );
  });
});

describe('e-mail', () => {
  let mailing: StagegateApp;
  let template: Template;

  beforeAll(() => {
    mailing = buildApp({
      bundling: false,
      cloudFormationValidation: false,
      context: {
        '@aws-cdk/core:failSynthOnValidationErrors': false,
        'stagegate:emailSender': 'registry@example.com',
        'stagegate:emailIdentity': 'example.com',
      },
    });
    template = Template.fromStack(mailing.api);
  });

  function roleOf(app: StagegateApp, fn: RegistryFunction | undefined) {
    if (!fn) throw new Error('no function');
    return logicalIdOf(app.api, fn.executionRole);
  }

  /** The roles granted `action` in `policies`, sorted. */
  function rolesGranted(on: Template, action: string): string[] {
    return Object.values(on.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        (policy.Properties.PolicyDocument.Statement as PolicyStatementJson[])
          .flatMap(actionsOf)
          .includes(action)
      )
      .flatMap((policy) =>
        (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref)
      )
      .sort();
  }

  function variablesOf(on: Template, app: StagegateApp, fn: IConstruct) {
    return (on.toJSON().Resources[logicalIdOf(app.api, fn)].Properties
      .Environment?.Variables ?? {}) as Record<string, unknown>;
  }

  it('reports no unacknowledged cdk-nag finding with e-mail on', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(mailing.api);

    // Assess
    expect(
      report.violations.flatMap((violation) =>
        violation.violatingResources.map(
          (resource) => `${violation.ruleName} at ${resource.constructPath}`
        )
      )
    ).toEqual([]);
  });

  it('creates the SES identity, and lets only the event dispatcher send as it', () => {
    // Act
    const identity = onlyResource(template, 'AWS::SES::EmailIdentity');
    const senders = rolesGranted(template, 'ses:SendEmail');
    const statements = statementsOfRole(
      template,
      roleOf(mailing, mailing.api.eventDispatcherFunction)
    ).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('ses:'))
    );

    // Assess
    expect(identity.resource.Properties.EmailIdentity).toBe('example.com');
    expect(senders).toEqual([
      roleOf(mailing, mailing.api.eventDispatcherFunction),
    ]);
    expect(JSON.stringify(statements.map((s) => s.Resource))).not.toContain(
      '"*"'
    );
    expect(
      variablesOf(template, mailing, mailing.api.eventDispatcherFunction)
    ).toMatchObject({
      MAIL_TRANSPORT: 'ses',
      MAIL_FROM: 'registry@example.com',
    });
  });

  it('keeps the link key in Secrets Manager, readable by the dispatcher and the e-mail page only', () => {
    // Act
    const [secretId] = Object.keys(
      template.findResources('AWS::SecretsManager::Secret', {
        Properties: { Description: Match.stringLikeRegexp('e-mails') },
      })
    );
    const secret = {
      id: secretId ?? '',
      resource: template.toJSON().Resources[secretId ?? ''],
    };
    const readers = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        (policy.Properties.PolicyDocument.Statement as PolicyStatementJson[])
          .filter((statement) =>
            actionsOf(statement).includes('secretsmanager:GetSecretValue')
          )
          .some((statement) =>
            [statement.Resource]
              .flat()
              .some(
                (resource) =>
                  JSON.stringify(resource) === JSON.stringify({ Ref: secretId })
              )
          )
      )
      .flatMap((policy) =>
        (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref)
      )
      .sort();

    // Assess
    expect(secret.resource.Properties.GenerateSecretString).toMatchObject({
      PasswordLength: 64,
    });
    expect(readers).toEqual(
      [
        roleOf(mailing, mailing.api.eventDispatcherFunction),
        roleOf(mailing, mailing.api.groupFunctions.get('email-callbacks')),
      ].sort()
    );
    expect(
      variablesOf(
        template,
        mailing,
        mailing.api.groupFunctions.get('email-callbacks') as IConstruct
      )[needEnvironment.emailLinkKey]
    ).toEqual({ Ref: secret.id });
  });

  it('serves the e-mail page without the authorizer, and turns mail off without a sender', () => {
    // Act
    const page = Object.values(
      api.findResources('AWS::ApiGatewayV2::Route', {
        Properties: { RouteKey: 'POST /callbacks/email/decision' },
      })
    );

    // Assess
    expect(page).toHaveLength(1);
    expect(page[0]?.Properties.AuthorizationType).toBe('NONE');
    expect(api.findResources('AWS::SES::EmailIdentity')).toEqual({});
    expect(rolesGranted(api, 'ses:SendEmail')).toEqual([]);
    expect(
      variablesOf(api, stagegate, stagegate.api.eventDispatcherFunction)
        .MAIL_TRANSPORT
    ).toBe('off');
  });
});

describe('registration by path from allow-listed s3:// prefixes', () => {
  let allowListed: StagegateApp;
  let template: Template;

  beforeAll(() => {
    allowListed = buildApp({
      bundling: false,
      cloudFormationValidation: false,
      context: {
        '@aws-cdk/core:failSynthOnValidationErrors': false,
        externalSourcePrefixes: 's3://team-models/registered/,s3://lake/ml/',
      },
    });
    template = Template.fromStack(allowListed.api);
  });

  /** `<action> <bucket/prefix>` of each grant on the allow-listed places. */
  function statementsOn(
    fn: IConstruct & { executionRole: IConstruct }
  ): string[] {
    return statementsOfRole(
      template,
      logicalIdOf(allowListed.api, fn.executionRole)
    ).flatMap((statement) =>
      [statement.Resource]
        .flat()
        .map((resource) => /:s3:::([^"]+)/.exec(JSON.stringify(resource))?.[1])
        .filter(
          (place): place is string =>
            place !== undefined && /^(team-models|lake)\b/.test(place)
        )
        .flatMap((place) =>
          actionsOf(statement).map((action) => `${action} ${place}`)
        )
    );
  }

  it('lets model-versions list and HEAD exactly those prefixes, and the registration copy from them', () => {
    // Prepare
    const versions = allowListed.api.groupFunctions.get('model-versions');
    if (!versions) throw new Error('no model-versions function');

    // Act
    const read = statementsOn(versions);
    const copy = statementsOn(allowListed.api.registrationFunction);
    const listing = JSON.stringify(
      statementsOfRole(
        template,
        logicalIdOf(allowListed.api, versions.executionRole)
      ).filter((statement) => actionsOf(statement).includes('s3:ListBucket'))
    );

    // Assess
    expect(read.sort()).toEqual([
      's3:GetObject lake/ml/*',
      's3:GetObject team-models/registered/*',
      's3:ListBucket lake',
      's3:ListBucket team-models',
    ]);
    expect(listing).toContain('"s3:prefix":["registered/*"]');
    expect(listing).toContain('"s3:prefix":["ml/*"]');
    expect(copy.sort()).toEqual([
      's3:GetObject lake/ml/*',
      's3:GetObject team-models/registered/*',
      's3:GetObjectVersion lake/ml/*',
      's3:GetObjectVersion team-models/registered/*',
    ]);
  });

  it('grants them to no other function', () => {
    // Act
    const others = [
      ...[...allowListed.api.groupFunctions]
        .filter(([group]) => group !== 'model-versions')
        .map(([, fn]) => fn),
      allowListed.api.authorizerFunction,
      allowListed.api.cleanupFunction,
      allowListed.api.registrationWatchdogFunction,
    ].flatMap(statementsOn);

    // Assess
    expect(others).toEqual([]);
  });

  it('tells the functions the allow-list, and "none" without one', () => {
    // Act
    const versions = allowListed.api.groupFunctions.get('model-versions');
    const variables =
      template.toJSON().Resources[
        logicalIdOf(allowListed.api, versions as IConstruct)
      ].Properties.Environment.Variables;
    const defaults =
      api.toJSON().Resources[
        logicalIdOf(
          stagegate.api,
          stagegate.api.groupFunctions.get('model-versions') as IConstruct
        )
      ].Properties.Environment.Variables;

    // Assess
    expect(variables.EXTERNAL_SOURCE_PREFIXES).toBe(
      's3://team-models/registered/,s3://lake/ml/'
    );
    expect(defaults.EXTERNAL_SOURCE_PREFIXES).toBe('none');
  });
});

describe('the OAuth signing key', () => {
  it('is a retained secret of the stateful stack', () => {
    // Act (the stateful stack's other secret holds the bootstrap token)
    const { resource } = onlyResource(stateful, 'AWS::SecretsManager::Secret', {
      Properties: { GenerateSecretString: { PasswordLength: 64 } },
    });

    // Assess
    expect(resource).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      },
    });
  });

  it('is read by the authorizer and the oauth function only, through the secrets extension', () => {
    // Prepare
    const readers = Object.entries(
      api.findResources('AWS::Lambda::Function')
    ).filter(([, { Properties }]) =>
      statementsOfRole(api, Properties.Role['Fn::GetAtt'][0]).some(
        (statement) =>
          actionsOf(statement).includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(statement.Resource).includes('OAuthSigningKey')
      )
    );
    const expected = [
      stagegate.api.authorizerFunction,
      stagegate.api.groupFunctions.get('oauth') as IConstruct,
    ].map((fn) => logicalIdOf(stagegate.api, fn));

    // Assess
    expect(readers.map(([id]) => id).sort()).toEqual(expected.sort());
    for (const [, { Properties }] of readers) {
      expect(
        JSON.stringify(
          Properties.Environment.Variables.OAUTH_SIGNING_SECRET_ARN
        )
      ).toContain('OAuthSigningKey');
      // A region map of the extension's layer ARNs (arm64).
      expect(JSON.stringify(Properties.Layers)).toMatch(/Paramsandsecrets/i);
    }
  });
});
