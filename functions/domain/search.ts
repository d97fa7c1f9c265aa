import { InvalidParameterValueError } from './errors.ts';
import { compileLikePattern, type LikeMatcher } from './like-pattern.ts';
import { limits } from './limits.ts';

/**
 * MLflow's search grammar for `registered-models/search` and
 * `model-versions/search`: parsing of `filter` and `order_by`, in-memory
 * evaluation of a parsed filter, the hints a store can use to narrow its
 * query, and the result ordering with MLflow's tie-breakers.
 *
 * Filter grammar (MLflow's sqlparse-based one, restricted to what it accepts):
 *
 * ```text
 * filter     := clause ( AND clause )*            -- AND in any case
 * clause     := identifier comparator value
 * identifier := key | `key` | "key"               -- an attribute
 *             | attribute.key
 *             | (tag | tags).( key(.key)* | `any text` | "any text" )
 * value      := 'text' | "text" | integer | ( 'text' (, 'text')* )
 * ```
 *
 * Inside a quoted value a doubled quote (`''`, `""`) or a backslash-escaped
 * one (`\'`, `\"`) stands for the quote itself and `\\` for one backslash;
 * any other backslash is literal. `OR`, `NOT`, parentheses around clauses
 * and anything else are refused with an {@link InvalidParameterValueError},
 * and so are filters longer than `limits.searchFilterLength` characters
 * (before any parsing) or with more than `limits.searchFilterClauses`
 * clauses.
 */

export type Comparator =
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'LIKE'
  | 'ILIKE'
  | 'IN';

export type TagComparator = '=' | '!=' | 'LIKE' | 'ILIKE';

export type AttributeKey = 'name' | 'run_id' | 'source_path' | 'version_number';

/**
 * One parsed clause. `value` is a number only for `version_number`, and a
 * list only for `run_id IN (…)`.
 */
export type FilterClause =
  | {
      readonly kind: 'attribute';
      readonly key: AttributeKey;
      readonly comparator: Comparator;
      readonly value: string | number | string[];
    }
  | {
      readonly kind: 'tag';
      readonly key: string;
      readonly comparator: TagComparator;
      readonly value: string;
    };

/** What a filter is evaluated against. */
export interface FilterSubject {
  readonly attributes: Readonly<Record<string, string | number>>;
  readonly tags: Readonly<Record<string, string>>;
}

export type OrderKeyName =
  | 'name'
  | 'version_number'
  | 'creation_timestamp'
  | 'last_updated_timestamp';

export interface OrderKey {
  readonly key: OrderKeyName;
  readonly direction: 'ASC' | 'DESC';
}

export interface Sortable {
  readonly name: string;
  readonly version_number?: number;
  readonly creation_timestamp?: number;
  readonly last_updated_timestamp: number;
}

const STRING_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE'] as const;
const NUMERIC_COMPARATORS = ['=', '!=', '<', '<=', '>', '>='] as const;
const TAG_COMPARATORS: readonly string[] = STRING_COMPARATORS;

type AttributeRules = Readonly<
  Partial<Record<AttributeKey, readonly Comparator[]>>
>;

const MODEL_ATTRIBUTES: AttributeRules = { name: STRING_COMPARATORS };

const VERSION_ATTRIBUTES: AttributeRules = {
  name: STRING_COMPARATORS,
  run_id: [...STRING_COMPARATORS, 'IN'],
  source_path: STRING_COMPARATORS,
  version_number: NUMERIC_COMPARATORS,
};

/**
 * Parses a `registered-models/search` filter: attribute `name` and
 * `tags.<key>`, each with `=`, `!=`, `LIKE` or `ILIKE`.
 * @returns `[]` for an absent or blank filter.
 * @throws InvalidParameterValueError on any syntax error, unsupported
 *   construct, unknown attribute, or comparator or value a field does not take.
 */
export function parseModelFilter(filter: string | undefined): FilterClause[] {
  return parseFilter(filter, MODEL_ATTRIBUTES);
}

