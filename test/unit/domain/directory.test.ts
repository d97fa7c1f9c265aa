import { describe, expect, it } from 'vitest';
import {
  filterMatches,
  narrowingFor,
  newDirectoryId,
  pageOf,
  validateApplicationId,
  validateGroupName,
} from '#domain/directory.ts';
import { InvalidParameterValueError } from '#domain/errors.ts';

function expectInvalid(act: () => unknown) {
  expect(act).toThrow(InvalidParameterValueError);
  try {
    act();
  } catch (error) {
    expect(error).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
  }
}

describe('directory', () => {
  describe('filterMatches', () => {
    it.each([
      ['eq', 'Alice@Example.com', 'alice@example.com', true],
      ['eq', 'alice', 'alice@example.com', false],
      ['co', 'EXAMPLE', 'alice@example.com', true],
      ['co', 'zzz', 'alice@example.com', false],
      ['sw', 'ALI', 'alice@example.com', true],
      ['sw', 'lice', 'alice@example.com', false],
    ] as const)(
      '%s "%s" against %s is %s, ignoring case',
      (operator, value, actual, expected) => {
        // Act
        const matches = filterMatches(
          { attribute: 'name', operator, value },
          actual
        );

        // Assess
        expect(matches).toBe(expected);
      }
    );
  });

  describe('narrowingFor', () => {
    it('narrows eq and sw on the sort attribute', () => {
      // Act
      const eq = narrowingFor(
        { attribute: 'name', operator: 'eq', value: 'a' },
        'name'
      );
      const sw = narrowingFor(
        { attribute: 'name', operator: 'sw', value: 'a' },
        'name'
      );

      // Assess
      expect(eq).toStrictEqual({ operator: 'eq', value: 'a' });
      expect(sw).toStrictEqual({ operator: 'sw', value: 'a' });
    });

    it('does not narrow co, or a filter on another attribute', () => {
      // Act
      const co = narrowingFor(
        { attribute: 'name', operator: 'co', value: 'a' },
        'name'
      );
      const other = narrowingFor(
        { attribute: 'displayName', operator: 'eq', value: 'a' },
        'name'
      );

      // Assess
      expect(co).toBeUndefined();
      expect(other).toBeUndefined();
    });
  });

  describe('pageOf', () => {
    it('slices from the 1-based start and reports the total', () => {
      // Prepare
      const items = ['a', 'b', 'c', 'd', 'e'];

      // Act
      const page = pageOf(items, { startIndex: 2, count: 2 });
      const beyond = pageOf(items, { startIndex: 9, count: 2 });

      // Assess
      expect(page).toStrictEqual({
        totalResults: 5,
        startIndex: 2,
        items: ['b', 'c'],
      });
      expect(beyond.items).toStrictEqual([]);
      expect(beyond.totalResults).toBe(5);
    });
  });

  describe('validateGroupName', () => {
    it('trims the name', () => {
      // Act
      const name = validateGroupName('  data-science ');

      // Assess
      expect(name).toBe('data-science');
    });

    it.each([
      ['an empty name', ' '],
      ['a comma, which the authorizer context cannot carry', 'a,b'],
      ['the implicit users group', 'Users'],
      ['a too long name', 'x'.repeat(257)],
    ])('refuses %s', (_case, name) => {
      // Act & Assess
      expectInvalid(() => validateGroupName(name));
    });
  });

  describe('validateApplicationId', () => {
    it('lower-cases a UUID', () => {
      // Act
      const id = validateApplicationId('9A7E5C0B-1D2E-4F30-8A41-5B6C7D8E9F00');

      // Assess
      expect(id).toBe('9a7e5c0b-1d2e-4f30-8a41-5b6c7d8e9f00');
    });

    it('refuses anything but a UUID', () => {
      // Act & Assess
      expectInvalid(() => validateApplicationId('ci-robot'));
    });
  });

  describe('newDirectoryId', () => {
    it('makes 16-digit ids that JSON numbers carry exactly', () => {
      // Act
      const ids = Array.from({ length: 200 }, () => newDirectoryId());

      // Assess
      for (const id of ids) {
        expect(id).toMatch(/^[1-9]\d{15}$/);
        expect(Number.isSafeInteger(Number(id))).toBe(true);
      }
      expect(new Set(ids).size).toBe(ids.length);
    });
  });
});
