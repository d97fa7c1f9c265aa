import { describe, expect, it } from 'vitest';
import {
  ApiError,
  ConnectionError,
  connectionReason,
  StorageError,
  type Subject,
} from '../../../cli/client.ts';
import type { Target } from '../../../cli/config.ts';
import {
  ChecksumMismatchError,
  ConfigError,
  describeError,
  UsageError,
  VersionNotReadyError,
} from '../../../cli/errors.ts';

const HOST = 'https://registry.example.com';

function target(tokenSource: string, profile?: string): Target {
  return {
    host: HOST,
    token: 'dapi-secret',
    profile,
    hostSource: profile ? `profile ${profile}` : '--host',
    tokenSource,
  };
}

function apiError(
  status: number,
  errorCode: string,
  message: string,
  subject: Subject = {},
  at: Target = target('profile prod', 'prod')
) {
  return new ApiError({
    status,
    errorCode,
    message,
    method: 'GET',
    path: '/api/2.0/x',
    target: at,
    subject,
  });
}

describe('describeError', () => {
  it("explains a refused token and how to replace the profile's", () => {
    // Act
    const { message, exitCode } = describeError(
      apiError(401, 'UNAUTHENTICATED', 'Invalid access token.')
    );

    // Assess
    expect(exitCode).toBe(1);
    expect(message).toBe(
      `the registry at ${HOST} refused the token (profile prod): create a new one (POST /api/2.0/token/create with a working token, or ask an admin) and save it with stagegate profile set prod --token <new token>`
    );
    expect(message).not.toContain('dapi-secret');
  });

  it('names the variable a refused token came from', () => {
    // Act
    const { message } = describeError(
      apiError(401, 'UNAUTHENTICATED', 'expired', {}, target('STAGEGATE_TOKEN'))
    );

    // Assess
    expect(message).toMatch(
      /refused the token \(token from STAGEGATE_TOKEN\): .* and set STAGEGATE_TOKEN$/
    );
  });

  it('names a missing model and a missing version', () => {
    // Act
    const model = describeError(
      apiError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Registered Model with name=fraud not found',
        { model: 'fraud' }
      )
    );
    const version = describeError(
      apiError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Model Version (name=fraud, version=9) not found',
        { model: 'fraud', version: '9' }
      )
    );

    // Assess
    expect(model.message).toBe(
      `registered model fraud does not exist on ${HOST}`
    );
    expect(version.message).toBe(
      `version 9 of registered model fraud does not exist on ${HOST}`
    );
  });

  it.each([
    [
      'no open transition request',
      "No open request to move version 3 of 'fraud' to Production.",
      { model: 'fraud', version: '3' },
    ],
    [
      'a missing tag',
      'No tag with name: team in registered model fraud.',
      { model: 'fraud' },
    ],
    [
      'a version without managed artifacts',
      "Version 3 of registered model 'fraud' has no registry-managed artifacts; its source is s3://b/m.",
      { model: 'fraud', version: '3' },
    ],
  ])(
    'reports what the registry says is missing for %s, not the model',
    (_case, said, subject) => {
      // Act
      const { message, exitCode } = describeError(
        apiError(404, 'RESOURCE_DOES_NOT_EXIST', said, subject)
      );

      // Assess
      expect(exitCode).toBe(1);
      expect(message).toBe(`${said} (on ${HOST})`);
      expect(message).not.toContain('does not exist');
    }
  );

  it('names a missing model addressed by id', () => {
    // Act
    const { message } = describeError(
      apiError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Registered model with id 0123 not found.',
        { model: 'fraud' }
      )
    );

    // Assess
    expect(message).toBe(`registered model fraud does not exist on ${HOST}`);
  });

  it('says which route a registry without the feature lacks', () => {
    // Act
    const { message } = describeError(
      apiError(404, 'ENDPOINT_NOT_FOUND', 'No API endpoint')
    );

    // Assess
    expect(message).toMatch(
      new RegExp(`^the registry at ${HOST} does not serve GET /api/2.0/x`)
    );
  });

  it('passes permission messages through with the host', () => {
    // Act
    const { message } = describeError(
      apiError(403, 'PERMISSION_DENIED', 'User u lacks Can Manage on fraud.')
    );

    // Assess
    expect(message).toBe(
      `permission denied on ${HOST}: User u lacks Can Manage on fraud.`
    );
  });

  it('explains an unreachable registry and where its host came from', () => {
    // Act
    const { message, exitCode } = describeError(
      new ConnectionError(target('profile prod', 'prod'), 'connection refused')
    );

    // Assess
    expect(exitCode).toBe(1);
    expect(message).toBe(
      `cannot reach ${HOST} (connection refused): is the registry running, and is the host right? (host from profile prod)`
    );
  });

  it('reports a version that is not READY with its status message', () => {
    // Act
    const { message } = describeError(
      new VersionNotReadyError(
        'fraud',
        '4',
        'FAILED_REGISTRATION',
        'copy failed at part 3'
      )
    );

    // Assess
    expect(message).toBe(
      'version 4 of fraud is FAILED_REGISTRATION: copy failed at part 3'
    );
  });

  it('exits 2 for usage and configuration problems, 1 for the rest', () => {
    // Act & Assess
    expect(describeError(new UsageError('bad')).exitCode).toBe(2);
    expect(describeError(new ConfigError('no profile')).exitCode).toBe(2);
    expect(
      describeError(new ChecksumMismatchError('a', 'x', 'y')).exitCode
    ).toBe(1);
    expect(
      describeError(new StorageError('storage answered 403', 403)).exitCode
    ).toBe(1);
    expect(describeError(new TypeError('boom'))).toEqual({
      message:
        'unexpected error: TypeError: boom (run again with --debug for details)',
      exitCode: 1,
    });
  });
});

describe('connectionReason', () => {
  it("reads undici's cause codes", () => {
    // Prepare
    const failure = (code: string) =>
      new TypeError('fetch failed', {
        cause: Object.assign(new Error(code), { code }),
      });

    // Act & Assess
    expect(connectionReason(failure('ECONNREFUSED'))).toBe(
      'connection refused'
    );
    expect(connectionReason(failure('ENOTFOUND'))).toBe('host not found');
    expect(connectionReason(failure('DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe(
      'TLS certificate not trusted: DEPTH_ZERO_SELF_SIGNED_CERT'
    );
  });
});