/**
 * Parses a `model-versions/search` filter: attributes `name`, `source_path`
 * and `run_id` (`=`, `!=`, `LIKE`, `ILIKE`, and `IN` for `run_id`),
 * `version_number` (`=`, `!=`, `<`, `<=`, `>`, `>=` against an integer, bare
 * or quoted) and `tags.<key>` as for models.
 * @returns `[]` for an absent or blank filter.
 * @throws InvalidParameterValueError as {@link parseModelFilter}.
 */
export function parseVersionFilter(filter: string | undefined): FilterClause[] {
  return parseFilter(filter, VERSION_ATTRIBUTES);
}

function parseFilter(
  filter: string | undefined,
  rules: AttributeRules
): FilterClause[] {
  if (filter === undefined) return [];
  if (filter.length > limits.searchFilterLength) {
    throw new InvalidParameterValueError(
      `filter had length ${filter.length}, which exceeded length limit of ${limits.searchFilterLength}`
    );
  }
  if (filter.trim() === '') return [];
  // Syntax first, then meaning, as MLflow does: `foo = 'x' OR …` reports the
  // OR rather than the unknown attribute.
  const raw = new FilterParser(filter).parse();
  return raw.map((clause) => toClause(clause, rules));
}

type RawValue =
  | { readonly type: 'string'; readonly value: string; readonly text: string }
  | { readonly type: 'number'; readonly text: string }
  | { readonly type: 'list'; readonly values: string[]; readonly text: string }
  | { readonly type: 'bare'; readonly text: string };

interface RawClause {
  readonly prefix: string | undefined;
  readonly key: string;
  readonly comparator: string;
  readonly value: RawValue;
}

