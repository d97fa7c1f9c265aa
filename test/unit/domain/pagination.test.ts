import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  decodePageToken,
  encodePageToken,
  validateMaxResults,
} from '#domain/pagination.ts';

const INVALID_TOKEN = 'Invalid page token, could not base64-decode';
const bounds = { defaultMaxResults: 100, maxMaxResults: 1000 };

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('pagination', () => {
  describe('encodePageToken / decodePageToken', () => {
    it.each<Record<string, string>>([
      { after: 'fraud-detector' },
      { after: '' },
      { after: 'é 😀 / + = ?&' },
      { after: 'a', extra: 'b' },
    ])('round-trips the cursor %j', (cursor) => {
      // Act
      const decoded = decodePageToken(encodePageToken(cursor));

      // Assess
      expect(decoded).toStrictEqual(cursor);
    });

    it('produces a token that is safe in a URL without escaping', () => {
      // Act
      const token = encodePageToken({ after: '???>>>~~~ÿÿÿ😀' });

      // Assess
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    });

    it.each([
      ['not base64 at all', '!!!***'],
      [
        'base64 of text that is not JSON',
        Buffer.from('hello').toString('base64'),
      ],
      ['a JSON array', Buffer.from('["a"]').toString('base64url')],
      ['a JSON string', Buffer.from('"a"').toString('base64url')],
      ['JSON null', Buffer.from('null').toString('base64url')],
      [
        'a non-string cursor value',
        Buffer.from('{"after":1}').toString('base64url'),
      ],
      ['a truncated token', encodePageToken({ after: 'model' }).slice(0, 5)],
    ])("refuses %s with MLflow's message", (_label, token) => {
      // Act
      const error = thrownBy(() => decodePageToken(token));

      // Assess
      expect(error).toBeInstanceOf(InvalidParameterValueError);
      expect(error).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
      expect(error).toHaveProperty('message', INVALID_TOKEN);
    });
  });

  describe('validateMaxResults', () => {
    it('defaults when absent', () => {
      // Act & Assess
      expect(validateMaxResults(undefined, bounds)).toBe(100);
    });

    it.each([1, 100, 1000])('accepts %i', (maxResults) => {
      // Act & Assess
      expect(validateMaxResults(maxResults, bounds)).toBe(maxResults);
    });

    it.each([0, -1, 1001, 2.5, Number.NaN])('refuses %d', (maxResults) => {
      // Act
      const error = thrownBy(() => validateMaxResults(maxResults, bounds));

      // Assess
      expect(error).toBeInstanceOf(InvalidParameterValueError);
      expect(error).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
      expect(error).toHaveProperty(
        'message',
        `Invalid value for max_results. It must be at most 1000, but got value ${maxResults}`
      );
    });
  });
});
