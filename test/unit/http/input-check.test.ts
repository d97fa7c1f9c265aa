import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import { checkInput, defaultRule, fieldRules } from '#http/input-check.ts';
import { responseJson } from '#http/json-text.ts';
import { parseQueryString, rawInput } from '#http/request.ts';
import { createTestEvent } from '#test/support/events.ts';

function refusal(input: Record<string, unknown>): InvalidParameterValueError {
  try {
    checkInput(input);
  } catch (error) {
    if (error instanceof InvalidParameterValueError) return error;
    throw error;
  }
  throw new Error('checkInput accepted the input');
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

describe('checkInput', () => {
  describe('well-formed Unicode', () => {
    it.each([
      ['a lone high surrogate', { key: 'k\ud800' }, 'key'],
      ['a lone low surrogate', { key: 'k\udc00' }, 'key'],
      ['a reversed pair', { value: '\ude00\ud83d' }, 'value'],
      [
        'a lone surrogate in a list',
        { stages: ['None', 'x\ud800'] },
        'stages.1',
      ],
      [
        'a lone surrogate in a nested field',
        { tags: [{ key: 'ok', value: 'v\udfff' }] },
        'tags.0.value',
      ],
    ])('refuses %s, naming the field', (_case, input, path) => {
      // Act
      const error = refusal(input);

      // Assess
      expect(error.code).toBe('INVALID_PARAMETER_VALUE');
      expect(error.message).toBe(
        `Invalid value for parameter '${path}': it is not well-formed Unicode (it holds a lone surrogate).`
      );
    });

    it('refuses a field name holding a lone surrogate', () => {
      // Act
      const error = refusal({ name: 'm', 'k\ud800': 'v' });

      // Assess
      expect(error.message).toMatch(/^Invalid name of parameter 'k.*lone/);
    });

    it('accepts paired surrogates and U+FFFD', () => {
      // Act & Assess
      expect(() =>
        checkInput({ name: 'modèle 😀', key: 'k\ufffd', value: '𝔘' })
      ).not.toThrow();
    });

    it('never meets a lone surrogate from a query string: UTF-8 escapes of one decode to U+FFFD', () => {
      // Act
      const query = parseQueryString('name=n%ED%A0%80');

      // Assess
      expect(query).toStrictEqual({ name: 'n\ufffd\ufffd\ufffd' });
      expect(() => checkInput(query)).not.toThrow();
    });
  });

  describe('control characters', () => {
    it.each([
      ['NUL', '\u0000', 'U+0000'],
      ['a line feed', 'a\nb', 'U+000A'],
      ['a tab', 'a\tb', 'U+0009'],
      ['DEL', 'a\u007f', 'U+007F'],
      ['an escape', '\u001b[31m', 'U+001B'],
    ])(
      'refuses %s in an identifier field (a model name)',
      (_case, name, code) => {
        // Act
        const error = refusal({ name });

        // Assess
        expect(error.message).toBe(
          `Invalid value for parameter 'name': it contains the control character ${code}.`
        );
      }
    );

    it.each([
      ['description', 'line 1\nline 2\r\n\tindented'],
      ['comment', 'looks good\n'],
      ['value', 'a\tb'],
      ['filter', "name = 'a'\n"],
    ])(
      'keeps tab, line feed and carriage return in the text field %s',
      (field, value) => {
        // Act & Assess
        expect(() => checkInput({ [field]: value })).not.toThrow();
      }
    );

    it.each([
      ['NUL', 'a\u0000b', 'U+0000'],
      ['a vertical tab', 'a\u000bb', 'U+000B'],
      ['a backspace', 'a\u0008b', 'U+0008'],
    ])('refuses %s in a text field', (_case, description, code) => {
      // Act
      const error = refusal({ description });

      // Assess
      expect(error.message).toBe(
        `Invalid value for parameter 'description': it contains the control character ${code} (only tab, line feed and carriage return are allowed).`
      );
    });

    it('refuses a control character in a field name', () => {
      // Act
      const error = refusal({ 'na\u0000me': 'm' });

      // Assess
      expect(error.message).toMatch(/^Invalid name of parameter .*U\+0000/);
    });
  });

  describe('lengths', () => {
    it.each([
      ['name', limits.modelNameLength],
      ['key', limits.tagKeyLength],
      ['value', limits.tagValueLength],
      ['description', limits.descriptionLength],
      ['comment', limits.commentLength],
      ['id', limits.idLength],
      ['token_id', limits.idLength],
      ['registered_model_id', limits.idLength],
      ['page_token', limits.pageTokenLength],
      ['secret', limits.secretLength],
      ['some_unknown_field', limits.stringLength],
    ])('caps %s at %i characters', (field, limit) => {
      // Act
      const error = refusal({ [field]: 'x'.repeat(limit + 1) });

      // Assess
      expect(() => checkInput({ [field]: 'x'.repeat(limit) })).not.toThrow();
      expect(error.message).toBe(
        `Invalid value for parameter '${field}': it had length ${limit + 1}, which exceeded length limit of ${limit}.`
      );
    });

    it("takes a parent's rule first: SCIM member references are ids, tag values text", () => {
      // Act
      const member = refusal({ members: [{ value: 'x'.repeat(257) }] });

      // Assess
      expect(member.message).toContain('length limit of 256');
      expect(() =>
        checkInput({ tags: [{ key: 'k', value: 'x'.repeat(5000) }] })
      ).not.toThrow();
    });

    it('never quotes the refused value (it may be a secret)', () => {
      // Act
      const error = refusal({
        http_url_spec: {
          url: 'https://x',
          secret: `s3cr3t${'x'.repeat(2000)}`,
        },
      });

      // Assess
      expect(error.message).toContain("'http_url_spec.secret'");
      expect(error.message).not.toContain('s3cr3t');
    });

    it('refuses an empty id', () => {
      // Act
      const error = refusal({ token_id: '' });

      // Assess
      expect(error.message).toBe(
        "Missing value for required parameter 'token_id': it must not be empty."
      );
    });

    it('bounds every rule within DynamoDB key and item sizes', () => {
      // Act
      const rules = [...Object.values(fieldRules), defaultRule];

      // Assess: 3 UTF-8 bytes per UTF-16 unit at most
      for (const rule of rules)
        expect(rule.maxLength * 3).toBeLessThan(400_000 / 10);
      expect(fieldRules.id?.maxLength ?? 0).toBeLessThanOrEqual(1024 / 4);
    });
  });

  describe('JSON depth', () => {
    it(`accepts ${limits.jsonDepth} levels`, () => {
      // Act & Assess: the top-level object is level 1
      expect(() =>
        checkInput({ name: nested(limits.jsonDepth - 1) })
      ).not.toThrow();
    });

    it('refuses one level more, naming the limit', () => {
      // Act
      const error = refusal({ name: nested(limits.jsonDepth) });

      // Assess
      expect(error.message).toMatch(
        /^Invalid value for parameter 'name(\.0)+': the request nests more than 16 levels deep, the JSON depth limit\.$/
      );
    });

    it('refuses a 100,000-deep array without exhausting the stack', () => {
      // Prepare
      const body = `{"name":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      const event = createTestEvent({ method: 'POST', body });

      // Act & Assess
      expect(() => rawInput(event)).toThrow(InvalidParameterValueError);
    });
  });

  describe('rawInput', () => {
    it('checks path parameters too', () => {
      // Prepare
      const event = {
        ...createTestEvent({ method: 'GET' }),
        pathParameters: { id: 'x'.repeat(3000) },
      };

      // Act & Assess
      expect(() => rawInput(event)).toThrow(
        "Invalid value for parameter 'id': it had length 3000, which exceeded length limit of 256."
      );
    });

    it('checks JSON escapes of lone surrogates in bodies', () => {
      // Prepare
      const event = createTestEvent({
        method: 'POST',
        body: '{"name":"m","key":"k\\ud800","value":"v"}',
      });

      // Act & Assess
      expect(() => rawInput(event)).toThrow(/'key': it is not well-formed/);
    });
  });
});

describe('responseJson', () => {
  it('sends stored lone surrogates as U+FFFD, in values and field names', () => {
    // Act
    const text = responseJson({
      tags: [{ key: 'k\ud800', value: 'v' }],
      'x\udc00': 1,
    });

    // Assess
    expect(JSON.parse(text)).toStrictEqual({
      tags: [{ key: 'k\ufffd', value: 'v' }],
      'x\ufffd': 1,
    });
    expect(text).not.toMatch(/\\ud[89a-f]/);
  });

  it('leaves well-formed text as JSON.stringify writes it', () => {
    // Prepare
    const body = { name: 'modèle 😀', description: 'a\\ud800 is an escape' };

    // Act & Assess
    expect(responseJson(body)).toBe(JSON.stringify(body));
  });
});
