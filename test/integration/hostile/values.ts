import fc from 'fast-check';

/**
 * JSON as the suite writes it. Besides plain values, two markers let a
 * request carry what `JSON.stringify` cannot express: {@link RawJson}
 * (text spliced in as is: `1e999`, 5,000-deep nesting, invalid JSON) and
 * {@link JsonEntries} (an object with duplicate keys or a `__proto__` key,
 * which an object literal would turn into its prototype).
 */
export type Json =
  | null
  | boolean
  | number
  | string
  | RawJson
  | JsonEntries
  | readonly Json[]
  | { readonly [key: string]: Json };

export class RawJson {
  readonly text: string;
  /** What the report shows instead of the (possibly huge) text. */
  readonly label: string;

  constructor(text: string, label?: string) {
    this.text = text;
    this.label = label ?? (text.length > 120 ? `${text.slice(0, 120)}…` : text);
  }
}

export class JsonEntries {
  readonly entries: readonly (readonly [string, Json])[];

  constructor(entries: readonly (readonly [string, Json])[]) {
    this.entries = entries;
  }
}

/** Pre-encoded query text, sent as is (`%ED%A0%80`, `%zz`, a bare `%`). */
export class RawQuery {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

export function isPlainObject(
  value: unknown
): value is { readonly [key: string]: Json } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof RawJson) &&
    !(value instanceof JsonEntries) &&
    !(value instanceof RawQuery)
  );
}

/** The JSON text of a value; lone surrogates come out as `\ud800` escapes. */
export function jsonText(value: Json): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof JsonEntries) {
    return `{${value.entries
      .map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`)
      .join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (isPlainObject(value)) {
    return jsonText(new JsonEntries(Object.entries(value)));
  }
  return JSON.stringify(value) ?? 'null';
}

/** A short description of a value for the report (never megabytes). */
export function describeValue(value: Json): string {
  if (value instanceof RawJson) return `raw(${value.label})`;
  if (typeof value === 'string' && value.length > 160) {
    return `${JSON.stringify(value.slice(0, 120))}… (${value.length} chars)`;
  }
  const text = jsonText(value);
  return text.length > 160
    ? `${text.slice(0, 120)}… (${text.length} chars)`
    : text;
}

/**
 * Percent-encodes like `encodeURIComponent`, except that a lone surrogate
 * becomes the three bytes a lenient encoder would write for it
 * (`\ud800` → `%ED%A0%80`) instead of throwing.
 */
