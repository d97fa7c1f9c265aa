import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PermissionDeniedError, UnauthenticatedError } from '#domain/errors.ts';
import type { Principal, PrincipalKind } from '#domain/principal.ts';

/**
 * The context the authorizer hands to every handler
 * (`requestContext.authorizer.lambda`). API Gateway only carries flat string,
 * number and boolean values, hence the joined group list.
 *
 * When the token is missing or invalid, the authorizer still allows the one
 * route that was called but sets `authError`; the handler then answers 401
 * in the MLflow error format, which API Gateway itself cannot produce.
 */
export interface AuthorizerContext {
  readonly [key: string]: string | number | boolean;
}

export function authorizerContextFor(principal: Principal): AuthorizerContext {
  return {
    principalId: principal.id,
    userName: principal.userName,
    kind: principal.kind,
    isAdmin: principal.isAdmin,
    groups: principal.groups.join(','),
    ...(principal.viaOAuth ? { viaOAuth: true } : {}),
  };
}

export function unauthenticatedContext(reason: string): AuthorizerContext {
  return { authError: reason };
}

/**
 * A request from an address the IP access lists keep out: the handler
 * refuses it before anything else, with 403 in the registry's shape.
 */
export function blockedContext(message: string): AuthorizerContext {
  return { ipBlocked: message };
}

function authorizerContextOf(
  event: APIGatewayProxyEventV2
): Record<string, unknown> | undefined {
  return (
    event.requestContext as {
      authorizer?: { lambda?: Record<string, unknown> };
    }
  ).authorizer?.lambda;
}

/**
 * Refuses a request the authorizer found to come from a blocked address.
 * @throws PermissionDeniedError
 */
export function assertSourceAllowed(event: APIGatewayProxyEventV2): void {
  const blocked = authorizerContextOf(event)?.ipBlocked;
  if (typeof blocked === 'string') throw new PermissionDeniedError(blocked);
}

/**
 * The caller, from the authorizer's context.
 * @throws UnauthenticatedError when the authorizer did not resolve one.
 */
export function principalFromEvent(event: APIGatewayProxyEventV2): Principal {
  assertSourceAllowed(event);
  const context = authorizerContextOf(event);
  if (!context) {
    throw new UnauthenticatedError('Credential was not sent or was invalid.');
  }
  if (typeof context.authError === 'string') {
    throw new UnauthenticatedError(context.authError);
  }
  const { principalId, userName, kind, isAdmin, groups } = context;
  if (
    typeof principalId !== 'string' ||
    typeof userName !== 'string' ||
    (kind !== 'user' && kind !== 'service_principal')
  ) {
    throw new UnauthenticatedError('Credential was not sent or was invalid.');
  }
  return {
    id: principalId,
    userName,
    kind: kind as PrincipalKind,
    // Context values may arrive stringified, depending on the gateway.
    isAdmin: isAdmin === true || isAdmin === 'true',
    groups:
      typeof groups === 'string' && groups !== '' ? groups.split(',') : [],
    ...(context.viaOAuth === true || context.viaOAuth === 'true'
      ? { viaOAuth: true }
      : {}),
  };
}