const WORD = /[\p{L}_][\p{L}\p{N}_]*/uy;
const KEY_PATH = /[\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*/uy;
const NUMBER = /[0-9]+(?:\.[0-9]+)?(?![\p{L}\p{N}_])/uy;
const OPERATOR = /[=!<>]+/y;
const WHITESPACE = /\s*/y;

class FilterParser {
  private readonly source: string;
  private pos = 0;

  constructor(source: string) {
    this.source = source;
  }

  parse(): RawClause[] {
    const clauses: RawClause[] = [];
    for (;;) {
      if (clauses.length === limits.searchFilterClauses) {
        throw new InvalidParameterValueError(
          `filter has more than ${limits.searchFilterClauses} clauses, the limit of clauses joined by AND.`
        );
      }
      this.skipWhitespace();
      clauses.push(this.clause());
      this.skipWhitespace();
      if (this.atEnd()) return clauses;
      const word = this.match(WORD);
      if (word?.toUpperCase() !== 'AND') throw this.invalidClause();
      this.pos += word.length;
      this.skipWhitespace();
      if (this.atEnd()) throw this.syntaxError('Expected a clause after AND.');
    }
  }

  private clause(): RawClause {
    const word = this.match(WORD)?.toUpperCase();
    if (
      this.peek() === '(' ||
      word === 'AND' ||
      word === 'OR' ||
      word === 'NOT'
    ) {
      throw this.invalidClause();
    }
    const start = this.pos;
    const { prefix, key } = this.identifier();
    const identifierText = this.source.slice(start, this.pos);
    this.skipWhitespace();
    const comparator = this.comparator(identifierText);
    this.skipWhitespace();
    const value = this.value(`${identifierText} ${comparator}`);
    return { prefix, key, comparator, value };
  }

  private identifier(): { prefix: string | undefined; key: string } {
    const quoted = this.quotedIdentifier();
    if (quoted !== undefined) return { prefix: undefined, key: quoted };
    const word = this.match(WORD);
    if (word === undefined) {
      throw this.syntaxError(
        `Expected an identifier at position ${this.pos}, found '${this.tokenText()}'.`
      );
    }
    this.pos += word.length;
    if (this.peek() !== '.') return { prefix: undefined, key: word };
    this.pos += 1;
    const quotedKey = this.quotedIdentifier();
    if (quotedKey !== undefined) return { prefix: word, key: quotedKey };
    const key = this.match(KEY_PATH);
    if (key === undefined) {
      throw this.syntaxError(
        `Expected a key after '${word}.' at position ${this.pos}.`
      );
    }
    this.pos += key.length;
    return { prefix: word, key };
  }

  /** A `backticked` or "double-quoted" name, consumed; undefined if none. */
  private quotedIdentifier(): string | undefined {
    const quote = this.peek();
    if (quote === '"') return this.quoted('"');
    if (quote !== '`') return undefined;
    const end = this.source.indexOf('`', this.pos + 1);
    if (end < 0) {
      throw this.syntaxError(
        `Unterminated backticked name starting at position ${this.pos}.`
      );
    }
    const name = this.source.slice(this.pos + 1, end);
    this.pos = end + 1;
    return name;
  }

  private comparator(after: string): string {
    const symbol = this.match(OPERATOR);
    if (symbol !== undefined) {
      this.pos += symbol.length;
      return symbol;
    }
    const word = this.match(WORD);
    if (word === undefined) {
      throw this.syntaxError(
        this.atEnd()
          ? `Expected a comparison operator after '${after}'.`
          : `Expected a comparison operator after '${after}', found '${this.tokenText()}'.`
      );
    }
    this.pos += word.length;
    if (word.toUpperCase() !== 'NOT') return word.toUpperCase();
    this.skipWhitespace();
    const negated = this.match(WORD) ?? '';
    this.pos += negated.length;
    return `NOT ${negated.toUpperCase()}`.trimEnd();
  }

  private value(after: string): RawValue {
    const start = this.pos;
    const next = this.peek();
    if (next === "'" || next === '"') {
      const value = this.quoted(next);
      return {
        type: 'string',
        value,
        text: this.source.slice(start, this.pos),
      };
    }
    if (next === '(') {
      const values = this.list();
      return { type: 'list', values, text: this.source.slice(start, this.pos) };
    }
    const number = this.match(NUMBER);
    if (number !== undefined) {
      this.pos += number.length;
      return { type: 'number', text: number };
    }
    const word = this.match(WORD);
    const keyword =
      word?.toUpperCase() === 'AND' || word?.toUpperCase() === 'OR';
    if (word !== undefined && !keyword) {
      this.pos += word.length;
      return { type: 'bare', text: word };
    }
    throw this.syntaxError(
      this.atEnd()
        ? `Expected a value after '${after}'.`
        : `Expected a value after '${after}', found '${this.tokenText()}'.`
    );
  }

  private list(): string[] {
    const illFormed = () =>
      new InvalidParameterValueError(
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.'
      );
    this.pos += 1;
    this.skipWhitespace();
    if (this.peek() === ')') {
      throw new InvalidParameterValueError(
        'While parsing a list in the query, expected a non-empty list of string values, but got empty list'
      );
    }
    const values: string[] = [];
    for (;;) {
      this.skipWhitespace();
      if (this.peek() !== "'") throw illFormed();
      values.push(this.quoted("'"));
      this.skipWhitespace();
      const next = this.peek();
      this.pos += 1;
      if (next === ')') return values;
      if (next !== ',') throw illFormed();
    }
  }

  /** Reads a quoted string at the cursor, decoding its escapes. */
  private quoted(quote: string): string {
    const start = this.pos;
    let text = '';
    let i = start + 1;
    while (i < this.source.length) {
      const char = this.source[i];
      const following = this.source[i + 1];
      if (char === '\\' && (following === quote || following === '\\')) {
        text += following;
        i += 2;
      } else if (char === quote && following === quote) {
        text += quote;
        i += 2;
      } else if (char === quote) {
        this.pos = i + 1;
        return text;
      } else {
        text += char;
        i += 1;
      }
    }
    throw this.syntaxError(
      `Unterminated quoted string starting at position ${start}.`
    );
  }

  /** MLflow's message for a token that is not a comparison or AND. */
  private invalidClause(): InvalidParameterValueError {
    return new InvalidParameterValueError(
      `Invalid clause(s) in filter string: ${this.tokenText()}`
    );
  }

  private syntaxError(detail: string): InvalidParameterValueError {
    return new InvalidParameterValueError(
      `Invalid filter '${this.source}'. ${detail}`
    );
  }

  /** The token at the cursor, for messages: a word, a bracketed group, … */
  private tokenText(): string {
    const rest = this.source.slice(this.pos);
    if (rest.startsWith('(')) {
      let depth = 0;
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === '(') depth += 1;
        if (rest[i] === ')') depth -= 1;
        if (depth === 0) return rest.slice(0, i + 1);
      }
      return rest;
    }
    const token =
      this.match(WORD) ?? this.match(OPERATOR) ?? /^\S+/.exec(rest)?.[0];
    return token ?? '';
  }

  private match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.pos;
    return pattern.exec(this.source)?.[0] || undefined;
  }

  private peek(): string | undefined {
    return this.source[this.pos];
  }

  private atEnd(): boolean {
    return this.pos >= this.source.length;
  }

  private skipWhitespace(): void {
    this.pos += this.match(WHITESPACE)?.length ?? 0;
  }
}

