/**
 * Typed domain errors. Each carries the MLflow/Databricks `error_code` that
 * the HTTP layer maps to a status in exactly one place
 * (`functions/http/error-mapping.ts`).
 */
export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'INVALID_STATE'
  | 'ENDPOINT_NOT_FOUND'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'INTERNAL_ERROR';

/**
 * Ends the messages about a missing or malformed parameter (MLflow's
 * wording), pointing at the API reference the registry serves.
 */
export const API_DOCS_HINT =
  'See the API docs at /api/openapi.json for more information about request parameters.';

export abstract class RegistryError extends Error {
  abstract readonly code: ErrorCode;
}

export class InvalidParameterValueError extends RegistryError {
  readonly code = 'INVALID_PARAMETER_VALUE';
  override readonly name = 'InvalidParameterValueError';
}

export class ResourceAlreadyExistsError extends RegistryError {
  readonly code = 'RESOURCE_ALREADY_EXISTS';
  override readonly name = 'ResourceAlreadyExistsError';
}

export class ResourceDoesNotExistError extends RegistryError {
  readonly code = 'RESOURCE_DOES_NOT_EXIST';
  override readonly name = 'ResourceDoesNotExistError';
}

export class PermissionDeniedError extends RegistryError {
  readonly code = 'PERMISSION_DENIED';
  override readonly name = 'PermissionDeniedError';
}

export class UnauthenticatedError extends RegistryError {
  readonly code = 'UNAUTHENTICATED';
  override readonly name = 'UnauthenticatedError';
}

/** A decision or transition lost a race, or the resource's state forbids it. */
export class InvalidStateError extends RegistryError {
  readonly code = 'INVALID_STATE';
  override readonly name = 'InvalidStateError';
}

export class EndpointNotFoundError extends RegistryError {
  readonly code = 'ENDPOINT_NOT_FOUND';
  override readonly name = 'EndpointNotFoundError';
}

export class RegisteredModelAlreadyExistsError extends ResourceAlreadyExistsError {
  constructor(name: string) {
    super(`Registered Model (name=${name}) already exists.`);
  }
}

export class RegisteredModelDoesNotExistError extends ResourceDoesNotExistError {
  constructor(name: string) {
    super(`Registered Model with name=${name} not found`);
  }
}

/**
 * The model changed between a read and a conditional write. Not an API
 * error: use cases re-read and retry; only an exhausted retry budget
 * surfaces, as {@link TooManyConcurrentChangesError}.
 */
export class ConcurrentModificationError extends Error {
  override readonly name = 'ConcurrentModificationError';
}

export class TooManyConcurrentChangesError extends RegistryError {
  readonly code = 'REQUEST_LIMIT_EXCEEDED';
  override readonly name = 'TooManyConcurrentChangesError';
}

/**
 * The store throttled the request beyond the SDK's own retries; nothing
 * was written. A 429, as Databricks answers rate limits: the MLflow and
 * Databricks clients retry it (the Databricks SDK retries no 503).
 */
export class RequestLimitExceededError extends RegistryError {
  readonly code = 'REQUEST_LIMIT_EXCEEDED';
  override readonly name = 'RequestLimitExceededError';
}

export class ModelVersionDoesNotExistError extends ResourceDoesNotExistError {
  constructor(name: string, version: number | string) {
    super(`Model Version (name=${name}, version=${version}) not found`);
  }
}

/** A request's version left the stage the request was made from. */
export class StaleRequestError extends InvalidStateError {}