export function percentEncode(text: string): string {
  if (!/[\ud800-\udfff]/.test(text)) return encodeURIComponent(text);
  let out = '';
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    const high = unit >= 0xd800 && unit <= 0xdbff;
    const next = text.charCodeAt(index + 1);
    if (high && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(index, index + 2));
      index += 1;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [
        0xe0 | (unit >> 12),
        0x80 | ((unit >> 6) & 0x3f),
        0x80 | (unit & 0x3f),
      ]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(text[index] ?? '');
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Value pools

const LONE_SURROGATES = ['\ud800', '\udc00', '\udbff', '\udfff'];

const MALFORMED_UNICODE = [
  '\ud800',
  '\udc00',
  'k\ud800',
  '\udc00v',
  'a\ud800b',
  '\udfff\ud800',
  '\ud83d',
  'emoji\ud83d',
  '\ufffe',
  '\uffff',
  '\ufeffname',
];

const CONTROL = [
  '\u0000',
  'a\u0000b',
  'name\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  'a\r\nb',
  '\u001b[31mred',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\u202eevil',
  'a\u200bb',
];

const TRAVERSAL = [
  '.',
  '..',
  '../',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f',
  '..%2f..%2f',
  '.%2e/',
  '%252e%252e%252f',
  '/..;/',
  '....//',
  'a/../../b',
  '/etc/passwd',
  '//',
  './',
  '/',
  'C:\\boot.ini',
  '\\\\server\\share',
  'file:///etc/passwd',
  's3://other-bucket/key',
  's3://',
  'mlflow-artifacts:/../x',
  'runs:/../../x',
  'stagegate-upload:../x',
  'models:/x/1',
  'dbfs:/',
];

const INJECTION = [
  "' OR '1'='1",
  '" OR ""="',
  "'; DROP TABLE models; --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j probe, literally
  '${jndi:ldap://127.0.0.1:1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '%s%s%s%n',
  '\\',
  '\\u0000',
  '"',
  "'",
  '`',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '*',
  '%',
  '_',
  "name = 'x'",
];

const NUMERIC_TEXT = [
  '',
  ' ',
  '0',
  '-1',
  '-5',
  '1.5',
  '1e3',
  '0x10',
  '9007199254740993',
  '99999999999999999999',
  '-0',
  '+1',
  ' 1',
  '1 ',
  '٣',
  '１',
];

const UNICODE = [
  'é',
  'e\u0301',
  '🧨',
  '👩‍👩‍👧',
  'Ω',
  'İ',
  'ß',
  'ﬀ',
  '𝔘𝔫𝔦',
  '名前',
  'مرحبا',
];

/** Lengths around the documented limits, and far past them. */
const LENGTHS = [
  251, 256, 257, 1025, 2049, 5000, 5001, 65_537, 400_001, 1_100_000,
];

/** Numbers (as raw JSON text) where strings or small ints are expected. */
const RAW_NUMBERS = [
  '0',
  '-1',
  '-5',
  '1.5',
  '-0',
  '0.1',
  '1e308',
  '-1e308',
  '1e999',
  '-1e999',
  '5e-324',
  '2147483648',
  '9007199254740993',
  '18446744073709551616',
  '123456789012345678901234567890',
  '1E2',
];

const DEPTH = 5000;

/** 5,000-deep values, as raw text (building them as objects is pointless). */
export const DEEP_VALUES: readonly RawJson[] = [
  new RawJson(`${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`, '5000-deep array'),
  new RawJson(
    `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`,
    '5000-deep object'
  ),
  new RawJson(
    `${'[{"key":'.repeat(DEPTH / 2)}"v"${'}]'.repeat(DEPTH / 2)}`,
    '5000-deep array of objects'
  ),
  new RawJson(
    `${'['.repeat(DEPTH * 4)}${']'.repeat(DEPTH * 4)}`,
    '20000-deep array'
  ),
  new RawJson(`${'['.repeat(100)}${']'.repeat(100)}`, '100-deep array'),
];

const wideArray = new RawJson(
  `[${Array.from({ length: 10_000 }, () => '"x"').join(',')}]`,
  '10000-element array'
);
const wideObject = new RawJson(
  `{${Array.from({ length: 5000 }, (_, i) => `"k${i}":"v"`).join(',')}}`,
  '5000-key object'
);

// ---------------------------------------------------------------------------
// Arbitraries

/** Strings mixing unit kinds, lone surrogates and control characters in. */
const mixedString = fc.string({
  unit: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    },
    { weight: 1, arbitrary: fc.constantFrom(...LONE_SURROGATES) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '\u0000',
        '\u0001',
        '\u001f',
        '\u007f',
        '%',
        '_',
        '/',
        '.',
        "'",
        '"',
        '\\'
      ),
    }
  ),
  maxLength: 40,
});

/** A long string of `length` from a few alphabets. */
export const longString: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...LENGTHS),
    fc.constantFrom('a', 'é', '🧨', '\ud800', 'a\u0000', 'ab/')
  )
  .map(([length, unit]) =>
    unit.repeat(Math.ceil(length / unit.length)).slice(0, length)
  );

