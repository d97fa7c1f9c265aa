import { wellFormed } from '#domain/text.ts';

/** How `JSON.stringify` writes a lone surrogate (paired ones stay raw). */
const LONE_SURROGATE_ESCAPE = /\\ud[89a-f][0-9a-f]{2}/;

/**
 * The JSON text of a response body. The edge refuses lone surrogates, but
 * text stored before it did may still hold them: `JSON.stringify` would
 * send them as `\ud800` escapes, which strict decoders refuse and Python
 * cannot print. They go out as U+FFFD instead, the form a caller can send
 * back (delete-tag matches a stored key by it).
 */
export function responseJson(body: unknown): string {
  const text = JSON.stringify(body);
  return LONE_SURROGATE_ESCAPE.test(text)
    ? JSON.stringify(body, wellFormedValue)
    : text;
}

function wellFormedValue(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return value;
  }
  const entries = Object.entries(value);
  return entries.some(([key]) => wellFormed(key) !== key)
    ? Object.fromEntries(entries.map(([key, item]) => [wellFormed(key), item]))
    : value;
}
