import fc from 'fast-check';
import { type RouteDefinition, routeKey } from '#http/routes.ts';
import {
  ID_FIELDS,
  PAGED_OPERATIONS,
  templates,
  type ValidRequest,
  type World,
} from './catalog.ts';
import type { WireRequest } from './transport.ts';
import {
  DEEP_VALUES,
  deepValue,
  describeValue,
  forgedId,
  hostileKey,
  hostileString,
  hostileValue,
  hugeValue,
  type IdPools,
  isPlainObject,
  type Json,
  JsonEntries,
  jsonText,
  malformedString,
  percentEncode,
  RawQuery,
  rawQueryValues,
  wrongType,
} from './values.ts';

export type PrincipalName = 'admin' | 'stranger' | 'anonymous' | 'forged';

/** What kind of attack a request is; the report counts by it. */
export const CATEGORIES = [
  'mutate',
  'deep',
  'huge',
  'unicode',
  'ids',
  'path',
  'page',
  'transport',
  'auth',
] as const;
export type Category = (typeof CATEGORIES)[number] | 'raw';

export interface HostileRequest extends WireRequest {
  /** The route whose valid request it started from, or `raw`. */
  readonly route: string;
  readonly category: Category;
  readonly principal: PrincipalName;
  /** What was changed, readable (never the huge value itself). */
  readonly note: string;
}

export interface GenerationContext {
  /** Snapshotted: the admin only reads it. */
  readonly seeded: World;
  /** The admin's mutating requests aim here. */
  readonly scratch: World;
  readonly tokens: { readonly admin: string; readonly stranger: string };
  /** Ids of real objects and principals, for forged-id attacks. */
  readonly knownIds: readonly string[];
  /** Ids the admin's mutating requests may name (the scratch world's). */
  readonly scratchIds: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// ---------------------------------------------------------------------------
// Paths inside a JSON input

type Segment = string | number;
type Path = readonly Segment[];
const REMOVE = Symbol('remove');

function pathsOf(value: Json, prefix: Path = []): Path[] {
  const found: Path[] = [];
  if (Array.isArray(value)) {
    value.forEach((item: Json, index: number) => {
      found.push([...prefix, index], ...pathsOf(item, [...prefix, index]));
    });
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      found.push([...prefix, key], ...pathsOf(item, [...prefix, key]));
    }
  }
  return found;
}

function setAt(
  value: Json,
  path: Path,
  replacement: Json | typeof REMOVE
): Json {
  const [head, ...rest] = path;
  if (head === undefined) return replacement === REMOVE ? null : replacement;
  if (Array.isArray(value) && typeof head === 'number') {
    const copy: Json[] = [...value];
    if (rest.length === 0 && replacement === REMOVE) copy.splice(head, 1);
    else copy[head] = setAt(copy[head] ?? null, rest, replacement);
    return copy;
  }
  if (isPlainObject(value) && typeof head === 'string') {
    const entries = Object.entries(value).flatMap(
      ([key, item]): [string, Json][] => {
        if (key !== head) return [[key, item]];
        if (rest.length === 0 && replacement === REMOVE) return [];
        return [[key, setAt(item, rest, replacement)]];
      }
    );
    return Object.fromEntries(entries);
  }
  return value;
}

function pathText(path: Path): string {
  return path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : segment))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** The object's entries with one more; `__proto__` stays a plain key. */
function withKey(value: Json, key: string, item: Json): Json {
  const entries = isPlainObject(value) ? Object.entries(value) : [];
  return new JsonEntries([...entries, [key, item]]);
}

// ---------------------------------------------------------------------------
// A draft: a valid request, changed, before it becomes bytes

interface Draft {
  readonly route: RouteDefinition;
  readonly principal: PrincipalName;
  readonly category: Category;
  readonly method: string;
  readonly params: Readonly<Record<string, string | RawQuery>>;
  readonly input: Json;
  /** Where `input` goes. */
  readonly placement: 'query' | 'body';
  readonly notes: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
  /** Query text appended as is. */
  readonly extraQuery?: string;
  /** Sent instead of the JSON of `input`. */
  readonly body?: string | Buffer;
  /** `null`: no content-type header at all. */
  readonly contentType?: string | null;
  /** Replaces the route's path (mangled paths). */
  readonly path?: string;
}

function encodeParam(value: string | RawQuery, greedy: boolean): string {
  if (value instanceof RawQuery) return value.text;
  if (greedy) return value.split('/').map(percentEncode).join('/');
  return percentEncode(value);
}

function pathOf(draft: Draft): string {
  if (draft.path !== undefined) return draft.path;
  return draft.route.path.replace(
    /\{(\w+)(\+?)\}/g,
    (_, name: string, greedy: string) =>
      encodeParam(draft.params[name] ?? '', greedy === '+')
  );
}

function queryPairs(key: string, value: Json): string[] {
  const encodedKey = percentEncode(key);
  if (value === null) return [encodedKey];
  if (Array.isArray(value)) {
    return value.flatMap((item: Json) =>
      Array.isArray(item) || isPlainObject(item)
        ? [`${encodedKey}=${percentEncode(jsonText(item))}`]
        : queryPairs(key, item)
    );
  }
  if (value instanceof RawQuery) return [`${encodedKey}=${value.text}`];
  const text = typeof value === 'string' ? value : jsonText(value);
  return [`${encodedKey}=${percentEncode(text)}`];
}