function toClause(raw: RawClause, rules: AttributeRules): FilterClause {
  if (raw.prefix === 'tag' || raw.prefix === 'tags') return toTagClause(raw);
  if (raw.prefix !== undefined && raw.prefix !== 'attribute') {
    throw new InvalidParameterValueError(
      `Invalid entity type '${raw.prefix}'. Valid entity types are ('attribute', 'tag', 'tags')`
    );
  }
  const validKeys = Object.keys(rules) as AttributeKey[];
  const key = validKeys.find((k) => k === raw.key);
  const comparators = key === undefined ? undefined : rules[key];
  if (key === undefined || comparators === undefined) {
    throw new InvalidParameterValueError(
      `Invalid attribute key '${raw.key}' specified. Valid keys are ${quoteList(validKeys)}`
    );
  }
  const comparator = comparators.find((c) => c === raw.comparator);
  if (comparator === undefined) {
    throw new InvalidParameterValueError(
      `Invalid comparator for attribute '${key}': '${raw.comparator}'. Valid comparators are ${quoteList(comparators)}`
    );
  }
  return {
    kind: 'attribute',
    key,
    comparator,
    value: attributeValue(key, comparator, raw.value),
  };
}

function toTagClause(raw: RawClause): FilterClause {
  const comparator = STRING_COMPARATORS.find((c) => c === raw.comparator);
  if (comparator === undefined) {
    throw new InvalidParameterValueError(
      `Invalid comparator for tag '${raw.key}': '${raw.comparator}'. Valid comparators are ${quoteList(TAG_COMPARATORS)}`
    );
  }
  if (raw.value.type === 'bare') throw unquotedValue(raw.value.text);
  if (raw.value.type !== 'string') {
    throw new InvalidParameterValueError(
      `Expected a quoted string value for tag (e.g. 'my-value'). Got value ${raw.value.text}`
    );
  }
  return { kind: 'tag', key: raw.key, comparator, value: raw.value.value };
}

function attributeValue(
  key: AttributeKey,
  comparator: Comparator,
  value: RawValue
): string | number | string[] {
  if (value.type === 'bare') throw unquotedValue(value.text);
  if (key === 'version_number') {
    const text = value.type === 'string' ? value.value : value.text;
    const number = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
    if (value.type === 'list' || !Number.isSafeInteger(number)) {
      throw new InvalidParameterValueError(
        `Expected an integer value for attribute 'version_number'. Got value ${value.text}`
      );
    }
    return number;
  }
  if (comparator === 'IN') {
    if (value.type !== 'list') {
      throw new InvalidParameterValueError(
        `The IN comparator takes a list of quoted string values, e.g. ${key} IN ('a', 'b'). Got value ${value.text}`
      );
    }
    return value.values;
  }
  if (value.type === 'list') {
    throw new InvalidParameterValueError(
      key === 'run_id'
        ? `Comparator '${comparator}' takes a single quoted string value; use IN to compare with a list. Got value ${value.text}`
        : "Only the 'run_id' attribute supports comparison with a list of quoted string values."
    );
  }
  if (value.type === 'number') {
    throw new InvalidParameterValueError(
      `Expected a quoted string value for attribute '${key}' (e.g. 'my-value'). Got value ${value.text}`
    );
  }
  return value.value;
}

