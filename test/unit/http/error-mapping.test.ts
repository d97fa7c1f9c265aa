import { describe, expect, it } from 'vitest';
import {
  EndpointNotFoundError,
  type ErrorCode,
  InvalidParameterValueError,
  InvalidStateError,
  PermissionDeniedError,
  RegisteredModelAlreadyExistsError,
  RegisteredModelDoesNotExistError,
  type RegistryError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  UnauthenticatedError,
} from '#domain/errors.ts';
import {
  errorCodeToHttpStatus,
  errorResponse,
  isKnownError,
  toErrorResponse,
} from '#http/error-mapping.ts';

const ALL_CODES = [
  'INVALID_PARAMETER_VALUE',
  'RESOURCE_ALREADY_EXISTS',
  'RESOURCE_DOES_NOT_EXIST',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'INVALID_STATE',
  'ENDPOINT_NOT_FOUND',
  'REQUEST_LIMIT_EXCEEDED',
  'TEMPORARILY_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const satisfies readonly ErrorCode[];

// Fails to type-check when ErrorCode gains a code that ALL_CODES lacks.
const everyCodeListed: [
  Exclude<ErrorCode, (typeof ALL_CODES)[number]>,
] extends [never]
  ? true
  : false = true;

function bodyOf(response: { body?: string }): unknown {
  return JSON.parse(response.body ?? '');
}

describe('error mapping', () => {
  describe('errorCodeToHttpStatus', () => {
    it('lists every error code', () => {
      // Act & Assess
      expect(everyCodeListed).toBe(true);
      expect(Object.keys(errorCodeToHttpStatus).sort()).toStrictEqual(
        [...ALL_CODES].sort()
      );
    });

    it.each(ALL_CODES)('maps %s to an HTTP error status', (code) => {
      // Act
      const status = errorCodeToHttpStatus[code];

      // Assess
      expect(Number.isInteger(status)).toBe(true);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    });

    it.each([
      ['RESOURCE_ALREADY_EXISTS', 400],
      ['INVALID_STATE', 409],
      ['INVALID_PARAMETER_VALUE', 400],
      ['RESOURCE_DOES_NOT_EXIST', 404],
      ['ENDPOINT_NOT_FOUND', 404],
      ['PERMISSION_DENIED', 403],
      ['UNAUTHENTICATED', 401],
      ['REQUEST_LIMIT_EXCEEDED', 429],
      ['TEMPORARILY_UNAVAILABLE', 503],
      ['INTERNAL_ERROR', 500],
    ] as const)('answers %s with %i', (code, status) => {
      // Act & Assess
      expect(errorCodeToHttpStatus[code]).toBe(status);
    });
  });

  describe('errorResponse', () => {
    it('answers JSON {error_code, message} with the mapped status', () => {
      // Act
      const response = errorResponse('INVALID_STATE', 'Lost a race.');

      // Assess
      expect(response).toStrictEqual({
        statusCode: 409,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          error_code: 'INVALID_STATE',
          message: 'Lost a race.',
        }),
      });
    });
  });

  describe('toErrorResponse', () => {
    it.each<[RegistryError, number]>([
      [new InvalidParameterValueError('bad'), 400],
      [new ResourceAlreadyExistsError('exists'), 400],
      [new RegisteredModelAlreadyExistsError('m'), 400],
      [new ResourceDoesNotExistError('gone'), 404],
      [new RegisteredModelDoesNotExistError('m'), 404],
      [new PermissionDeniedError('no'), 403],
      [new UnauthenticatedError('who?'), 401],
      [new InvalidStateError('raced'), 409],
      [new EndpointNotFoundError('nothing here'), 404],
    ])('maps %s to its code, status and message', (error, status) => {
      // Act
      const response = toErrorResponse(error);

      // Assess
      expect(response.statusCode).toBe(status);
      expect(bodyOf(response)).toStrictEqual({
        error_code: error.code,
        message: error.message,
      });
    });

    it.each([
      ['an Error', new Error('ECONNREFUSED 10.0.0.7:8000 secret-table')],
      [
        'a TypeError',
        new TypeError(
          "Cannot read properties of undefined (reading 'secret-table')"
        ),
      ],
      ['a thrown string', 'secret-table'],
      ['undefined', undefined],
    ])(
      'answers %s with a generic 500 that reveals nothing',
      (_label, thrown) => {
        // Act
        const response = toErrorResponse(thrown);

        // Assess
        expect(response.statusCode).toBe(500);
        const body = bodyOf(response) as {
          error_code: string;
          message: string;
        };
        expect(body.error_code).toBe('INTERNAL_ERROR');
        expect(body.message).not.toContain('secret-table');
        expect(body.message).not.toContain('ECONNREFUSED');
        expect(body.message).not.toMatch(/unexpected error/i);
        expect(body.message.length).toBeGreaterThan(0);
      }
    );
  });

  describe('isKnownError', () => {
    it('recognizes registry errors only', () => {
      // Act & Assess
      expect(isKnownError(new InvalidStateError('x'))).toBe(true);
      expect(isKnownError(new Error('x'))).toBe(false);
      expect(
        isKnownError({ code: 'INVALID_STATE', message: 'look-alike' })
      ).toBe(false);
    });
  });
});