function queryOf(input: Json): string {
  if (input instanceof JsonEntries || isPlainObject(input)) {
    const entries =
      input instanceof JsonEntries ? input.entries : Object.entries(input);
    return entries.flatMap(([key, value]) => queryPairs(key, value)).join('&');
  }
  return percentEncode(jsonText(input));
}

function tokenOf(
  principal: PrincipalName,
  context: GenerationContext
): string | undefined {
  if (principal === 'admin') return context.tokens.admin;
  if (principal === 'stranger') return context.tokens.stranger;
  return undefined;
}

function toRequest(draft: Draft, context: GenerationContext): HostileRequest {
  const headers: Record<string, string> = {};
  const token = tokenOf(draft.principal, context);
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let query = '';
  let body: string | Buffer | undefined = draft.body;
  if (draft.placement === 'query') {
    query = queryOf(draft.input);
  } else if (body === undefined) {
    body = jsonText(draft.input);
  }
  if (draft.extraQuery) {
    query = query === '' ? draft.extraQuery : `${query}&${draft.extraQuery}`;
  }
  if (body !== undefined && draft.contentType !== null) {
    headers['content-type'] = draft.contentType ?? 'application/json';
  }
  Object.assign(headers, draft.headers);
  return {
    route: routeKey(draft.route),
    category: draft.category,
    principal: draft.principal,
    note: draft.notes.join('; '),
    method: draft.method,
    path: pathOf(draft),
    query,
    headers,
    ...(body === undefined ? {} : { body }),
  };
}

// ---------------------------------------------------------------------------
// Per-route generation

interface Start {
  readonly principal: Exclude<PrincipalName, 'forged'>;
  readonly method: string;
  readonly world: World;
  readonly valid: ValidRequest;
  readonly placement: 'query' | 'body';
  readonly pools: IdPools;
}

/**
 * Whose world a request may aim at: the admin changes only the scratch
 * world; everyone else (refused, or the admin reading) gets the seeded
 * one, whose objects only those requests reach deep code with.
 */
function worldFor(
  principal: PrincipalName,
  method: string,
  context: GenerationContext
): World {
  return principal === 'admin' && !SAFE_METHODS.has(method.toUpperCase())
    ? context.scratch
    : context.seeded;
}

/**
 * Forged ids an admin's mutating request may carry: the scratch world's
 * and random ones, never a real principal's small number (`DELETE
 * /Users/1` would delete the admin).
 */
function poolsFor(
  principal: PrincipalName,
  method: string,
  context: GenerationContext
): IdPools {
  const mutatingAdmin =
    principal === 'admin' && !SAFE_METHODS.has(method.toUpperCase());
  return mutatingAdmin
    ? { known: context.scratchIds, smallNumbers: false }
    : { known: context.knownIds, smallNumbers: true };
}

function placementFor(method: string): fc.Arbitrary<'query' | 'body'> {
  if (method === 'GET') return fc.constant('query');
  if (method === 'DELETE') return fc.constantFrom('query', 'body');
  return fc.constant('body');
}

const principalArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant('admin' as const) },
  { weight: 4, arbitrary: fc.constant('stranger' as const) },
  { weight: 1, arbitrary: fc.constant('anonymous' as const) }
);

const fresh = fc.string({
  unit: fc.constantFrom(...'0123456789abcdef'),
  minLength: 12,
  maxLength: 12,
});

function startArb(
  route: RouteDefinition,
  context: GenerationContext,
  method?: string
): fc.Arbitrary<Start> {
  const template = templates[route.operation];
  if (!template) throw new Error(`No template for ${route.operation}`);
  const sent = method ?? route.method;
  return fc
    .tuple(principalArb, fresh, placementFor(route.method))
    .map(([principal, suffix, placement]) => {
      const world = worldFor(principal, sent, context);
      return {
        principal,
        method: sent,
        world,
        valid: template(world, suffix),
        placement,
        pools: poolsFor(principal, sent, context),
      };
    });
}

function draftOf(
  route: RouteDefinition,
  category: Category,
  start: Start,
  change: Partial<Omit<Draft, 'route' | 'category' | 'principal'>> & {
    notes: readonly string[];
  }
): Draft {
  return {
    route,
    category,
    principal: start.principal,
    method: start.method,
    params: start.valid.params,
    input: start.valid.input,
    placement: start.placement,
    ...change,
  };
}

type Target =
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'field'; readonly path: Path };

function targetsOf(valid: ValidRequest, only?: (name: string) => boolean) {
  const targets: Target[] = [
    ...Object.keys(valid.params).map(
      (name): Target => ({ kind: 'param', name })
    ),
    ...pathsOf(valid.input).map((path): Target => ({ kind: 'field', path })),
  ];
  if (!only) return targets;
  return targets.filter((target) => {
    const name =
      target.kind === 'param'
        ? target.name
        : [...target.path].reverse().find((s) => typeof s === 'string');
    return name !== undefined && only(name);
  });
}

function paramText(value: Json): string | RawQuery {
  if (typeof value === 'string') return value;
  if (value instanceof RawQuery) return value;
  return jsonText(value);
}