function unquotedValue(text: string): InvalidParameterValueError {
  return new InvalidParameterValueError(
    `Parameter value is either not quoted or unidentified quote types used for string value ${text}. Use either single or double quotes.`
  );
}

function quoteList(items: readonly string[]): string {
  return `[${items.map((item) => `'${item}'`).join(', ')}]`;
}

/**
 * Whether a subject satisfies every clause (clauses are AND-ed; `[]` matches
 * everything).
 *
 * - `=` and `!=` compare exactly and case-sensitively; for `version_number`
 *   they and `<`, `<=`, `>`, `>=` compare numerically.
 * - `LIKE` is case-sensitive (MLflow runs SQLite with
 *   `case_sensitive_like=true`), `ILIKE` is not. In both `%` matches any run
 *   of characters and `_` exactly one; every other character, backslash
 *   included, is literal: there is no escape character, as in SQLite. The
 *   matcher never backtracks: its time is linear in the value's length
 *   whatever the pattern (like-pattern.ts).
 * - `IN` is exact membership.
 * - An attribute the subject lacks (a version without `run_id`) matches no
 *   clause, as a SQL comparison with NULL does not.
 * - A tag the subject lacks matches no clause EXCEPT `!=`, which it matches.
 *   This is MLflow 3.x's semantics rather than 2.17's: the 3.x client appends
 *   `` tag.`mlflow.prompt.is_prompt` != 'true' `` to every model search and
 *   expects ordinary models, which have no such tag, to be kept. Read
 *   `tags.k != 'v'` as "not tagged k=v".
 */
export function matchesFilter(
  clauses: readonly FilterClause[],
  subject: FilterSubject
): boolean {
  return clauses.every((clause) => matchesClause(clause, subject));
}

function matchesClause(clause: FilterClause, subject: FilterSubject): boolean {
  const actual =
    clause.kind === 'tag'
      ? subject.tags[clause.key]
      : subject.attributes[clause.key];
  if (actual === undefined) {
    return clause.kind === 'tag' && clause.comparator === '!=';
  }
  const { comparator, value } = clause;
  if (Array.isArray(value)) return value.includes(String(actual));
  if (typeof value === 'number') {
    const number = Number(actual);
    switch (comparator) {
      case '=':
        return number === value;
      case '!=':
        return number !== value;
      case '<':
        return number < value;
      case '<=':
        return number <= value;
      case '>':
        return number > value;
      case '>=':
        return number >= value;
      default:
        return false;
    }
  }
  const text = String(actual);
  switch (comparator) {
    case '=':
      return text === value;
    case '!=':
      return text !== value;
    case 'LIKE':
    case 'ILIKE':
      return likePattern(clause)(text);
    default:
      return false;
  }
}

const compiledPatterns = new WeakMap<FilterClause, LikeMatcher>();

function likePattern(clause: FilterClause): LikeMatcher {
  let matcher = compiledPatterns.get(clause);
  if (!matcher) {
    matcher = compileLikePattern(
      String(clause.value),
      clause.comparator === 'ILIKE'
    );
    compiledPatterns.set(clause, matcher);
  }
  return matcher;
}

/**
 * The literal prefix every matching name must start with, from a
 * case-sensitive `name LIKE 'abc%…'` (the text before the first `%` or `_`)
 * or a `name = 'abc'` clause; the longest when there are several. A store
 * can narrow a name-ordered query with `begins_with` and must still apply
 * {@link matchesFilter} to what it reads.
 * @returns undefined when no clause gives a non-empty prefix.
 */
