/** With the `u` flag a paired surrogate is one code point: only lone ones match. */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/** Whether `value` is well-formed UTF-16 (holds no lone surrogate). */
export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** `value` with every lone surrogate replaced by U+FFFD. */
export function wellFormed(value: string): string {
  return value.replace(LONE_SURROGATES, '\uFFFD');
}