/** Replaces one target (a path parameter or a field) with `value`. */
function replaced(start: Start, target: Target, value: Json) {
  if (target.kind === 'param') {
    return {
      params: { ...start.valid.params, [target.name]: paramText(value) },
      notes: [`{${target.name}} = ${describeValue(value)}`],
    };
  }
  return {
    input: setAt(start.valid.input, target.path, value),
    notes: [`${pathText(target.path)} = ${describeValue(value)}`],
  };
}

/**
 * Past this many characters a URL would exceed the server's 16 KB header
 * limit and test nothing but that (the raw requests do, once): values
 * that go into the query or the path are cut to fit.
 */
const URL_BUDGET = 6000;

function urlLength(value: Json): number {
  return percentEncode(typeof value === 'string' ? value : jsonText(value))
    .length;
}

function fitForUrl(value: Json): Json {
  if (typeof value !== 'string') {
    return jsonText(value).length > URL_BUDGET || urlLength(value) > URL_BUDGET
      ? (DEEP_VALUES[4] ?? null)
      : value;
  }
  // Each character takes at least one: cut before encoding it all.
  let cut = value.slice(0, URL_BUDGET);
  while (urlLength(cut) > URL_BUDGET) {
    cut = cut.slice(0, Math.floor(cut.length * 0.6));
  }
  return cut;
}

/** One field or parameter changed, removed, added or duplicated. */
function mutateArb(
  route: RouteDefinition,
  context: GenerationContext,
  category: Category,
  values: (pools: IdPools) => fc.Arbitrary<Json>,
  only?: (name: string) => boolean
): fc.Arbitrary<Draft> {
  return startArb(route, context).chain((start) => {
    const targets = targetsOf(start.valid, only);
    const raw = values(start.pools);
    const value = start.placement === 'query' ? raw.map(fitForUrl) : raw;
    const options: fc.WeightedArbitrary<Draft>[] = [
      {
        weight: 2,
        arbitrary: fc.tuple(hostileKey, value).map(([key, item]) =>
          draftOf(route, category, start, {
            input: withKey(start.valid.input, key, item),
            notes: [`added ${JSON.stringify(key)} = ${describeValue(item)}`],
          })
        ),
      },
    ];
    if (targets.length > 0) {
      options.push({
        weight: 8,
        arbitrary: fc
          .tuple(fc.constantFrom(...targets), value)
          .map(([target, item]) =>
            draftOf(
              route,
              category,
              start,
              replaced(
                start,
                target,
                target.kind === 'param' ? fitForUrl(item) : item
              )
            )
          ),
      });
    }
    const fields = targetsOf(start.valid).filter(
      (t): t is Extract<Target, { kind: 'field' }> => t.kind === 'field'
    );
    if (category === 'mutate' && fields.length > 0) {
      options.push(
        {
          weight: 2,
          arbitrary: fc.constantFrom(...fields).map((target) =>
            draftOf(route, category, start, {
              input: setAt(start.valid.input, target.path, REMOVE),
              notes: [`removed ${pathText(target.path)}`],
            })
          ),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(
              fc.constantFrom(...fields.filter((t) => t.path.length === 1)),
              value
            )
            .map(([target, item]) => {
              const key = String(target.path[0]);
              const entries = isPlainObject(start.valid.input)
                ? Object.entries(start.valid.input)
                : [];
              return draftOf(route, category, start, {
                input: new JsonEntries([...entries, [key, item]]),
                notes: [`duplicate key ${key} = ${describeValue(item)}`],
              });
            }),
        }
      );
    }
    if (category === 'mutate') {
      options.push({
        weight: 1,
        arbitrary: value.map((item) =>
          draftOf(route, category, start, {
            input: item,
            notes: [`whole input = ${describeValue(item)}`],
          })
        ),
      });
    }
    return fc.oneof(...options);
  });
}

/** Query routes cannot nest: wide and bracketed keys instead. */
function wideQueryArb(
  route: RouteDefinition,
  context: GenerationContext
): fc.Arbitrary<Draft> {
  return startArb(route, context).chain((start) =>
    fc
      .constantFrom(
        {
          extra: Array.from({ length: 1000 }, () => 'name=x').join('&'),
          note: '1000 repeated name keys',
        },
        {
          extra: `${'a%5B'.repeat(300)}=1`,
          note: '300-deep bracket key',
        },
        {
          extra: Array.from({ length: 1500 }, (_, i) => `k${i}=`).join('&'),
          note: '1500 distinct keys',
        }
      )
      .map(({ extra, note }) =>
        draftOf(route, 'deep', start, { extraQuery: extra, notes: [note] })
      )
  );
}

function deepArb(route: RouteDefinition, context: GenerationContext) {
  if (route.method === 'GET') {
    return fc.oneof(
      wideQueryArb(route, context),
      // A deep JSON body on a GET: read, then ignored.
      startArb(route, context).chain((start) =>
        fc.constantFrom(...DEEP_VALUES).map((deep) =>
          draftOf(route, 'deep', start, {
            body: deep.text,
            notes: [`GET with a ${deep.label} body`],
          })
        )
      )
    );
  }
  return mutateArb(route, context, 'deep', () => deepValue);
}

function hugeArb(route: RouteDefinition, context: GenerationContext) {
  return mutateArb(route, context, 'huge', () => hugeValue);
}

/** Invalid UTF-8 inside a JSON string, as bytes. */
const BAD_BYTES: readonly (readonly number[])[] = [
  [0xed, 0xa0, 0x80],
  [0xed, 0xb0, 0x80],
  [0xff],
  [0xc0, 0xae],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0x00],
];