export function likePrefix(
  clauses: readonly FilterClause[]
): string | undefined {
  let longest = '';
  for (const clause of clauses) {
    if (clause.kind !== 'attribute' || clause.key !== 'name') continue;
    if (typeof clause.value !== 'string') continue;
    let prefix: string | undefined;
    if (clause.comparator === '=') prefix = clause.value;
    if (clause.comparator === 'LIKE') {
      prefix = /^[^%_]*/.exec(clause.value)?.[0];
    }
    if (prefix !== undefined && prefix.length > longest.length) {
      longest = prefix;
    }
  }
  return longest === '' ? undefined : longest;
}

/**
 * The value of the first `name = '…'` clause, for a direct lookup; the
 * caller still applies {@link matchesFilter} (another clause may contradict
 * it).
 */
export function exactName(
  clauses: readonly FilterClause[]
): string | undefined {
  for (const clause of clauses) {
    if (
      clause.kind === 'attribute' &&
      clause.key === 'name' &&
      clause.comparator === '=' &&
      typeof clause.value === 'string'
    ) {
      return clause.value;
    }
  }
  return undefined;
}

/**
 * The run ids a matching version can have, from `run_id = '…'` and
 * `run_id IN (…)` clauses, intersected when there are several (an empty
 * result means nothing can match).
 * @returns undefined when no clause constrains `run_id` that way.
 */
export function runIds(clauses: readonly FilterClause[]): string[] | undefined {
  let ids: string[] | undefined;
  for (const clause of clauses) {
    if (clause.kind !== 'attribute' || clause.key !== 'run_id') continue;
    let values: string[];
    if (clause.comparator === 'IN' && Array.isArray(clause.value)) {
      values = clause.value;
    } else if (clause.comparator === '=' && typeof clause.value === 'string') {
      values = [clause.value];
    } else {
      continue;
    }
    const unique = [...new Set(values)];
    ids = ids === undefined ? unique : ids.filter((id) => unique.includes(id));
  }
  return ids;
}

/** `registered-models/search` without `order_by`. */
export const DEFAULT_MODEL_ORDER: readonly OrderKey[] = Object.freeze([
  { key: 'name', direction: 'ASC' },
]);

/**
 * `model-versions/search` without `order_by`, as MLflow's SQL store:
 * most recently updated first.
 */
export const DEFAULT_VERSION_ORDER: readonly OrderKey[] = Object.freeze([
  { key: 'last_updated_timestamp', direction: 'DESC' },
  { key: 'name', direction: 'ASC' },
  { key: 'version_number', direction: 'DESC' },
]);

interface OrderRules {
  /** Accepted key → the field it sorts by. */
  readonly keys: Readonly<Record<string, OrderKeyName>>;
  readonly defaults: readonly OrderKey[];
  /** Appended, in this order, when the request does not sort by them. */
  readonly tieBreakers: readonly OrderKey[];
}

const MODEL_ORDER_RULES: OrderRules = {
  // Both timestamp keys sort by last_updated; MLflow 2.17 refuses
  // creation_timestamp for models.
  keys: {
    name: 'name',
    timestamp: 'last_updated_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
  },
  defaults: DEFAULT_MODEL_ORDER,
  tieBreakers: [{ key: 'name', direction: 'ASC' }],
};

const VERSION_ORDER_RULES: OrderRules = {
  keys: {
    name: 'name',
    version_number: 'version_number',
    creation_timestamp: 'creation_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
  },
  defaults: DEFAULT_VERSION_ORDER,
  tieBreakers: [
    { key: 'name', direction: 'ASC' },
    { key: 'version_number', direction: 'DESC' },
  ],
};

/**
 * Parses `registered-models/search` `order_by` entries (`"<key> [ASC|DESC]"`,
 * direction in any case, ASC by default; keys `name`, `timestamp`,
 * `last_updated_timestamp`, the timestamps both meaning last updated) into
 * a total order: `name ASC` is appended as tie-breaker when absent.
 * @returns {@link DEFAULT_MODEL_ORDER} when absent or empty.
 * @throws InvalidParameterValueError on an unparseable entry, an unknown key
 *   or direction, or a field given twice.
 */
