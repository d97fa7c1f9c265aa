import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type StagegateApp } from '../../infra/build-app.ts';
import { WEB_SECURITY_HEADERS } from '../../web/assets.ts';

let stagegate: StagegateApp;
let web: Template;

beforeAll(() => {
  stagegate = buildApp({
    bundling: false,
    cloudFormationValidation: false,
    context: { '@aws-cdk/core:failSynthOnValidationErrors': false },
  });
  web = Template.fromStack(stagegate.web);
});

describe('Stagegate-Web', () => {
  it('reports no unacknowledged cdk-nag AwsSolutions error or warning', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(stagegate.web);

    // Assess
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) =>
          `${violation.severity} ${violation.ruleName} at ${resource.constructPath}`
      )
    );
    expect(findings).toEqual([]);
  });

  it('serves the page from a private bucket through origin access control, over HTTPS only', () => {
    web.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'web-bucket/' }),
    });
    web.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
        }),
      }),
    });
  });

  it('forwards /api/* to the HTTP API on the same origin: every method, the viewer headers but Host, nothing cached', () => {
    const distribution = Object.values(
      web.findResources('AWS::CloudFront::Distribution')
    )[0] as {
      Properties: {
        DistributionConfig: {
          CacheBehaviors: {
            PathPattern: string;
            AllowedMethods: string[];
            CachePolicyId: string;
            OriginRequestPolicyId: string;
            ViewerProtocolPolicy: string;
          }[];
        };
      };
    };
    const [api, ...others] =
      distribution.Properties.DistributionConfig.CacheBehaviors;
    expect(others).toEqual([]);
    expect(api).toMatchObject({
      PathPattern: '/api/*',
      ViewerProtocolPolicy: 'https-only',
      // Managed policies: CachingDisabled, AllViewerExceptHostHeader.
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
    });
    expect(api?.AllowedMethods).toEqual(
      expect.arrayContaining(['POST', 'PUT', 'PATCH', 'DELETE'])
    );
  });

  it('sends the same content security policy as the local stack', () => {
    web.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: {
            ContentSecurityPolicy:
              WEB_SECURITY_HEADERS['content-security-policy'],
            Override: true,
          },
        }),
      }),
    });
  });
});
