import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  type Tag,
  validateDescription,
  validateModelName,
  validateTagKey,
  validateTags,
  validateTagValue,
} from '#domain/registered-model.ts';

function expectInvalid(act: () => unknown, message: RegExp | string): void {
  let thrown: unknown;
  try {
    act();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidParameterValueError);
  expect(thrown).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
  expect((thrown as Error).message).toMatch(message);
}

describe('RegisteredModel', () => {
  describe('validateModelName', () => {
    it.each([
      'fraud-detector',
      'Fraud Detector v2',
      'team/model.name_1',
      'modèle-é',
      '😀',
    ])('accepts %j unchanged', (name) => {
      // Act
      const validated = validateModelName(name);

      // Assess
      expect(validated).toBe(name);
    });

    it('refuses an empty name', () => {
      // Act & Assess
      expectInvalid(
        () => validateModelName(''),
        'Registered model name cannot be empty.'
      );
    });

    it('accepts a name of exactly 256 characters', () => {
      // Prepare
      const name = 'm'.repeat(256);

      // Act
      const validated = validateModelName(name);

      // Assess
      expect(validated).toBe(name);
    });

    it('refuses a name of 257 characters', () => {
      // Act & Assess
      expectInvalid(
        () => validateModelName('m'.repeat(257)),
        /is longer than 256 characters\.$/
      );
    });

    it.each([
      ['NUL', '\u0000'],
      ['tab', '\t'],
      ['line feed', '\n'],
      ['carriage return', '\r'],
      ['unit separator', '\u001f'],
      ['DEL', '\u007f'],
    ])('refuses a name containing a %s', (_label, character) => {
      // Act & Assess
      expectInvalid(
        () => validateModelName(`model${character}name`),
        'Registered model name must not contain control characters.'
      );
    });
  });

  describe('validateTagKey', () => {
    it.each(['team', 'a/b/c', 'mlflow.source.type', '...', 'a..b', 'x/..y'])(
      'accepts %j',
      (key) => {
        // Act & Assess
        expect(() => validateTagKey(key)).not.toThrow();
      }
    );

    it('refuses an empty key', () => {
      // Act & Assess
      expectInvalid(() => validateTagKey(''), 'Tag key cannot be empty.');
    });

    it('accepts a key of exactly 250 characters', () => {
      // Act & Assess
      expect(() => validateTagKey('k'.repeat(250))).not.toThrow();
    });

    it('refuses a key of 251 characters, naming the limit', () => {
      // Act & Assess
      expectInvalid(
        () => validateTagKey('k'.repeat(251)),
        /had length 251, which exceeded length limit of 250$/
      );
    });

    it.each([
      '..',
      '../secrets',
      'a/../b',
      'a/..',
      '/absolute',
      'nul\u0000byte',
    ])('refuses %j, which could resolve to another name', (key) => {
      // Act & Assess
      expectInvalid(
        () => validateTagKey(key),
        /Tag keys must not resolve to other names\.$/
      );
    });
  });

  describe('validateTagValue', () => {
    it('accepts an empty value', () => {
      // Act & Assess
      expect(() => validateTagValue('k', '')).not.toThrow();
    });

    it('accepts a value of exactly 5000 characters', () => {
      // Act & Assess
      expect(() => validateTagValue('k', 'v'.repeat(5000))).not.toThrow();
    });

    it('refuses a value of 5001 characters, naming the key', () => {
      // Act & Assess
      expectInvalid(
        () => validateTagValue('owner', 'v'.repeat(5001)),
        "Tag value for key 'owner' had length 5001, which exceeded length limit of 5000"
      );
    });
  });

  describe('validateTags', () => {
    it('keeps distinct tags in their order', () => {
      // Prepare
      const tags: Tag[] = [
        { key: 'z', value: '1' },
        { key: 'a', value: '2' },
        { key: 'm', value: '3' },
      ];

      // Act
      const validated = validateTags(tags);

      // Assess
      expect(validated).toStrictEqual(tags);
    });

    it('keeps the last value of a repeated key, at its first position', () => {
      // Act
      const validated = validateTags([
        { key: 'stage', value: 'dev' },
        { key: 'team', value: 'risk' },
        { key: 'stage', value: 'prod' },
      ]);

      // Assess
      expect(validated).toStrictEqual([
        { key: 'stage', value: 'prod' },
        { key: 'team', value: 'risk' },
      ]);
    });

    it('accepts exactly 50 tags', () => {
      // Prepare
      const tags = Array.from({ length: 50 }, (_, i) => ({
        key: `k${i}`,
        value: 'v',
      }));

      // Act
      const validated = validateTags(tags);

      // Assess
      expect(validated).toHaveLength(50);
    });

    it('refuses 51 tags', () => {
      // Prepare
      const tags = Array.from({ length: 51 }, (_, i) => ({
        key: `k${i}`,
        value: 'v',
      }));

      // Act & Assess
      expectInvalid(
        () => validateTags(tags),
        'At most 50 tags are allowed, got 51.'
      );
    });

    it('refuses the list when one key is invalid', () => {
      // Act & Assess
      expectInvalid(
        () =>
          validateTags([
            { key: 'ok', value: 'v' },
            { key: '../escape', value: 'v' },
          ]),
        /^Invalid tag key '\.\.\/escape'/
      );
    });

    it('refuses the list when one value is too long', () => {
      // Act & Assess
      expectInvalid(
        () => validateTags([{ key: 'big', value: 'v'.repeat(5001) }]),
        /^Tag value for key 'big'/
      );
    });
  });

  describe('validateDescription', () => {
    it('accepts an empty description', () => {
      // Act & Assess
      expect(validateDescription('')).toBe('');
    });

    it('accepts a description of exactly 5000 characters', () => {
      // Prepare
      const description = 'd'.repeat(5000);

      // Act & Assess
      expect(validateDescription(description)).toBe(description);
    });

    it('refuses a description of 5001 characters', () => {
      // Act & Assess
      expectInvalid(
        () => validateDescription('d'.repeat(5001)),
        'Description had length 5001, which exceeded length limit of 5000'
      );
    });
  });
});
