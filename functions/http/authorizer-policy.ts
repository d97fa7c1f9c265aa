import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { AuthorizerContext } from './auth-context.ts';

/**
 * IAM policies the authorizer returns. A route ARN looks like
 * `arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>`;
 * the policy names routes under the same API and stage.
 */
export function apiStagePrefix(routeArn: string): string {
  const [api, stage] = routeArn.split('/');
  return `${api}/${stage}`;
}

/**
 * An authenticated principal may invoke every route of the API. Who may do
 * what is decided once, by the route's access check in the handler, which
 * reads the principal as stored now and answers a refusal as MLflow's
 * `{error_code, message}`; a Deny here would answer admin-only routes with
 * API Gateway's own `{"message":"Forbidden"}` instead, which HTTP APIs
 * cannot reshape. The policy covers the whole API, not the one route
 * called, so it stays right if API Gateway caches it for other routes.
 */
export function principalPolicy(
  routeArn: string,
  principal: { id: string },
  context: AuthorizerContext
): APIGatewayAuthorizerResult {
  const prefix = apiStagePrefix(routeArn);
  return {
    principalId: principal.id,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: [`${prefix}/*`],
        },
      ],
    },
    context,
  };
}

/**
 * A caller without a valid token may reach only the route it called, so its
 * handler can answer 401 in the MLflow error format (API Gateway's own 401
 * body is `{"message":"Unauthorized"}`).
 */
export function unauthenticatedPolicy(
  routeArn: string,
  context: AuthorizerContext
): APIGatewayAuthorizerResult {
  return {
    principalId: 'anonymous',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [routeArn] },
      ],
    },
    context,
  };
}

/**
 * Whether a policy allows invoking a route ARN: explicit Deny wins, then any
 * Allow; `*` matches any run of characters, as in IAM resource ARNs. Used by
 * the local gateway to enforce the policy exactly as API Gateway would.
 */
export function policyAllows(
  policy: APIGatewayAuthorizerResult['policyDocument'],
  routeArn: string
): boolean {
  let allowed = false;
  for (const statement of policy.Statement) {
    const resources =
      'Resource' in statement && statement.Resource !== undefined
        ? [statement.Resource].flat()
        : [];
    const actions =
      'Action' in statement && statement.Action !== undefined
        ? [statement.Action].flat()
        : [];
    const appliesToInvoke = actions.some(
      (action) => action === 'execute-api:Invoke' || action === '*'
    );
    if (!appliesToInvoke) continue;
    if (!resources.some((resource) => arnMatches(resource, routeArn))) continue;
    if (statement.Effect === 'Deny') return false;
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed;
}

function arnMatches(pattern: string, arn: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`
  );
  return regex.test(arn);
}
