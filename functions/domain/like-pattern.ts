/**
 * SQL `LIKE` / `ILIKE` patterns as MLflow's SQLite store evaluates them:
 * `%` matches any run of characters (none included), `_` exactly one, every
 * other character itself; there is no escape character, and the pattern is
 * anchored at both ends. Characters are code points, so `_` stands for one
 * emoji, and a lone surrogate is a character of its own.
 *
 * Matching never backtracks: the pattern is split at `%` into segments; the
 * first must match at the start and the last at the end, and each one
 * between is taken at its leftmost occurrence after the previous one, which
 * is enough (a later occurrence leaves the rest less room, never more).
 * Occurrences are found with the bit-parallel Shift-And scan, which reads
 * each character of the value once per 32 pattern characters of the
 * segment and needs no comparison of its own for `_`. A match therefore
 * costs O(n · ⌈k / 32⌉) for a value of n characters and a longest segment of
 * k, whatever the pattern: linear in the value.
 */
export type LikeMatcher = (value: string) => boolean;

/** Any one character (`_`); no code point folds to a negative key. */
const ANY = -1;

/**
 * Compiles a pattern once for many values.
 * @param ignoreCase `ILIKE`: compare under Unicode simple case folding,
 *   exactly as a JavaScript RegExp with the `iu` flags does.
 */
export function compileLikePattern(
  pattern: string,
  ignoreCase: boolean
): LikeMatcher {
  const segments: number[][] = [[]];
  const written = keys(pattern, false);
  for (const codePoint of written.text.subarray(0, written.length)) {
    const current = segments.at(-1) ?? [];
    if (codePoint === 0x25 /* % */) segments.push([]);
    else if (codePoint === 0x5f /* _ */) current.push(ANY);
    else current.push(ignoreCase ? caseFoldingKey(codePoint) : codePoint);
  }
  const head = segments[0] ?? [];
  if (segments.length === 1) {
    return (value) => {
      const { text, length } = keys(value, ignoreCase);
      return length === head.length && matchesAt(head, text, 0);
    };
  }
  const tail = segments.at(-1) ?? [];
  const middle = segments
    .slice(1, -1)
    .filter((segment) => segment.length > 0)
    .map(compileSegment);
  const shortest =
    head.length + tail.length + middle.reduce((sum, s) => sum + s.length, 0);
  return (value) => {
    const { text, length } = keys(value, ignoreCase);
    if (length < shortest) return false;
    const end = length - tail.length;
    if (!matchesAt(head, text, 0) || !matchesAt(tail, text, end)) return false;
    let from = head.length;
    for (const segment of middle) {
      const found = segment.findIn(text, from, end);
      if (found < 0) return false;
      from = found + segment.length;
    }
    return true;
  };
}

function matchesAt(
  segment: readonly number[],
  text: Int32Array,
  at: number
): boolean {
  for (let i = 0; i < segment.length; i += 1) {
    const expected = segment[i];
    if (expected !== ANY && expected !== text[at + i]) return false;
  }
  return true;
}

interface Segment {
  readonly length: number;
  /**
   * Where the segment first occurs wholly inside `text[from, to)`.
   * @returns its start, or -1.
   */
  findIn(text: Int32Array, from: number, to: number): number;
}

/**
 * The Shift-And automaton of one segment: after reading a character, bit i
 * of the state says whether the segment's first i + 1 characters end there.
 */
function compileSegment(segment: readonly number[]): Segment {
  const words = Math.ceil(segment.length / 32);
  const anyMask = new Uint32Array(words);
  segment.forEach((expected, i) => {
    if (expected === ANY) setBit(anyMask, i);
  });
  const masks = new Map<number, Uint32Array>();
  segment.forEach((expected, i) => {
    if (expected === ANY) return;
    let mask = masks.get(expected);
    if (!mask) {
      mask = Uint32Array.from(anyMask);
      masks.set(expected, mask);
    }
    setBit(mask, i);
  });
  const last = words - 1;
  const finalBit = 1 << ((segment.length - 1) & 31);
  return {
    length: segment.length,
    findIn(text, from, to) {
      const state = new Uint32Array(words);
      for (let i = from; i < to; i += 1) {
        const mask = masks.get(text[i] ?? ANY) ?? anyMask;
        let carry = 1;
        for (let w = 0; w < words; w += 1) {
          const word = state[w] ?? 0;
          state[w] = ((word << 1) | carry) & (mask[w] ?? 0);
          carry = word >>> 31;
        }
        if ((state[last] ?? 0) & finalBit) return i - segment.length + 1;
      }
      return -1;
    },
  };
}

function setBit(mask: Uint32Array, bit: number): void {
  mask[bit >>> 5] = (mask[bit >>> 5] ?? 0) | (1 << (bit & 31));
}

/**
 * The keys of a value's code points (a lone surrogate is one of its own),
 * in a typed array sized for the worst case; `length` says how many.
 */
function keys(
  value: string,
  ignoreCase: boolean
): { readonly text: Int32Array; readonly length: number } {
  const text = new Int32Array(value.length);
  let length = 0;
  for (let i = 0; i < value.length; i += 1) {
    let codePoint = value.charCodeAt(i);
    if (codePoint >= 0xd800 && codePoint <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        codePoint = (codePoint - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
        i += 1;
      }
    }
    text[length] = ignoreCase ? caseFoldingKey(codePoint) : codePoint;
    length += 1;
  }
  return { text, length };
}

/**
 * Code points whose simple case folding the lower-of-upper rule below
 * misses: dotless ı folds to itself (only the Turkic folding maps it to i),
 * and three pairs fold together though their case mappings are multi-
 * character. An exhaustive unit test compares every code point with `iu`.
 */
const FOLDING_EXCEPTIONS: ReadonlyMap<number, number> = new Map([
  [0x0131, 0x0131],
  [0x1fd3, 0x0390],
  [0x1fe3, 0x03b0],
  [0xfb05, 0xfb06],
]);

/**
 * Folded keys, cached in blocks of 256 code points as they are first met
 * (at most 4.4 MB if every code point ever is); 0 marks "not computed".
 */
const foldedBlocks = new Map<number, Int32Array>();

/**
 * The representative of a code point's class under Unicode simple case
 * folding, the equivalence a RegExp with the `iu` flags compares by: two
 * code points match case-insensitively exactly when their keys are equal.
 * The key is the code point's lowercase of its uppercase when that is one
 * code point, else its lowercase when that is, else itself.
 */
export function caseFoldingKey(codePoint: number): number {
  if (codePoint < 0x80) {
    return codePoint >= 0x41 && codePoint <= 0x5a ? codePoint + 32 : codePoint;
  }
  let block = foldedBlocks.get(codePoint >>> 8);
  if (!block) {
    block = new Int32Array(256);
    foldedBlocks.set(codePoint >>> 8, block);
  }
  const cached = block[codePoint & 0xff] ?? 0;
  if (cached !== 0) return cached;
  const computed = computeFoldedKey(codePoint);
  block[codePoint & 0xff] = computed;
  return computed;
}

function computeFoldedKey(codePoint: number): number {
  const exception = FOLDING_EXCEPTIONS.get(codePoint);
  if (exception !== undefined) return exception;
  // Lone surrogates have no case.
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return codePoint;
  const char = String.fromCodePoint(codePoint);
  return (
    single(char.toUpperCase().toLowerCase()) ??
    single(char.toLowerCase()) ??
    codePoint
  );
}

function single(text: string): number | undefined {
  const first = text.codePointAt(0);
  if (first === undefined) return undefined;
  return text.length === (first > 0xffff ? 2 : 1) ? first : undefined;
}
