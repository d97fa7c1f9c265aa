import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseFoldingKey, compileLikePattern } from '#domain/like-pattern.ts';

/**
 * The semantics the matcher must keep: the RegExp the registry compiled
 * LIKE patterns to before (`%` → `.*`, `_` → `.`, the rest escaped,
 * anchored, flags `su`, plus `i` for ILIKE). Exponential on long values,
 * so only ever run on short ones.
 */
function regexOracle(pattern: string, ignoreCase: boolean): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += char.replace(/[\\^$.*+?()[\]{}|/]/, '\\$&');
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'isu' : 'su');
}

/** Whether two characters are equal, case-insensitively as `iu` has it. */
function sameCharacter(p: string, t: string, ignoreCase: boolean): boolean {
  if (p === t) return true;
  if (!ignoreCase) return false;
  return new RegExp(`^${p.replace(/[\\^$.*+?()[\]{}|/]/, '\\$&')}$`, 'iu').test(
    t
  );
}

/**
 * The textbook dynamic programme over (pattern position, value position),
 * memoised: slow, obviously right, and independent of the matcher's
 * segment-and-scan design.
 */
function referenceMatch(
  pattern: string,
  value: string,
  ignoreCase: boolean
): boolean {
  const p = [...pattern];
  const t = [...value];
  const memo = new Map<number, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = i * (t.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === p.length) result = j === t.length;
    else if (p[i] === '%') {
      result = match(i + 1, j) || (j < t.length && match(i, j + 1));
    } else {
      result =
        j < t.length &&
        (p[i] === '_' || sameCharacter(p[i] ?? '', t[j] ?? '', ignoreCase)) &&
        match(i + 1, j + 1);
    }
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

/**
 * Characters where matching goes wrong if anything does: the wildcards,
 * regex syntax, letters with several case partners (s/S/ſ, k/K/K, σ/ς/Σ),
 * ones whose case mapping is several characters (ß, İ), dotless ı, the
 * stability pairs (ΐ/ΐ, ﬅ/ﬆ), an astral character and lone surrogates.
 */
const ALPHABET = [
  'a',
  'b',
  'A',
  '%',
  '_',
  '.',
  '*',
  '\\',
  's',
  'S',
  'ſ',
  'k',
  'K',
  '\u212a',
  'ß',
  'ẞ',
  'i',
  'I',
  'ı',
  'İ',
  'σ',
  'ς',
  'Σ',
  '\u0390',
  '\u1fd3',
  '\ufb05',
  '\ufb06',
  'é',
  'É',
  '😀',
  '\ud83d',
  '\ud800',
  '\udc00',
];

const text = (maxLength: number) =>
  fc
    .array(fc.constantFrom(...ALPHABET), { maxLength })
    .map((chars) => chars.join(''));

describe('compileLikePattern', () => {
  it.each([
    ['%a%a%b', 'aaab', true],
    ['%a%a%b', 'aab', true],
    ['%a%a%b', 'ab', false],
    ['a%a', 'a', false],
    ['a%a', 'aa', true],
    ['%%', '', true],
    ['%', 'anything', true],
    ['', '', true],
    ['', 'a', false],
    ['_%_', 'ab', true],
    ['_%_', 'a', false],
    ['%ab%ab%', 'xabyab', true],
    ['%ab%ab%', 'xaby', false],
    ['%aab', 'aaab', true],
    ['a_c', 'a😀c', true],
    ['a__c', 'a😀c', false],
    ['_', '\ud800', true],
    ['\ud83d', '😀', false],
    ['%\ud83d%', '😀', false],
    ['\ud83d', '\ud83d', true],
  ])('LIKE %j on %j → %s', (pattern, value, expected) => {
    // Act
    const matches = compileLikePattern(pattern, false)(value);

    // Assess
    expect(matches).toBe(expected);
  });

  it.each([
    ['STRASSE', 'straße', false],
    ['straSSe', 'STRASSE', true],
    ['ß', 'ẞ', true],
    ['k', '\u212a', true],
    ['s', 'ſ', true],
    ['σ', 'ς', true],
    ['i', 'ı', false],
    ['i', 'İ', false],
    ['\u0390', '\u1fd3', true],
    ['%É_', 'café1', true],
  ])('ILIKE %j on %j → %s', (pattern, value, expected) => {
    // Act
    const matches = compileLikePattern(pattern, true)(value);

    // Assess
    expect(matches).toBe(expected);
  });

  it('answers a pattern with ten % over 5,000 characters', () => {
    // Prepare
    const value = 'a'.repeat(5000);
    const failing = compileLikePattern(`${'%a'.repeat(9)}%b`, false);
    const matching = compileLikePattern(`${'%a'.repeat(9)}%`, true);

    // Act & Assess
    expect(failing(value)).toBe(false);
    expect(failing(`${value}b`)).toBe(true);
    expect(matching(value.toUpperCase())).toBe(true);
  });

  it('answers a long segment with _ over 5,000 characters', () => {
    // Prepare
    const value = 'ab'.repeat(2500);
    const pattern = `%${'a_'.repeat(100)}c%`;

    // Act & Assess
    expect(compileLikePattern(pattern, false)(value)).toBe(false);
    expect(compileLikePattern(pattern, false)(`${value}c`)).toBe(true);
    expect(compileLikePattern(pattern, false)(`${value}xc`)).toBe(false);
  });

  it('agrees with the dynamic programme on short patterns and values', () => {
    fc.assert(
      fc.property(text(8), text(12), fc.boolean(), (pattern, value, ic) => {
        expect(compileLikePattern(pattern, ic)(value)).toBe(
          referenceMatch(pattern, value, ic)
        );
      }),
      { numRuns: 5000 }
    );
  });

  it('agrees with the RegExp it replaces on short patterns and values', () => {
    fc.assert(
      fc.property(text(8), text(12), fc.boolean(), (pattern, value, ic) => {
        expect(compileLikePattern(pattern, ic)(value)).toBe(
          regexOracle(pattern, ic).test(value)
        );
      }),
      { numRuns: 5000 }
    );
  });

  it('agrees with the dynamic programme when the value is built to match', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text(4), text(4)), { maxLength: 5 }),
        fc.boolean(),
        (pieces, ic) => {
          // A pattern whose literal pieces occur in the value in order, so
          // the interesting (matching) answers are common.
          const pattern = pieces.map(([literal]) => literal).join('%');
          const value = pieces.map(([literal, gap]) => literal + gap).join('');
          expect(compileLikePattern(pattern, ic)(value)).toBe(
            referenceMatch(pattern, value, ic)
          );
        }
      ),
      { numRuns: 3000 }
    );
  });
});

