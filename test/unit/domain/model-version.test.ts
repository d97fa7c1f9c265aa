import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import {
  parseVersionNumber,
  validateAlias,
  validateRunFields,
  validateSource,
} from '#domain/model-version.ts';

function refusal(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

function expectInvalid(act: () => unknown, message?: string | RegExp): void {
  const error = refusal(act);
  expect(error).toBeInstanceOf(InvalidParameterValueError);
  expect(error).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
  if (message !== undefined) expect(() => act()).toThrow(message);
}

describe('ModelVersion', () => {
  describe('parseVersionNumber', () => {
    it.each([
      ['7', 7],
      [' 12 ', 12],
      [3, 3],
      [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    ])('reads %j as %i', (input, expected) => {
      // Act
      const version = parseVersionNumber(input);

      // Assess
      expect(version).toBe(expected);
    });

    it.each([
      '0',
      '-1',
      '1.5',
      '1e3',
      '',
      'one',
      String(Number.MAX_SAFE_INTEGER + 2),
    ])("refuses %j with MLflow's message", (input) => {
      expectInvalid(
        () => parseVersionNumber(input),
        `Model version must be an integer, got '${input}'`
      );
    });
  });

  describe('validateSource', () => {
    it.each([
      's3://bucket/models/fraud/1',
      'runs:/0123456789abcdef/model',
      'models:/fraud/1',
      'mlflow-artifacts:/1/abc/artifacts/model',
      'HTTPS://example.com/model.tar.gz',
      'dbfs:/FileStore/model',
      `stagegate-upload:${'a'.repeat(32)}`,
    ])('accepts the URI %s as given', (source) => {
      // Act
      const accepted = validateSource(source);

      // Assess
      expect(accepted).toBe(source);
    });

    it('accepts a source of exactly the length limit and refuses one more character', () => {
      // Prepare
      const at = `s3://b/${'k'.repeat(limits.sourceLength - 7)}`;

      // Act
      const accepted = validateSource(at);

      // Assess
      expect(accepted).toHaveLength(limits.sourceLength);
      expectInvalid(
        () => validateSource(`${at}k`),
        `Model version source had length ${limits.sourceLength + 1}, which exceeded length limit of ${limits.sourceLength}`
      );
    });

    it.each([
      ['empty', ''],
      ['blank', '   '],
    ])('refuses a %s source as missing', (_, source) => {
      expectInvalid(
        () => validateSource(source),
        "Missing value for required parameter 'source'."
      );
    });

    it.each([
      '/tmp/model',
      'model/dir',
      'file:///tmp/model',
      'ftp://example.com/model',
      'C:\\models\\fraud',
    ])(
      'refuses %j: a registry has no local disk and takes known schemes only',
      (source) => {
        expectInvalid(
          () => validateSource(source),
          `Invalid model version source: '${source}'. To use a local path`
        );
      }
    );

    it.each([
      's3://bucket/a/../b',
      's3://bucket/..',
      'runs:/abc/..\\secret',
      's3://bucket/a%2f..%2fb',
      's3://bucket/a%5Cb',
      's3://bucket/%2e%2e/b',
      's3://bucket/%252e%252e/b',
      's3://bucket/a\0b',
      's3://bucket/%zz/%2e%2e/b',
    ])('refuses the traversal in %j, however it is encoded', (source) => {
      expectInvalid(
        () => validateSource(source),
        'Path traversal is not allowed.'
      );
    });

    it('accepts dots that are not a whole segment', () => {
      // Act
      const accepted = validateSource('s3://bucket/v1..2/model.pkl');

      // Assess
      expect(accepted).toBe('s3://bucket/v1..2/model.pkl');
    });
  });

  describe('validateRunFields', () => {
    it('accepts absent fields and fields at their limits', () => {
      // Act
      const check = () => {
        validateRunFields({});
        validateRunFields({
          runId: 'r'.repeat(limits.runIdLength),
          runLink: 'l'.repeat(limits.runLinkLength),
        });
      };

      // Assess
      expect(check).not.toThrow();
    });

    it('refuses a run_id or run_link one character over its limit, naming it', () => {
      expectInvalid(
        () => validateRunFields({ runId: 'r'.repeat(limits.runIdLength + 1) }),
        `run_id had length ${limits.runIdLength + 1}, which exceeded length limit of ${limits.runIdLength}`
      );
      expectInvalid(
        () =>
          validateRunFields({ runLink: 'l'.repeat(limits.runLinkLength + 1) }),
        `run_link had length ${limits.runLinkLength + 1}, which exceeded length limit of ${limits.runLinkLength}`
      );
    });
  });

  describe('validateAlias', () => {
    it.each([
      'champion',
      'Challenger_2',
      'blue-green',
      'a'.repeat(limits.aliasLength),
      'v',
      'vx1',
    ])('accepts %j', (alias) => {
      expect(validateAlias(alias)).toBe(alias);
    });

    it.each(['', 'has space', 'dot.ted', 'a'.repeat(limits.aliasLength + 1)])(
      'refuses %j as malformed',
      (alias) => {
        expectInvalid(
          () => validateAlias(alias),
          `Invalid alias name '${alias}'. Aliases must be 1-255 characters`
        );
      }
    );

    it.each(['latest', 'LATEST'])(
      'reserves %j, which names the newest version',
      (alias) => {
        expectInvalid(
          () => validateAlias(alias),
          "'latest' alias name (case insensitive) is reserved."
        );
      }
    );

    it.each(['v1', 'V42'])(
      'reserves %j, which reads as a version number',
      (alias) => {
        expectInvalid(
          () => validateAlias(alias),
          `Version alias name '${alias}' is reserved.`
        );
      }
    );
  });
});
