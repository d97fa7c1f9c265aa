import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type ErrorCode, RegistryError } from '#domain/errors.ts';
import { responseJson } from './json-text.ts';

/**
 * The one `error_code → HTTP status` table (MLflow's `ERROR_CODE_TO_HTTP_STATUS`).
 *
 * Deliberate choices (docs/design-notes.md):
 * - RESOURCE_ALREADY_EXISTS is 400, as MLflow and Databricks answer it, not
 *   409: clients branch on the code, and `register_model` expects MLflow's.
 * - INVALID_STATE is 409, not MLflow's 500: it means "lost a race or the
 *   resource's state forbids it", and the MLflow client retries every 500.
 */
export const errorCodeToHttpStatus: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  INVALID_STATE: 409,
  REQUEST_LIMIT_EXCEEDED: 429,
  TEMPORARILY_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

/**
 * Never "Unexpected error": the Databricks SDK retries any error whose
 * message contains it, for up to five minutes.
 */
const INTERNAL_ERROR_MESSAGE = 'Internal error. The request was not completed.';

export function errorResponse(
  code: ErrorCode,
  message: string
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: errorCodeToHttpStatus[code],
    headers: { 'content-type': 'application/json' },
    body: responseJson({ error_code: code, message }),
  };
}

/** Maps any thrown value; unknown errors become a generic 500. */
export function toErrorResponse(
  error: unknown
): APIGatewayProxyStructuredResultV2 {
  if (error instanceof RegistryError) {
    return errorResponse(error.code, error.message);
  }
  return errorResponse('INTERNAL_ERROR', INTERNAL_ERROR_MESSAGE);
}

export function isKnownError(error: unknown): error is RegistryError {
  return error instanceof RegistryError;
}
