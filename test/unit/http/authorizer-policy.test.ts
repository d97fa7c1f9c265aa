import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  apiStagePrefix,
  policyAllows,
  principalPolicy,
  unauthenticatedPolicy,
} from '#http/authorizer-policy.ts';

type PolicyDocument = APIGatewayAuthorizerResult['policyDocument'];
type Statement = PolicyDocument['Statement'][number];

const API = 'arn:aws:execute-api:eu-west-1:123456789012:abc123';
const SEARCH = `${API}/$default/GET/api/2.0/mlflow/registered-models/search`;
const CREATE = `${API}/$default/POST/api/2.0/mlflow/registered-models/create`;
const TOKEN_LIST = `${API}/$default/GET/api/2.0/token/list`;
const SCIM_USERS = `${API}/$default/GET/api/2.0/preview/scim/v2/Users`;
const SCIM_USER = `${API}/$default/PATCH/api/2.0/preview/scim/v2/Users/1234`;

function policy(...statements: PolicyDocument['Statement']): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

describe('authorizer policy', () => {
  describe('apiStagePrefix', () => {
    it('keeps the API and stage of a route ARN', () => {
      // Act & Assess
      expect(apiStagePrefix(SEARCH)).toBe(`${API}/$default`);
    });
  });

  describe('principalPolicy', () => {
    it('allows every route of the same API and stage, with the context', () => {
      // Prepare
      const context = { principalId: '42', isAdmin: false };

      // Act
      const result = principalPolicy(SEARCH, { id: '42' }, context);

      // Assess
      expect(result.principalId).toBe('42');
      expect(result.context).toStrictEqual(context);
      expect(policyAllows(result.policyDocument, SEARCH)).toBe(true);
      expect(policyAllows(result.policyDocument, CREATE)).toBe(true);
      expect(policyAllows(result.policyDocument, TOKEN_LIST)).toBe(true);
    });

    it('lets a non-admin reach the admin-only routes, whose handlers refuse in the MLflow shape', () => {
      // Act
      const result = principalPolicy(SEARCH, { id: '42' }, {});

      // Assess
      expect(policyAllows(result.policyDocument, SCIM_USERS)).toBe(true);
      expect(policyAllows(result.policyDocument, SCIM_USER)).toBe(true);
      expect(result.policyDocument.Statement).toHaveLength(1);
    });

    it('allows nothing on another API or another stage', () => {
      // Act
      const result = principalPolicy(SEARCH, { id: '1' }, {});

      // Assess
      expect(
        policyAllows(
          result.policyDocument,
          SEARCH.replace(':abc123/', ':xyz789/')
        )
      ).toBe(false);
      expect(
        policyAllows(result.policyDocument, SEARCH.replace('$default', 'prod'))
      ).toBe(false);
      expect(
        policyAllows(
          result.policyDocument,
          SEARCH.replace('eu-west-1', 'us-east-1')
        )
      ).toBe(false);
    });
  });

  describe('unauthenticatedPolicy', () => {
    it('allows only the route that was called, with the context', () => {
      // Prepare
      const context = { authError: 'Invalid access token.' };

      // Act
      const result = unauthenticatedPolicy(TOKEN_LIST, context);

      // Assess
      expect(result.principalId).toBe('anonymous');
      expect(result.context).toStrictEqual(context);
      expect(policyAllows(result.policyDocument, TOKEN_LIST)).toBe(true);
      expect(policyAllows(result.policyDocument, SEARCH)).toBe(false);
      expect(policyAllows(result.policyDocument, `${TOKEN_LIST}/more`)).toBe(
        false
      );
    });

    it('matches the dots of the route literally', () => {
      // Act
      const result = unauthenticatedPolicy(TOKEN_LIST, {});

      // Assess
      expect(
        policyAllows(
          result.policyDocument,
          TOKEN_LIST.replace('/2.0/', '/2x0/')
        )
      ).toBe(false);
    });
  });

  describe('policyAllows', () => {
    it('allows a route matched by a wildcard Allow', () => {
      // Prepare
      const document = policy({
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: `${API}/*/GET/*`,
      });

      // Act & Assess
      expect(policyAllows(document, SEARCH)).toBe(true);
      expect(policyAllows(document, CREATE)).toBe(false);
    });

    it('lets an explicit Deny win over an Allow, in either order', () => {
      // Prepare
      const allow: Statement = {
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: `${API}/*`,
      };
      const deny: Statement = {
        Effect: 'Deny',
        Action: 'execute-api:Invoke',
        Resource: [CREATE],
      };

      // Act & Assess
      expect(policyAllows(policy(allow, deny), CREATE)).toBe(false);
      expect(policyAllows(policy(deny, allow), CREATE)).toBe(false);
      expect(policyAllows(policy(deny, allow), SEARCH)).toBe(true);
    });

    it('denies what no statement allows', () => {
      // Act & Assess
      expect(policyAllows(policy(), SEARCH)).toBe(false);
      expect(
        policyAllows(
          policy({
            Effect: 'Deny',
            Action: 'execute-api:Invoke',
            Resource: CREATE,
          }),
          SEARCH
        )
      ).toBe(false);
    });

    it.each([
      ['another service', 's3:GetObject', false],
      ['another execute-api action', 'execute-api:ManageConnections', false],
      ['the invoke action', 'execute-api:Invoke', true],
      ['every action', '*', true],
      [
        'a list holding the invoke action',
        ['s3:GetObject', 'execute-api:Invoke'],
        true,
      ],
    ])('counts an Allow for %s as %s', (_label, action, allowed) => {
      // Prepare
      const document = policy({
        Effect: 'Allow',
        Action: action,
        Resource: '*',
      });

      // Act & Assess
      expect(policyAllows(document, SEARCH)).toBe(allowed);
    });

    it('ignores a Deny for another action', () => {
      // Prepare
      const document = policy(
        { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' },
        { Effect: 'Deny', Action: 's3:*', Resource: '*' }
      );

      // Act & Assess
      expect(policyAllows(document, SEARCH)).toBe(true);
    });
  });
});