/** Any of the string attacks: unicode, control, traversal, injection, long. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...MALFORMED_UNICODE) },
  { weight: 3, arbitrary: fc.constantFrom(...CONTROL) },
  { weight: 2, arbitrary: fc.constantFrom(...TRAVERSAL) },
  { weight: 2, arbitrary: fc.constantFrom(...INJECTION) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMERIC_TEXT) },
  { weight: 1, arbitrary: fc.constantFrom(...UNICODE) },
  { weight: 3, arbitrary: mixedString },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(251, 256, 257, 1025, 2049, 5001)
      .map((n) => 'x'.repeat(n)),
  }
);

/** Strings with a lone surrogate, NUL or control character somewhere. */
export const malformedString: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom(...MALFORMED_UNICODE, ...CONTROL),
    fc.string({ maxLength: 8 })
  )
  .map(([before, bad, after]) => `${before}${bad}${after}`);

/** Values of the wrong JSON type, and numbers where strings or ints go. */
export const wrongType: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, [], {}, [null], ['a', 1], {
    key: 'v',
  }),
  fc.constantFrom(...RAW_NUMBERS).map((text) => new RawJson(text)),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ noNaN: true }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>
);

/** Mostly 5,000 deep; sometimes 20,000 or a harmless 100. */
export const deepValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<Json>(...DEEP_VALUES.slice(0, 3)) },
  { weight: 2, arbitrary: fc.constantFrom<Json>(...DEEP_VALUES.slice(3)) }
);

export const hugeValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: longString },
  { weight: 1, arbitrary: fc.constantFrom<Json>(wideArray, wideObject) }
);

/** Keys that are object machinery in JavaScript, or otherwise odd. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'valueOf',
    'hasOwnProperty',
    '__defineGetter__',
    '',
    ' ',
    'k\ud800',
    '\udc00',
    'k\u0000',
    'name\u0000',
    '$where',
    'a.b',
    'a[b]',
    'x'.repeat(300)
  ),
  mixedString
);

export interface IdPools {
  /** Real ids the request may try to reach (other users', other worlds'). */
  readonly known: readonly string[];
  /** Whether small numeric ids (`1`, `2`) may be used: real principals have them. */
  readonly smallNumbers: boolean;
}

const hexChar = fc.constantFrom(...'0123456789abcdef');

/** Forged identifiers: random, very long, numeric, other objects' ids. */
export function forgedId(pools: IdPools): fc.Arbitrary<string> {
  const options: fc.WeightedArbitrary<string>[] = [
    {
      weight: 3,
      arbitrary: fc.string({ unit: hexChar, minLength: 32, maxLength: 32 }),
    },
    { weight: 1, arbitrary: fc.uuid() },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(1025, 2049, 3000, 70_000)
        .map((n) => 'f'.repeat(n)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '99999999999999999999',
        '-1',
        '0',
        '1.5',
        '1e3',
        ' ',
        '',
        'root',
        '*',
        'null'
      ),
    },
    {
      weight: 1,
      arbitrary: fc.string({ unit: hexChar, minLength: 31, maxLength: 33 }),
    },
  ];
  if (pools.known.length > 0) {
    options.push({ weight: 4, arbitrary: fc.constantFrom(...pools.known) });
  }
  if (pools.smallNumbers) {
    options.push({
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 40 }).map(String),
    });
  }
  return fc.oneof(...options);
}

/** Any hostile value for one field. */
export function hostileValue(pools: IdPools): fc.Arbitrary<Json> {
  return fc.oneof(
    { weight: 5, arbitrary: hostileString },
    { weight: 4, arbitrary: wrongType },
    { weight: 2, arbitrary: forgedId(pools) },
    { weight: 2, arbitrary: malformedString },
    { weight: 1, arbitrary: deepValue },
    { weight: 1, arbitrary: longString }
  );
}

/** Raw query-string escapes that are malformed or decode to bad text. */
export const rawQueryValues: readonly string[] = [
  '%ED%A0%80',
  '%ED%B0%80',
  'k%ED%A0%80v',
  '%00',
  'a%00b',
  '%C0%AE%C0%AE%2F',
  '%C0%80',
  '%FF',
  '%FE%FF',
  '%E2%82',
  '%',
  '%%',
  '%zz',
  '%u0000',
  '%2',
  '+',
  '%2B',
  '%0D%0ASet-Cookie:%20x=1',
  '..%2F..%2F',
  '%252e%252e%252f',
];
