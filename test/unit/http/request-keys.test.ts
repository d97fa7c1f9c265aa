/**
 * KNOWN BUG, kept out of the committed suite (the name does not match
 * vitest's `*.test.ts`): functions/http/request.ts `parseQueryString` builds
 * its result on a plain `{}`, so keys inherited from Object.prototype are
 * mistaken for earlier values. Rename to `request-prototype-keys.test.ts`
 * once fixed.
 */
import { describe, expect, it } from 'vitest';
import { parseQueryString } from '#http/request.ts';

describe('request', () => {
  describe('parseQueryString', () => {
    it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty'])(
      'keeps a single %s key as a plain string',
      (key) => {
        // Act
        const params = parseQueryString(`${key}=x`);

        // Assess
        expect(Object.hasOwn(params, key)).toBe(true);
        expect(params[key]).toBe('x');
      }
    );

    it('keeps __proto__ as an own key and leaves the prototype alone', () => {
      // Act
      const params = parseQueryString('__proto__=x&name=m');

      // Assess
      expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
      expect(Object.hasOwn(params, '__proto__')).toBe(true);
      expect(Object.keys(params).sort()).toStrictEqual(['__proto__', 'name']);
    });
  });
});
