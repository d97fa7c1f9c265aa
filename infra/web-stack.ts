import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { WEB_SECURITY_HEADERS } from '../web/assets.ts';
import { writeWebAssets } from '../web/build.ts';

export interface WebStackProps extends StackProps {
  /**
   * Where the registry's HTTP API answers (`https://<host>`: its custom
   * domain when the stage has one, else its execute-api endpoint), served
   * by the distribution under `/api/*`.
   */
  readonly apiUrl: string;
}

/**
 * The web page on AWS: one CloudFront distribution serves the page from a
 * private S3 bucket (origin access control) and forwards `/api/*` to the
 * HTTP API, so the page and the API share one origin (no CORS, and the
 * page's CSP allows `connect-src 'self'` only). The API stays reachable at
 * its own endpoint for SDKs and the CLI. Tokens travel in the
 * Authorization header, which the API behaviour forwards and never
 * caches.
 */
export class WebStack extends Stack {
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: WebStackProps) {
    super(scope, id, props);

    const logBucket = new Bucket(this, 'WebLogBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      // CloudFront standard logs are written with ACLs.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });
    Validations.of(logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the access logs of the page bucket and the distribution; logging its own accesses would need yet another bucket.',
    });

    const siteBucket = new Bucket(this, 'WebBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      serverAccessLogsBucket: logBucket,
      serverAccessLogsPrefix: 'web-bucket/',
      // Built from the repository at every deployment: nothing to keep.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const securityHeaders = new ResponseHeadersPolicy(this, 'WebHeaders', {
      comment: 'stagegate web page: the same headers as the local stack',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: required(
            WEB_SECURITY_HEADERS['content-security-policy']
          ),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: {
          frameOption: HeadersFrameOption.DENY,
          override: true,
        },
        referrerPolicy: {
          referrerPolicy: HeadersReferrerPolicy.NO_REFERRER,
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });

    // `https://<host>`: the host alone.
    const apiHost = Fn.select(2, Fn.split('/', props.apiUrl));
    this.distribution = new Distribution(this, 'WebDistribution', {
      comment: 'stagegate: the web page and, under /api/, the registry API',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      enableLogging: true,
      logBucket,
      logFilePrefix: 'distribution/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(siteBucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders,
      },
      additionalBehaviors: {
        '/api/*': {
          origin: new HttpOrigin(apiHost, {
            protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          }),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          // Every answer depends on the caller's token: never cached.
          cachePolicy: CachePolicy.CACHING_DISABLED,
          // Everything the viewer sent (the Authorization header, the
          // query string) except Host, which must name the API's domain.
          originRequestPolicy:
            OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'A model registry is used wherever its teams are; access is controlled by tokens, not by country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Every API call is authorized by the registry and throttled at the HTTP API stage; a WAF web ACL is a deployment choice (it can be attached without changing this stack).',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses the default CloudFront certificate until a custom domain is configured; TLS 1.2 is the minimum set here and applies with a custom certificate.',
      }
    );

    const built = mkdtempSync(join(tmpdir(), 'stagegate-web-'));
    writeWebAssets(built);
    new BucketDeployment(this, 'WebDeployment', {
      sources: [Source.asset(built)],
      destinationBucket: siteBucket,
      // Open tabs keep loading the hashed assets of the page they have.
      prune: false,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/'],
      memoryLimit: 256,
    });
    // The deployment's function is a stack-level singleton of aws-cdk-lib.
    const deploymentFunction = this.node.children.find((child) =>
      child.node.id.startsWith('Custom::CDKBucketDeployment')
    );
    if (!deploymentFunction) {
      throw new Error('BucketDeployment created no function in the stack.');
    }
    const deploymentReason =
      "CDK's BucketDeployment custom resource (it runs only during deployments): its role, runtime and grants are aws-cdk-lib's own, scoped to the staged asset and the page bucket.";
    Validations.of(deploymentFunction).acknowledge(
      ...[
        'AwsSolutions-L1',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'AwsSolutions-IAM5[Action::s3:GetBucket*]',
        'AwsSolutions-IAM5[Action::s3:GetObject*]',
        'AwsSolutions-IAM5[Action::s3:List*]',
        'AwsSolutions-IAM5[Action::s3:Abort*]',
        'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        `AwsSolutions-IAM5[Resource::<${this.getLogicalId(siteBucket.node.defaultChild as CfnBucket)}.Arn>/*]`,
        // The CloudFront invalidation after each deployment.
        'AwsSolutions-IAM5[Resource::*]',
        // CloudFormation calls it synchronously and reports its failure
        // itself; no dead letters, no traces to keep.
        'Serverless-LambdaDLQ',
        'Serverless-LambdaLatestVersion',
        'Serverless-LambdaTracing',
      ].map((id) => ({ id, reason: deploymentReason }))
    );

    new CfnOutput(this, 'WebUrl', {
      value: `https://${this.distribution.distributionDomainName}/`,
      description: 'The web page (and the API under /api/ on the same origin)',
    });
  }
}

function required(value: string | undefined): string {
  if (!value) throw new Error('The web page has no content security policy.');
  return value;
}