export function parseModelOrderBy(
  orderBy: readonly string[] | undefined
): OrderKey[] {
  return parseOrderBy(orderBy, MODEL_ORDER_RULES);
}

/**
 * Parses `model-versions/search` `order_by` entries (keys `name`,
 * `version_number`, `creation_timestamp`, `last_updated_timestamp`) into a
 * total order: `name ASC` then `version_number DESC` are appended as
 * tie-breakers when absent.
 * @returns {@link DEFAULT_VERSION_ORDER} when absent or empty.
 * @throws InvalidParameterValueError as {@link parseModelOrderBy}.
 */
export function parseVersionOrderBy(
  orderBy: readonly string[] | undefined
): OrderKey[] {
  return parseOrderBy(orderBy, VERSION_ORDER_RULES);
}

function parseOrderBy(
  orderBy: readonly string[] | undefined,
  rules: OrderRules
): OrderKey[] {
  if (orderBy === undefined || orderBy.length === 0) return [...rules.defaults];
  const order: OrderKey[] = [];
  for (const entry of orderBy) {
    const parsed = parseOrderEntry(entry, rules);
    if (order.some((o) => o.key === parsed.key)) {
      throw new InvalidParameterValueError(
        `\`order_by\` contains duplicate fields: ${quoteList(orderBy)}`
      );
    }
    order.push(parsed);
  }
  for (const tieBreaker of rules.tieBreakers) {
    if (!order.some((o) => o.key === tieBreaker.key)) order.push(tieBreaker);
  }
  return order;
}

function parseOrderEntry(entry: string, rules: OrderRules): OrderKey {
  const words = entry.trim().split(/\s+/);
  const [written, direction = 'ASC'] = words;
  if (written === undefined || written === '' || words.length > 2) {
    throw new InvalidParameterValueError(
      `Invalid order_by clause '${entry}'. Could not be parsed.`
    );
  }
  const upper = direction.toUpperCase();
  if (upper !== 'ASC' && upper !== 'DESC') {
    throw new InvalidParameterValueError(
      `Invalid ordering key in order_by clause '${entry}'. The direction must be ASC or DESC, got '${direction}'.`
    );
  }
  const name = unquote(written.replace(/^attribute\./, ''));
  const key = Object.hasOwn(rules.keys, name) ? rules.keys[name] : undefined;
  if (key === undefined) {
    throw new InvalidParameterValueError(
      `Invalid order by key '${name}' specified. Valid keys are ${quoteList(Object.keys(rules.keys))}`
    );
  }
  return { key, direction: upper };
}

function unquote(name: string): string {
  const quoted = /^(`|")(.*)\1$/.exec(name);
  return quoted?.[2] ?? name;
}

/**
 * A comparator for `Array.prototype.sort` following `order` key by key.
 * Strings compare by UTF-8 bytes ('B' < 'a' < 'é'), the order DynamoDB keeps
 * its sort keys in, so a page sorted here lines up with one read from an
 * index. A missing value (a model has no `version_number`) sorts last in
 * either direction.
 */
export function compareBy(
  order: readonly OrderKey[]
): (a: Sortable, b: Sortable) => number {
  return (a, b) => {
    for (const { key, direction } of order) {
      const left = a[key];
      const right = b[key];
      if (left === undefined || right === undefined) {
        if (left !== right) return left === undefined ? 1 : -1;
        continue;
      }
      const compared = compareValues(left, right);
      if (compared !== 0) return direction === 'ASC' ? compared : -compared;
    }
    return 0;
  };
}

function compareValues(left: string | number, right: string | number): number {
  if (typeof left === 'string' && typeof right === 'string') {
    return Buffer.compare(Buffer.from(left), Buffer.from(right));
  }
  const l = Number(left);
  const r = Number(right);
  return l < r ? -1 : l > r ? 1 : 0;
}
