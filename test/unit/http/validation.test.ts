import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { fields, parseInput } from '#http/validation.ts';

const SEE_DOCS =
  'See the API docs at /api/openapi.json for more information about request parameters.';

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectInvalid(act: () => unknown, message: string): void {
  const error = thrownBy(act);
  expect(error).toBeInstanceOf(InvalidParameterValueError);
  expect(error).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
  expect(error).toHaveProperty('message', message);
}

describe('validation', () => {
  describe('parseInput', () => {
    const schema = z.object({
      name: fields.string(),
      description: fields.optionalString(),
    });

    it('returns the typed input and drops unknown fields', () => {
      // Act
      const input = parseInput(schema, { name: 'm', unknown: 1 });

      // Assess
      expect(input).toStrictEqual({ name: 'm' });
    });

    it.each([
      ['absent', {}],
      ['null', { name: null }],
    ])(
      "says a required field that is %s is missing, in MLflow's words",
      (_label, raw) => {
        // Act & Assess
        expectInvalid(
          () => parseInput(schema, raw),
          `Missing value for required parameter 'name'. ${SEE_DOCS}`
        );
      }
    );

    it.each([
      ['a number', { name: 5 }, '5'],
      ['a boolean', { name: true }, 'true'],
      ['an object', { name: { a: 1 } }, '{"a":1}'],
      ['a list', { name: ['a', 'b'] }, '["a","b"]'],
    ])(
      'says a field of the wrong type holds an invalid value (%s)',
      (_label, raw, shown) => {
        // Act & Assess
        expectInvalid(
          () => parseInput(schema, raw),
          `Invalid value ${shown} for parameter 'name' supplied. ${SEE_DOCS}`
        );
      }
    );

    it('names an optional field that has the wrong type', () => {
      // Act & Assess
      expectInvalid(
        () => parseInput(schema, { name: 'm', description: 7 }),
        `Invalid value 7 for parameter 'description' supplied. ${SEE_DOCS}`
      );
    });

    it('shortens a long invalid value to 100 characters', () => {
      // Prepare
      const value = Array.from({ length: 100 }, () => 1);

      // Act
      const error = thrownBy(() => parseInput(schema, { name: value }));

      // Assess
      expect(error).toBeInstanceOf(InvalidParameterValueError);
      expect(error).toHaveProperty(
        'message',
        `Invalid value ${JSON.stringify(value).slice(0, 100)}… for parameter 'name' supplied. ${SEE_DOCS}`
      );
    });

    it('names a nested field by its dotted path', () => {
      // Prepare
      const tagged = z.object({ tags: fields.tags() });

      // Act & Assess
      expectInvalid(
        () => parseInput(tagged, { tags: [{ key: 'a' }, { value: 'v' }] }),
        `Missing value for required parameter 'tags.1.key'. ${SEE_DOCS}`
      );
    });
  });

  describe('fields.int64', () => {
    const schema = z.object({ max_results: fields.int64() });

    it.each([
      ['a JSON number', 42, 42],
      ['a numeric string', '42', 42],
      ['a negative numeric string', '-7', -7],
      ['zero as a string', '0', 0],
    ])('accepts %s', (_label, value, expected) => {
      // Act & Assess
      expect(parseInput(schema, { max_results: value })).toStrictEqual({
        max_results: expected,
      });
    });

    it.each([
      ['a fraction', 4.2, '4.2'],
      ['a fractional string', '4.2', '"4.2"'],
      ['a word', 'ten', '"ten"'],
      ['an empty string', '', '""'],
      ['a string with spaces', ' 4', '" 4"'],
      ['repeated query values', ['1', '2'], '["1","2"]'],
    ])('refuses %s', (_label, value, shown) => {
      // Act & Assess
      expectInvalid(
        () => parseInput(schema, { max_results: value }),
        `Invalid value ${shown} for parameter 'max_results' supplied. ${SEE_DOCS}`
      );
    });
  });

  describe('fields.boolean', () => {
    const schema = z.object({ flag: fields.boolean() });

    it.each([
      [true, true],
      [false, false],
      ['true', true],
      ['false', false],
    ])('reads %j as %j', (value, expected) => {
      // Act & Assess
      expect(parseInput(schema, { flag: value })).toStrictEqual({
        flag: expected,
      });
    });

    it.each([
      ['TRUE', '"TRUE"'],
      ['1', '"1"'],
      ['yes', '"yes"'],
      [1, '1'],
    ])('refuses %j', (value, shown) => {
      // Act & Assess
      expectInvalid(
        () => parseInput(schema, { flag: value }),
        `Invalid value ${shown} for parameter 'flag' supplied. ${SEE_DOCS}`
      );
    });
  });

  describe('fields.stringList', () => {
    const schema = z.object({ order_by: fields.stringList() });

    it('makes a single query value a one-element list', () => {
      // Act & Assess
      expect(parseInput(schema, { order_by: 'name ASC' })).toStrictEqual({
        order_by: ['name ASC'],
      });
    });

    it('keeps a list as it is', () => {
      // Act & Assess
      expect(parseInput(schema, { order_by: ['a', 'b'] })).toStrictEqual({
        order_by: ['a', 'b'],
      });
    });

    it('refuses a list holding a non-string', () => {
      // Act & Assess
      expectInvalid(
        () => parseInput(schema, { order_by: ['a', 3] }),
        `Invalid value 3 for parameter 'order_by.1' supplied. ${SEE_DOCS}`
      );
    });
  });

  describe('fields.tags', () => {
    const schema = z.object({ tags: fields.tags() });

    it.each([
      ['null', null],
      ['absent', undefined],
    ])(
      'turns a tag value that is %s into the empty string',
      (_label, value) => {
        // Act & Assess
        expect(
          parseInput(schema, { tags: [{ key: 'k', value }] })
        ).toStrictEqual({ tags: [{ key: 'k', value: '' }] });
      }
    );
  });
});