describe('caseFoldingKey', () => {
  it('gives two code points the same key exactly when `iu` matches them', () => {
    // Prepare: the key of every code point; the "cased" ones (a case
    // mapping, or a key other than themselves) and their groups by key.
    const keys = new Int32Array(0x110000);
    const cased: number[] = [];
    const chunks: string[] = [];
    for (let start = 0; start <= 0x10ffff; start += 0x1000) {
      const chunk: number[] = [];
      for (let codePoint = start; codePoint < start + 0x1000; codePoint++) {
        keys[codePoint] = caseFoldingKey(codePoint);
        // Lone surrogates only ever match themselves (asserted above);
        // strung together they would pair up.
        if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
        chunk.push(codePoint);
        const char = String.fromCodePoint(codePoint);
        if (
          keys[codePoint] !== codePoint ||
          char.toLowerCase() !== char ||
          char.toUpperCase() !== char
        ) {
          cased.push(codePoint);
        }
      }
      chunks.push(String.fromCodePoint(...chunk));
    }
    const everything = chunks.join('');
    const groupKeys = new Set(cased.map((codePoint) => keys[codePoint]));
    const groups = new Map<number, number[]>();
    keys.forEach((key, codePoint) => {
      if (groupKeys.has(key))
        groups.set(key, [...(groups.get(key) ?? []), codePoint]);
    });
    const pattern = (codePoints: readonly number[]) =>
      codePoints.map((c) => `\\u{${c.toString(16)}}`).join('');
    const casedText = String.fromCodePoint(...cased);
    const count = (codePoints: readonly number[], within: string) =>
      within.match(new RegExp(`[${pattern(codePoints)}]`, 'giu'))?.length ?? 0;

    // Act: no code point without a case mapping matches a cased one
    // under `iu`; within the cased ones, `iu` matches every member of a
    // group with its first, and nothing outside the group.
    const casedMatched = count(cased, everything);
    const wrong: string[] = [];
    for (const [key, group] of groups) {
      const first = new RegExp(`^${pattern(group.slice(0, 1))}$`, 'iu');
      const apart = group.filter((c) => !first.test(String.fromCodePoint(c)));
      const matched = count(group, casedText);
      if (apart.length > 0 || matched !== group.length) {
        wrong.push(
          `key ${key.toString(16)}: group ${group.map((c) => c.toString(16))}, ${matched} matched, apart ${apart.map((c) => c.toString(16))}`
        );
      }
    }

    // Assess
    expect(casedMatched).toBe(cased.length);
    expect(wrong).toStrictEqual([]);
  }, 120_000);
});
