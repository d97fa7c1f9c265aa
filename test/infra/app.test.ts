import { readFileSync } from 'node:fs';
import { CfnElement, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type FunctionGroup,
  functionGroups,
  routeKey,
  routes,
} from '../../functions/http/routes.ts';
import { groupRoots, otherRoots } from '../../functions/roots/index.ts';
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
import { buildApp, type StagegateApp } from '../../infra/build-app.ts';
import type { RegistryFunction } from '../../infra/constructs/registry-function.ts';
import { fromRepoRoot } from '../../infra/paths.ts';
import { artifactKeyPrefixes } from '../../infra/stateful-stack.ts';
import {
  type KeyAttribute,
  registryTable,
} from '../../infra/table-definition.ts';

let stagegate: StagegateApp;
let stateful: Template;
let api: Template;

beforeAll(() => {
  stagegate = buildApp({
    // Neither changes what these tests look at; both cost seconds.
    bundling: false,
    cloudFormationValidation: false,
    // An unacknowledged cdk-nag error then fails the cdk-nag test, with the
    // list of findings, instead of the synthesis every test depends on.
    context: { '@aws-cdk/core:failSynthOnValidationErrors': false },
  });
  stateful = Template.fromStack(stagegate.stateful);
  api = Template.fromStack(stagegate.api);
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
   * Transition-request executions: start, answer and describe them
   * (`request`), or only answer their task tokens (`respond`).
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
  // The replay guard's conditional puts; decisions are the actions'.
  'slack-callbacks': { table: true, artifacts: false },
};

const workflowReach: Reach = {
  table: true,
  workflow: 'respond',
  artifacts: false,
};

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['Stagegate-Stateful', () => stagegate.stateful],
    ['Stagegate-Api', () => stagegate.api],
  ])('reports no unacknowledged error or warning in %s', (_name, stack) => {
    // Prepare
    // After synthesis (beforeAll), like `cdk synth`: wildcard resources of
    // another stack are acknowledged only once references are resolved.
    const checks = new AwsSolutionsChecks();

    // Act
    const report = checks.validateScope(stack());

    // Assess
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) =>
          `${violation.severity} ${violation.ruleName} at ${resource.constructPath}`
      )
    );
    expect(findings).toEqual([]);
  });
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

    it('expires temporary uploads after 7 days and aborts stale multipart uploads', () => {
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
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            Status: 'Enabled',
          }),
        ])
      );
    });

    it('lets browsers PUT and GET through presigned URLs and read the ETag', () => {
      expect(
        artifactBucket().resource.Properties.CorsConfiguration.CorsRules
      ).toEqual([
        expect.objectContaining({
          AllowedMethods: ['PUT', 'GET'],
          AllowedOrigins: ['*'],
          ExposedHeaders: ['ETag'],
        }),
      ]);
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
          ThrottlingBurstLimit: 200,
          ThrottlingRateLimit: 100,
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

    it('integrates each route with the Lambda of its group', () => {
      // Prepare
      const functionOfIntegration = new Map(
        Object.entries(api.findResources('AWS::ApiGatewayV2::Integration')).map(
          ([id, resource]) => [
            id,
            resource.Properties.IntegrationUri['Fn::GetAtt'][0],
          ]
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
            logicalIdOf(stagegate.api, fn)
          );
        }
      }
      expect(functionOfRoute.get('$default')).toBe(
        logicalIdOf(stagegate.api, stagegate.api.notFoundFunction)
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
        'Fn::GetAtt': [
          logicalIdOf(stagegate.api, stagegate.api.authorizerFunction),
          'Arn',
        ],
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
          (policy.Properties.PolicyDocument.Statement as unknown[]).some(
            (statement) =>
              JSON.stringify(statement).includes('secretsmanager:') &&
              JSON.stringify(statement).includes(secretId)
          )
        )
        .map(([id]) => id);

      // Assess
      api.resourceCountIs('AWS::SecretsManager::Secret', 1);
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

    it('links messages to the version pages of this API', () => {
      for (const fn of [
        stagegate.api.slackActionsFunction,
        stagegate.api.eventDispatcherFunction,
      ]) {
        const { Properties } =
          api.toJSON().Resources[logicalIdOf(stagegate.api, fn)];
        expect(
          JSON.stringify(Properties.Environment.Variables.STAGEGATE_PUBLIC_URL)
        ).toContain(logicalIdOf(stagegate.api, stagegate.api.httpApi));
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

      it(`${needs.transitionRequestWorkflow ? `may ${needs.transitionRequestWorkflow === 'request' ? 'start, answer and describe' : 'answer'}` : 'has no access to'} transition-request executions, as its root declares`, () => {
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
        if (!needs.transitionRequestWorkflow) {
          expect(statesActions).toEqual([]);
        } else if (needs.transitionRequestWorkflow === 'request') {
          expect(environment.TRANSITION_REQUEST_STATE_MACHINE_ARN).toEqual({
            Ref: stateMachineId,
          });
          expect(statesActions).toEqual(
            expect.arrayContaining([
              'states:StartExecution',
              'states:SendTaskSuccess',
              'states:DescribeExecution',
            ])
          );
        } else {
          // The ARN is built from the fixed name: a reference to the state
          // machine would close a cycle through its definition.
          const arn = environment.TRANSITION_REQUEST_STATE_MACHINE_ARN;
          expect(JSON.stringify(arn)).toContain(
            `:stateMachine:${transitionRequestStateMachineName(stagegate.api.stackName)}`
          );
          expect(JSON.stringify(arn)).not.toContain(stateMachineId);
          expect(states).toEqual([
            expect.objectContaining({
              Effect: 'Allow',
              Action: ['states:SendTaskFailure', 'states:SendTaskSuccess'],
              Resource: arn,
            }),
          ]);
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
          .flatMap((statement) =>
            [statement.Resource]
              .flat()
              .map(
                (resource) =>
                  Object.entries(artifactKeyPrefixes).find(([, prefix]) =>
                    JSON.stringify(resource).includes(`/${prefix}*`)
                  )?.[0]
              )
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
      });

      it(`${needs.slackSecret ? 'may read only' : 'may not read'} the Slack secret, as its root declares`, () => {
        // Act (the OAuth signing key is another secret, tested below)
        const secrets = functionOf().statements.filter(
          (statement) =>
            actionsOf(statement).some((action) =>
              action.startsWith('secretsmanager:')
            ) && !JSON.stringify(statement).includes('OAuthSigningKey')
        );

        // Assess
        expect(secrets).toEqual(
          needs.slackSecret
            ? [
                expect.objectContaining({
                  Action: 'secretsmanager:GetSecretValue',
                  Resource: {
                    Ref: logicalIdOf(stagegate.api, stagegate.api.slackSecret),
                  },
                }),
              ]
            : []
        );
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
        { variable: 'WEBHOOK_QUEUE_URL', service: 'sqs:' },
        { variable: 'EVENT_BUS_NAME', service: 'events:' },
      ];

      // Act
      const mismatches = Object.entries(
        api.findResources('AWS::Lambda::Function')
      ).flatMap(([id, { Properties }]) => {
        const environment: Record<string, unknown> =
          Properties.Environment?.Variables ?? {};
        const actions = statementsOfRole(
          api,
          Properties.Role['Fn::GetAtt'][0]
        ).flatMap(actionsOf);
        const granted = (service: string) =>
          actions.some((action) => action.startsWith(service));
        return [
          ...resources
            .filter(
              ({ variable, service }) =>
                variable in environment !== granted(service)
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
        const registrationArn = {
          'Fn::GetAtt': [
            logicalIdOf(stagegate.api, stagegate.api.registrationFunction),
            'Arn',
          ],
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
            Resource: [
              registrationArn,
              { 'Fn::Join': ['', [registrationArn, ':*']] },
            ],
          }),
        ]);
        expect(environment.REGISTRATION_FUNCTION_NAME).toEqual({
          Ref: logicalIdOf(stagegate.api, stagegate.api.registrationFunction),
        });
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
          registrationFunctionName(stagegate.api.stackName)
        );
      });

      it('runs the registration for up to 15 minutes, invoked asynchronously without retries, continuing by invoking itself', () => {
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
          FunctionName: 'Stagegate-Api-registration',
        });
        api.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: { Ref: id },
          MaximumRetryAttempts: 0,
          MaximumEventAgeInSeconds: 3600,
        });
        expect(JSON.stringify(selfInvoke)).toContain(
          ':function:Stagegate-Api-registration'
        );
      });

      it('lets the registration watchdog start registrations, use the table and delete managed copies by key, and nothing else', () => {
        // Prepare
        const fn = stagegate.api.registrationWatchdogFunction;
        const registrationArn = {
          'Fn::GetAtt': [
            logicalIdOf(stagegate.api, stagegate.api.registrationFunction),
            'Arn',
          ],
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
            Resource: [
              registrationArn,
              { 'Fn::Join': ['', [registrationArn, ':*']] },
            ],
          }),
        ]);
        expect(
          statements
            .flatMap(actionsOf)
            .filter((action) => action.startsWith('dynamodb:'))
        ).not.toContain('dynamodb:Scan');
        expect(environment.REGISTRY_TABLE_NAME).toBeDefined();
        expect(environment.REGISTRATION_FUNCTION_NAME).toEqual({
          Ref: logicalIdOf(stagegate.api, stagegate.api.registrationFunction),
        });
      });

      it('lets the cleanup job delete temporary objects and abort their multipart uploads, and nothing else in S3', () => {
        // Act
        const statements = statementsOf(stagegate.api.cleanupFunction);

        // Assess
        expect(
          objectActions(statements, artifactKeyPrefixes.temporary)
        ).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject']);
        expect(objectActions(statements, artifactKeyPrefixes.managed)).toEqual(
          []
        );
        expect(listedPrefixes(statements)).toEqual([
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
        'Fn::GetAtt': [
          logicalIdOf(
            stagegate.api,
            stagegate.api.transitionRequestWorkflowFunction
          ),
          'Arn',
        ],
      });
    });

    it('deploys that very file, every Task invoking the workflow function', () => {
      // Prepare
      const asl = readFileSync(fromRepoRoot(TRANSITION_REQUEST_ASL), 'utf8');
      const workflowFunctionArn = `{{Fn::GetAtt:${logicalIdOf(
        stagegate.api,
        stagegate.api.transitionRequestWorkflowFunction
      )}.Arn}}`;

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

    it('has the fixed name the workflow function builds its ARN from', () => {
      api.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'Stagegate-Api-transition-request',
      });
      expect(transitionRequestStateMachineName(stagegate.api.stackName)).toBe(
        'Stagegate-Api-transition-request'
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

    it('may invoke the workflow function and no other', () => {
      // Prepare
      const { resource } = onlyResource(
        api,
        'AWS::StepFunctions::StateMachine'
      );
      const roleId = resource.Properties.RoleArn['Fn::GetAtt'][0];
      const workflowFunctionArn = {
        'Fn::GetAtt': [
          logicalIdOf(
            stagegate.api,
            stagegate.api.transitionRequestWorkflowFunction
          ),
          'Arn',
        ],
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
          Resource: [
            workflowFunctionArn,
            { 'Fn::Join': ['', [workflowFunctionArn, ':*']] },
          ],
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
    it('invokes the watchdog every 5 minutes, without retrying a failed run', () => {
      api.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: {
              'Fn::GetAtt': [
                logicalIdOf(
                  stagegate.api,
                  stagegate.api.registrationWatchdogFunction
                ),
                'Arn',
              ],
            },
            RetryPolicy: { MaximumRetryAttempts: 0 },
          }),
        ],
      });
    });
  });

  describe('cleanup schedule', () => {
    it('invokes the cleanup function every hour', () => {
      api.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 hour)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: {
              'Fn::GetAtt': [
                logicalIdOf(stagegate.api, stagegate.api.cleanupFunction),
                'Arn',
              ],
            },
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
        Object.entries(queues).map(([id, queue]) => [
          queue.Properties.QueueName,
          { id, properties: queue.Properties },
        ])
      );
      const name = 'Stagegate-Api-webhook-deliveries';

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
      expect(policies).toHaveLength(2);
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
        'Stagegate-Api-registry-events'
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
      const dispatcher = logicalIdOf(
        stagegate.api,
        stagegate.api.eventDispatcherFunction
      );
      const mapping = onlyResource(api, 'AWS::Lambda::EventSourceMapping', {
        Properties: { FunctionName: { Ref: dispatcher } },
      });

      // Assess
      expect(mapping.resource.Properties).toMatchObject({
        StartingPosition: 'LATEST',
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
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
            Arn: { 'Fn::GetAtt': [dispatcher, 'Arn'] },
            Input: JSON.stringify({ olderThanSeconds: 60 }),
          }),
        ],
      });
    });

    it('feeds the delivery worker from the queue, with partial batch responses', () => {
      // Act
      const worker = logicalIdOf(
        stagegate.api,
        stagegate.api.webhookDeliveriesFunction
      );
      const mapping = onlyResource(api, 'AWS::Lambda::EventSourceMapping', {
        Properties: { FunctionName: { Ref: worker } },
      });

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
              .some(
                (statement) =>
                  JSON.stringify(statement.Resource) === JSON.stringify(arn)
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
              'Fn::GetAtt': [
                logicalIdOf(stagegate.api, stagegate.api.remindersFunction),
                'Arn',
              ],
            },
            RetryPolicy: { MaximumRetryAttempts: 0 },
          }),
        ],
      });
    });
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
    // Act
    const { resource } = onlyResource(stateful, 'AWS::SecretsManager::Secret');

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