function unicodeArb(route: RouteDefinition, context: GenerationContext) {
  const strings = (pools: IdPools) =>
    fc.oneof(
      malformedString,
      forgedId(pools).map((id) => `${id}\ud800`)
    );
  const fieldLevel = mutateArb(route, context, 'unicode', strings);
  const transport = startArb(route, context).chain((start) => {
    const stringTargets = targetsOf(start.valid).filter((target) => {
      if (target.kind === 'param') return true;
      let current: Json = start.valid.input;
      for (const segment of target.path) {
        current = Array.isArray(current)
          ? ((current as Json[])[segment as number] ?? null)
          : isPlainObject(current)
            ? (current[segment as string] ?? null)
            : null;
      }
      return typeof current === 'string';
    });
    if (start.placement === 'query' || stringTargets.length === 0) {
      return fc
        .tuple(
          fc.constantFrom(...rawQueryValues),
          fc.constantFrom(...targetsOf(start.valid), null)
        )
        .map(([raw, target]) => {
          if (target === null || target.kind === 'field') {
            const key =
              target === null ? raw : percentEncode(String(target.path[0]));
            return draftOf(route, 'unicode', start, {
              extraQuery: target === null ? `${raw}=1` : `${key}=${raw}`,
              notes: [
                target === null
                  ? `query key ${raw}`
                  : `query ${String(target.path[0])}=${raw}`,
              ],
            });
          }
          return draftOf(route, 'unicode', start, {
            params: { ...start.valid.params, [target.name]: new RawQuery(raw) },
            notes: [`{${target.name}} = raw ${raw}`],
          });
        });
    }
    return fc
      .tuple(fc.constantFrom(...stringTargets), fc.constantFrom(...BAD_BYTES))
      .map(([target, bytes]) => {
        if (target.kind === 'param') {
          const raw = bytes
            .map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`)
            .join('');
          return draftOf(route, 'unicode', start, {
            params: { ...start.valid.params, [target.name]: new RawQuery(raw) },
            notes: [`{${target.name}} = raw ${raw}`],
          });
        }
        const marker = 'HOSTILE_BYTES_MARKER';
        const text = jsonText(setAt(start.valid.input, target.path, marker));
        const [before, after] = text.split(marker);
        return draftOf(route, 'unicode', start, {
          placement: 'body',
          body: Buffer.concat([
            Buffer.from(before ?? ''),
            Buffer.from(bytes),
            Buffer.from(after ?? ''),
          ]),
          notes: [
            `${pathText(target.path)} holds bytes ${bytes.map((b) => b.toString(16)).join(' ')}`,
          ],
        });
      });
  });
  return fc.oneof({ weight: 2, arbitrary: fieldLevel }, transport);
}

function idsArb(route: RouteDefinition, context: GenerationContext) {
  const hasIds = targetsOf(
    templates[route.operation]?.(context.seeded, 'x') ?? {
      params: {},
      input: {},
    },
    (name) => ID_FIELDS.has(name)
  );
  if (hasIds.length === 0) {
    return mutateArb(route, context, 'ids', (pools) => forgedId(pools));
  }
  return mutateArb(
    route,
    context,
    'ids',
    (pools) => forgedId(pools),
    (name) => ID_FIELDS.has(name)
  );
}

const TRAVERSAL_SEGMENTS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '..%252F..%252F',
  '%2e%2e%5c%2e%2e%5c',
  '..%00',
  '%00',
  'a%2Fb',
  '%2F',
  '%5C..%5C',
  '..;',
  '%C0%AE%C0%AE%2F',
  'x%0D%0ALocation:%20http://127.0.0.1:1/',
  '*',
  '%2A',
  '~',
  '%7E',
];

/** Path mangling for routes without parameters. */
const PATH_MANGLES: readonly [string, (path: string) => string][] = [
  ['trailing slash', (p) => `${p}/`],
  ['double slash', (p) => p.replace('/api/', '//api/')],
  ['dot segment', (p) => p.replace('/api/2.0/', '/api/2.0/./')],
  ['dot-dot segment', (p) => `${p}/../${p.split('/').at(-1) ?? ''}`],
  ['encoded slashes', (p) => `/${p.slice(1).replaceAll('/', '%2F')}`],
  ['encoded dot-dot', (p) => `${p}/%2e%2e/%2e%2e/health`],
  ['upper case', (p) => p.toUpperCase()],
  ['matrix parameter', (p) => `${p};jsessionid=1`],
  ['NUL suffix', (p) => `${p}%00`],
  ['extension', (p) => `${p}.json`],
  ['long suffix', (p) => `${p}/${'a'.repeat(4000)}`],
  ['encoded letters', (p) => p.replace('api', '%61%70%69')],
  ['backslashes', (p) => p.replaceAll('/', '\\').replace(/^\\/, '/')],
];

function pathArb(route: RouteDefinition, context: GenerationContext) {
  const params = route.path.match(/\{\w+\+?\}/g) ?? [];
  if (params.length > 0) {
    return startArb(route, context).chain((start) =>
      fc
        .tuple(
          fc.constantFrom(...Object.keys(start.valid.params)),
          fc.oneof(
            fc
              .constantFrom(...TRAVERSAL_SEGMENTS)
              .map((raw) => new RawQuery(raw)),
            fc.constantFrom(...TRAVERSAL_SEGMENTS).map(
              (raw) =>
                // The real value with a traversal after it.
                raw
            ),
            fc.constantFrom(1025, 2049, 8000).map((n) => 'i'.repeat(n))
          ),
          fc.boolean()
        )
        .map(([name, segment, appended]) => {
          const value =
            typeof segment === 'string'
              ? new RawQuery(
                  appended
                    ? `${encodeParam(start.valid.params[name] ?? '', false)}/${segment}`
                    : segment
                )
              : segment;
          return draftOf(route, 'path', start, {
            params: { ...start.valid.params, [name]: value },
            notes: [
              `{${name}} = ${value.text.length > 80 ? `${value.text.slice(0, 40)}… (${value.text.length})` : value.text}`,
            ],
          });
        })
    );
  }
  return startArb(route, context).chain((start) =>
    fc.constantFrom(...PATH_MANGLES).map(([note, mangle]) =>
      draftOf(route, 'path', start, {
        path: mangle(route.path),
        notes: [note],
      })
    )
  );
}

/** Page tokens that were never issued, derived from a real one. */
function forgedPageTokens(real: string): fc.Arbitrary<string> {
  let decoded: Record<string, unknown> = {};
  try {
    decoded = JSON.parse(Buffer.from(real, 'base64url').toString('utf8'));
  } catch {
    // A real token that is not base64 JSON: forge from nothing.
  }
  const b64 = (text: string | Buffer) =>
    Buffer.from(text).toString('base64url');
  const shapes: unknown[] = [
    [],
    'x',
    1,
    null,
    {},
    { o: 1 },
    { ...decoded, o: null },
    Object.fromEntries(Object.keys(decoded).map((k) => [k, 5])),
    Object.fromEntries(Object.keys(decoded).map((k) => [k, ''])),
    Object.fromEntries(Object.keys(decoded).map((k) => [k, 'x'.repeat(3000)])),
    Object.fromEntries(Object.keys(decoded).map((k) => [k, '\ud800'])),
    Object.fromEntries(Object.keys(decoded).map((k) => [k, { a: 1 }])),
    { ...decoded, k: '{"name":5}' },
    { ...decoded, k: '{"name":"x","version_number":"a"}' },
    { ...decoded, k: '[]' },
    { ...decoded, k: 'null' },
    { ...decoded, k: 'not json' },
    { ...decoded, p: '{"S":"x"}' },
    { ...decoded, p: '#1#' },
    { ...decoded, p: 'x\u0000y' },
    { ...decoded, after: 'f'.repeat(2000) },
    { ...decoded, after: '' },
    { ...decoded, model: 'someone-else' },
  ];
  return fc.oneof(
    fc.constantFrom(
      ...shapes.map((shape) => b64(JSON.stringify(shape))),
      b64(`${'['.repeat(5000)}${']'.repeat(5000)}`),
      b64(Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80])),
      real.slice(0, -1),
      `${real}A`,
      `${real}==`,
      real.replaceAll('-', '+').replaceAll('_', '/'),
      real.toUpperCase(),
      'A'.repeat(100_000),
      '%%%',
      '!',
      ' '
    ),
    fc.base64String({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 40 })
  );
}

const NUMBER_FIELDS = new Set([
  'max_results',
  'startIndex',
  'count',
  'expires_in_seconds',
  'lifetime_seconds',
  'request_expiry_seconds',
  'size',
  'part_number',
]);

function pageArb(route: RouteDefinition, context: GenerationContext) {
  const paged = PAGED_OPERATIONS[route.operation];
  const numbers = (pools: IdPools) =>
    fc.oneof(wrongType, hostileString, forgedId(pools));
  const numeric = mutateArb(route, context, 'page', numbers, (name) =>
    NUMBER_FIELDS.has(name)
  );
  if (paged === undefined) {
    // Routes without paging: the numeric fields, or a stray page token.
    return fc.oneof(
      numeric,
      mutateArb(route, context, 'page', () =>
        forgedPageTokens(context.seeded.pageTokens.models)
      )
    );
  }
  const tokens = startArb(route, context).chain((start) =>
    forgedPageTokens(start.world.pageTokens[paged]).map((token) =>
      draftOf(route, 'page', start, {
        input: setAt(start.valid.input, ['page_token'], token),
        notes: [`page_token = ${describeValue(token)}`],
      })
    )
  );
  return fc.oneof({ weight: 3, arbitrary: tokens }, numeric);
}

const OTHER_METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'PROPFIND',
  'PURGE',
  'TRACE',
];

const BAD_CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/jsonx',
  'Application/JSON',
  'application/vnd.api+json',
  'application/octet-stream',
  '',
  '*/*',
  'application/json, text/plain',
];

const BAD_BODIES: readonly [string, string | Buffer][] = [
  ['truncated JSON', '{"name":'],
  ['trailing comma', '{"name":"x",}'],
  ['single quotes', "{'name':'x'}"],
  ['JSON array', '[{"name":"x"}]'],
  ['JSON string', '"name"'],
  ['JSON number', '42'],
  ['JSON null', 'null'],
  ['JSON true', 'true'],
  ['two documents', '{}{}'],
  ['BOM then JSON', '\ufeff{}'],
  ['raw control character in a string', '{"name":"a\u0001b"}'],
  ['NUL byte', '{"name":"a\u0000"}'],
  ['comments', '{/*x*/"name":"x"}'],
  ['NaN literal', '{"max_results":NaN}'],
  ['UTF-16 body', Buffer.from('{"name":"x"}', 'utf16le')],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
  ['whitespace only', '   \n\t '],
  ['form body', 'name=x&version=1'],
  ['unterminated string', '{"name":"x'],
  ['lone surrogate escape in a key', '{"\\ud800":"x"}'],
  ['escaped NUL in a key', '{"\\u0000":"x"}'],
];

function transportArb(route: RouteDefinition, context: GenerationContext) {
  const contentType = startArb(route, context).chain((start) =>
    fc.constantFrom(...BAD_CONTENT_TYPES, null).map((type) =>
      draftOf(route, 'transport', start, {
        placement: 'body',
        contentType: type,
        notes: [
          `content-type ${type === null ? 'absent' : JSON.stringify(type)}`,
        ],
      })
    )
  );
  const badBody = startArb(route, context).chain((start) =>
    fc.constantFrom(...BAD_BODIES).map(([note, body]) =>
      draftOf(route, 'transport', start, {
        placement: 'body',
        body,
        notes: [note],
      })
    )
  );
  const method = fc
    .constantFrom(...OTHER_METHODS.filter((m) => m !== route.method))
    .chain((other) =>
      startArb(route, context, other).map((start) =>
        draftOf(route, 'transport', start, {
          placement: other === 'GET' || other === 'HEAD' ? 'query' : 'body',
          notes: [`method ${other}`],
        })
      )
    );
  const queryKeys = startArb(route, context).chain((start) =>
    fc
      .constantFrom(
        '__proto__=x',
        '__proto__[name]=x',
        'constructor=x',
        'constructor[prototype][admin]=true',
        'prototype=x',
        'toString=x',
        'hasOwnProperty=x',
        'name=a&name=b',
        'version=1&version=2',
        'name[]=x',
        'name[0]=x',
        '=x',
        '&&&',
        'a=1=2',
        ';name=x'
      )
      .map((extra) =>
        draftOf(route, 'transport', start, {
          extraQuery: extra,
          notes: [`query ${extra}`],
        })
      )
  );
  const duplicated = startArb(route, context).chain((start) => {
    const keys = isPlainObject(start.valid.input)
      ? Object.keys(start.valid.input)
      : [];
    if (keys.length === 0) {
      return fc.constant(
        draftOf(route, 'transport', start, {
          extraQuery: 'x=1&x=2',
          notes: ['duplicate query key x'],
        })
      );
    }
    return fc
      .tuple(fc.constantFrom(...keys), hostileString)
      .map(([key, value]) =>
        draftOf(route, 'transport', start, {
          placement: 'query',
          extraQuery: `${percentEncode(key)}=${percentEncode(value)}`,
          notes: [`duplicate query key ${key} = ${describeValue(value)}`],
        })
      );
  });
  const headers = startArb(route, context).chain((start) =>
    fc
      .constantFrom<[string, Record<string, string>]>(
        ['chunked', { 'transfer-encoding': 'chunked' }],
        ['gzip content-encoding', { 'content-encoding': 'gzip' }],
        ['x-http-method-override', { 'x-http-method-override': 'DELETE' }],
        ['x-forwarded-for spoof', { 'x-forwarded-for': '127.0.0.1, 10.0.0.1' }],
        ['latin1 header', { 'x-name': 'caf\u00e9\u00ff' }],
        ['accept xml', { accept: 'application/xml' }],
        ['range', { range: 'bytes=0-0' }],
        ['cookie', { cookie: 'session=admin; __proto__=x' }]
      )
      .map(([note, extra]) =>
        draftOf(route, 'transport', start, { headers: extra, notes: [note] })
      )
  );
  return fc.oneof(contentType, badBody, method, queryKeys, duplicated, headers);
}

/**
 * Forged credentials: none may authenticate. A variant of the admin token
 * that is wrongly accepted acts as the admin, so its mutating requests aim
 * at the scratch world only and cannot change the seeded data.
 */
function authArb(route: RouteDefinition, context: GenerationContext) {
  const admin = context.tokens.admin;
  const derived: [string, string][] = [
    ['admin token + trailing garbage', `Bearer ${admin} garbage`],
    ['admin token + tab garbage', `Bearer ${admin}\tx`],
    ['admin token truncated', `Bearer ${admin.slice(0, -1)}`],
    ['admin token + 1 char', `Bearer ${admin}0`],
    ['admin token upper-cased', `Bearer ${admin.toUpperCase()}`],
    ['admin token, comma garbage', `Bearer ${admin},x`],
    ['two credentials', `Bearer ${admin}, Bearer x`],
    [
      'Basic with the token and more',
      `Basic ${Buffer.from(`token:${admin}:x`).toString('base64')}`,
    ],
    ['admin token as the scheme', `${admin} Bearer`],
    ['Token scheme', `Token ${admin}`],
  ];
  const random: fc.Arbitrary<[string, string]> = fc.oneof(
    fc
      .string({
        unit: fc.constantFrom(...'0123456789abcdef'),
        minLength: 32,
        maxLength: 32,
      })
      .map((hex): [string, string] => [
        'random dapi token',
        `Bearer dapi${hex}`,
      ]),
    fc
      .constantFrom(100, 4000, 12_000)
      .map((n): [string, string] => [
        `${n}-char token`,
        `Bearer ${'d'.repeat(n)}`,
      ]),
    fc.constantFrom<[string, string]>(
      ['empty Bearer', 'Bearer '],
      ['Bearer only', 'Bearer'],
      ['Basic garbage', 'Basic !!!notbase64'],
      ['Basic without colon', `Basic ${Buffer.from('abc').toString('base64')}`],
      [
        'Basic empty password',
        `Basic ${Buffer.from('admin:').toString('base64')}`,
      ],
      ['Digest', 'Digest username="admin"'],
      ['latin1 token', 'Bearer d\u00e9\u00ff'],
      ['JSON token', 'Bearer {"admin":true}'],
      ['jwt none', 'Bearer eyJhbGciOiJub25lIn0.eyJhZG1pbiI6dHJ1ZX0.']
    )
  );
  return fc
    .tuple(
      fc.oneof(fc.constantFrom(...derived), random),
      fc.integer({ min: 0, max: 1_000_000 })
    )
    .map(([[note, header], salt]) => {
      const readOnly = SAFE_METHODS.has(route.method);
      const fromAdmin = header.includes(admin);
      // A variant of the admin token is treated as the admin would be:
      // its mutating requests aim at the scratch world only.
      const world = fromAdmin && !readOnly ? context.scratch : context.seeded;
      const template = templates[route.operation];
      if (!template) throw new Error(`No template for ${route.operation}`);
      const valid = template(world, salt.toString(16).padStart(12, '0'));
      return {
        route: routeKey(route),
        category: 'auth' as const,
        principal: 'forged' as const,
        note,
        method: route.method,
        path: pathOf({
          route,
          principal: 'forged',
          category: 'auth',
          method: route.method,
          params: valid.params,
          input: valid.input,
          placement: 'query',
          notes: [],
        }),
        query:
          route.method === 'GET' || route.method === 'DELETE'
            ? queryOf(valid.input)
            : '',
        headers: {
          authorization: header,
          ...(route.method === 'GET' || route.method === 'DELETE'
            ? {}
            : { 'content-type': 'application/json' }),
        },
        ...(route.method === 'GET' || route.method === 'DELETE'
          ? {}
          : { body: jsonText(valid.input) }),
      } satisfies HostileRequest;
    });
}

function categoryArb(
  category: (typeof CATEGORIES)[number],
  route: RouteDefinition,
  context: GenerationContext
): fc.Arbitrary<HostileRequest> {
  if (category === 'auth') return authArb(route, context);
  const drafts = {
    mutate: () =>
      mutateArb(route, context, 'mutate', (pools) => hostileValue(pools)),
    deep: () => deepArb(route, context),
    huge: () => hugeArb(route, context),
    unicode: () => unicodeArb(route, context),
    ids: () => idsArb(route, context),
    path: () => pathArb(route, context),
    page: () => pageArb(route, context),
    transport: () => transportArb(route, context),
  }[category]();
  return drafts.map((draft) => toRequest(draft, context));
}

/** How many of each category per route, out of every 16 requests. */
const CATEGORY_WEIGHTS: Readonly<Record<(typeof CATEGORIES)[number], number>> =
  {
    mutate: 4,
    deep: 1,
    huge: 1,
    unicode: 2,
    ids: 2,
    path: 1,
    page: 1,
    transport: 3,
    auth: 1,
  };

/**
 * `count` requests for one route, spread over the categories by weight;
 * the same seed gives the same requests (given the same seeded world).
 */
export function requestsForRoute(
  route: RouteDefinition,
  routeIndex: number,
  count: number,
  seed: number,
  context: GenerationContext
): HostileRequest[] {
  const total = Object.values(CATEGORY_WEIGHTS).reduce((a, b) => a + b, 0);
  // Largest remainders: the shares add up to `count` exactly.
  const exact = CATEGORIES.map(
    (category) => (count * CATEGORY_WEIGHTS[category]) / total
  );
  const shares = exact.map(Math.floor);
  const byRemainder = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder);
  for (let left = count - shares.reduce((a, b) => a + b, 0); left > 0; left--) {
    const { index } = byRemainder[left - 1] ?? { index: 0 };
    shares[index] = (shares[index] ?? 0) + 1;
  }
  const requests: HostileRequest[] = [];
  CATEGORIES.forEach((category, categoryIndex) => {
    const share = shares[categoryIndex] ?? 0;
    if (share === 0) return;
    requests.push(
      ...fc.sample(categoryArb(category, route, context), {
        seed: seed + routeIndex * 1000 + categoryIndex,
        numRuns: share,
      })
    );
  });
  return requests;
}

/** Requests aimed at no route: protocol and gateway edges. */
export function rawRequests(context: GenerationContext): HostileRequest[] {
  const admin = { authorization: `Bearer ${context.tokens.admin}` };
  const raw = (
    principal: PrincipalName,
    note: string,
    wire: Partial<WireRequest> & { method: string; path: string }
  ): HostileRequest => ({
    route: 'raw',
    category: 'raw',
    principal,
    note,
    query: '',
    headers: principal === 'admin' ? admin : {},
    ...wire,
  });
  const models = '/api/2.0/mlflow/registered-models';
  const requests: HostileRequest[] = [];
  for (const principal of ['admin', 'anonymous'] as const) {
    const headers = principal === 'admin' ? admin : {};
    requests.push(
      raw(principal, 'root', { method: 'GET', path: '/' }),
      raw(principal, 'api root', { method: 'GET', path: '/api/2.0/mlflow/' }),
      raw(principal, 'encoded traversal to passwd', {
        method: 'GET',
        path: '/%2e%2e/%2e%2e/etc/passwd',
      }),
      raw(principal, 'traversal out of the API', {
        method: 'GET',
        path: '/api/2.0/mlflow/..%2f..%2f..%2fetc%2fpasswd',
      }),
      raw(principal, 'NUL in path', {
        method: 'GET',
        path: `${models}/get%00`,
      }),
      raw(principal, '10 KB path', {
        method: 'GET',
        path: `/${'a'.repeat(10_000)}`,
      }),
      raw(principal, '20 KB path', {
        method: 'GET',
        path: `/${'a'.repeat(20_000)}`,
      }),
      raw(principal, 'foreign Host header', {
        method: 'GET',
        path: '/health',
        headers: { ...headers, host: 'evil.example' },
      }),
      raw(principal, 'OPTIONS', { method: 'OPTIONS', path: `${models}/get` }),
      raw(principal, 'HEAD of a route', {
        method: 'HEAD',
        path: `${models}/search`,
      }),
      raw(principal, 'HEAD of nothing', { method: 'HEAD', path: '/nothing' }),
      raw(principal, 'request target without a leading slash', {
        method: 'GET',
        path: 'api/2.0/mlflow/registered-models/search',
      }),
      raw(principal, 'asterisk request target', {
        method: 'OPTIONS',
        path: '*',
      }),
      raw(principal, 'unknown method FOO', {
        method: 'FOO',
        path: `${models}/search`,
      }),
      raw(principal, 'PROPFIND', { method: 'PROPFIND', path: `${models}/get` }),
      raw(principal, 'TRACE', { method: 'TRACE', path: '/health' }),
      raw(principal, '20 KB header', {
        method: 'GET',
        path: '/health',
        headers: { ...headers, 'x-big': 'h'.repeat(20_000) },
      }),
      raw(principal, '20 KB authorization header', {
        method: 'GET',
        path: `${models}/search`,
        headers: { authorization: `Bearer ${'d'.repeat(20_000)}` },
      }),
      raw(principal, '10 KB authorization header', {
        method: 'GET',
        path: `${models}/search`,
        headers: { authorization: `Bearer ${'d'.repeat(10_000)}` },
      }),
      raw(principal, '11 MB body', {
        method: 'POST',
        path: `${models}/create`,
        headers: { ...headers, 'content-type': 'application/json' },
        body: `{"name":"x","description":"${'a'.repeat(11 * 1024 * 1024)}"}`,
      }),
      raw(principal, '9 MB description', {
        method: 'POST',
        path: `${models}/create`,
        headers: { ...headers, 'content-type': 'application/json' },
        body: `{"name":"fresh-9mb","description":"${'a'.repeat(9 * 1024 * 1024)}"}`,
      }),
      raw(principal, '2 MB of tags', {
        method: 'POST',
        path: `${models}/create`,
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'fresh-many-tags',
          tags: Array.from({ length: 20_000 }, (_, i) => ({
            key: `k${i}`,
            value: 'v'.repeat(100),
          })),
        }),
      }),
      raw(principal, '200 headers', {
        method: 'GET',
        path: '/health',
        headers: {
          ...headers,
          ...Object.fromEntries(
            Array.from({ length: 200 }, (_, i) => [`x-h${i}`, 'v'])
          ),
        },
      })
    );
  }
  // LIKE over the 5,000-character values (see likeStressRequests for more).
  for (const filter of [`tags.long LIKE '%a%b'`, `tags.long ILIKE '%A%b'`]) {
    requests.push(
      raw('admin', `search ${filter}`, {
        method: 'GET',
        path: `${models}/search`,
        query: `filter=${percentEncode(filter)}`,
      }),
      raw('admin', `version search ${filter}`, {
        method: 'GET',
        path: '/api/2.0/mlflow/model-versions/search',
        query: `filter=${percentEncode(filter)}`,
      })
    );
  }
  return requests;
}

/**
 * LIKE and ILIKE with ten `%` over the seeded 5,000-character values, as
 * the admin and as a user who sees none of them, with `/health` beside
 * them: a backtracking matcher would stall the whole local server here.
 */
export function likeStressRequests(
  context: GenerationContext
): HostileRequest[] {
  const patterns = [
    `tags.long LIKE '${'%a'.repeat(10)}%b'`,
    `tags.long ILIKE '${'%A'.repeat(10)}%b'`,
    `name LIKE '${'%a'.repeat(10)}%b'`,
  ];
  const paths = [
    '/api/2.0/mlflow/registered-models/search',
    '/api/2.0/mlflow/model-versions/search',
  ];
  return (['admin', 'stranger'] as const).flatMap((principal) =>
    paths.flatMap((path) =>
      patterns.map(
        (filter): HostileRequest => ({
          route: `GET ${path}`,
          category: 'raw',
          principal,
          note: `LIKE stress: ${filter}`,
          method: 'GET',
          path,
          query: `filter=${percentEncode(filter)}`,
          headers: { authorization: `Bearer ${tokenOf(principal, context)}` },
        })
      )
    )
  );
}
