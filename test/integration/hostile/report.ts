import type { HostileRequest } from './generate.ts';
import type { WireAnswer } from './transport.ts';

export interface Outcome {
  readonly request: HostileRequest;
  readonly answer: WireAnswer;
  /** From sending to the end of the answer. */
  readonly ms: number;
}

export type FailureKind =
  | 'server error (5xx)'
  | 'timeout'
  | 'connection failed'
  | 'error body not {error_code, message}'
  | 'secret echoed'
  | 'accepted without valid credentials';

export interface Failure {
  readonly kind: FailureKind;
  readonly outcome: Outcome;
  readonly detail: string;
}

export interface Checks {
  /** Values no answer may contain. */
  readonly secrets: readonly string[];
  /** Text no answer may contain (marks of secrets the requests carry). */
  readonly marks: readonly string[];
  /** Paths callers without a token may use (the route table's public ones). */
  readonly publicPaths: ReadonlySet<string>;
}

function errorShape(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${short(text, 120)}`;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return `not an object: ${short(text, 120)}`;
  }
  const { error_code, message } = body as Record<string, unknown>;
  if (typeof error_code !== 'string' || typeof message !== 'string') {
    return `fields: ${short(text, 160)}`;
  }
  return undefined;
}

/** Every rule one answer breaks. */
export function check(outcome: Outcome, checks: Checks): Failure[] {
  const { request, answer } = outcome;
  const failures: Failure[] = [];
  const fail = (kind: FailureKind, detail: string) =>
    failures.push({ kind, outcome, detail });
  if (answer.kind === 'timeout') {
    fail('timeout', 'no answer in time');
    return failures;
  }
  if (answer.kind === 'error') {
    fail('connection failed', answer.message);
    return failures;
  }
  if (answer.kind === 'unsendable' || answer.kind === 'skipped') {
    return failures;
  }
  if (answer.status >= 500) fail('server error (5xx)', short(answer.text, 200));
  if (answer.status >= 400 && request.method !== 'HEAD') {
    const problem = errorShape(answer.text);
    if (problem) fail('error body not {error_code, message}', problem);
  }
  const seen = `${answer.text}\n${Object.values(answer.headers).join('\n')}`;
  for (const secret of [...checks.secrets, ...checks.marks]) {
    if (seen.includes(secret)) {
      fail('secret echoed', `contains ${redactSecret(secret)}`);
    }
  }
  const credentialless =
    request.principal === 'anonymous' || request.principal === 'forged';
  if (
    credentialless &&
    answer.status < 400 &&
    !checks.publicPaths.has(request.path) &&
    !request.path.startsWith('/assets/')
  ) {
    fail(
      'accepted without valid credentials',
      `${answer.status}: ${short(answer.text, 120)}`
    );
  }
  return failures;
}

function redactSecret(secret: string): string {
  return `${secret.slice(0, 6)}…(${secret.length} chars)`;
}

export function short(text: string, length: number): string {
  const flat = JSON.stringify(text).slice(1, -1);
  return flat.length > length
    ? `${flat.slice(0, length)}… (${text.length} chars)`
    : flat;
}

export function statusClass(answer: WireAnswer): string {
  if (answer.kind === 'response') return `${Math.floor(answer.status / 100)}xx`;
  return answer.kind;
}

function increment(
  map: Map<string, Map<string, number>>,
  key: string,
  cls: string
) {
  const row = map.get(key) ?? new Map<string, number>();
  row.set(cls, (row.get(cls) ?? 0) + 1);
  row.set('total', (row.get('total') ?? 0) + 1);
  map.set(key, row);
}

const CLASSES = [
  'total',
  '2xx',
  '3xx',
  '4xx',
  '5xx',
  'timeout',
  'error',
  'skipped',
];

function table(title: string, rows: Map<string, Map<string, number>>): string {
  const keys = [...rows.keys()].sort();
  const width = Math.max(title.length, ...keys.map((k) => k.length));
  const header = `${title.padEnd(width)} ${CLASSES.map((c) => c.padStart(8)).join('')}`;
  const lines = keys.map((key) => {
    const row = rows.get(key);
    return `${key.padEnd(width)} ${CLASSES.map((c) =>
      String(row?.get(c) ?? 0).padStart(8)
    ).join('')}`;
  });
  return [header, ...lines].join('\n');
}

/** Counts by status class, overall and by route, category and principal. */
export function countsReport(
  outcomes: readonly Outcome[],
  settings: Record<string, string | number | boolean>,
  seconds: number
): string {
  const byRoute = new Map<string, Map<string, number>>();
  const byCategory = new Map<string, Map<string, number>>();
  const byPrincipal = new Map<string, Map<string, number>>();
  const overall = new Map<string, Map<string, number>>();
  let unsendable = 0;
  for (const { request, answer } of outcomes) {
    if (answer.kind === 'unsendable') {
      unsendable += 1;
      continue;
    }
    const cls = statusClass(answer);
    increment(overall, 'all', cls);
    increment(byRoute, request.route, cls);
    increment(byCategory, request.category, cls);
    increment(byPrincipal, request.principal, cls);
  }
  const sent = overall.get('all')?.get('total') ?? 0;
  const slowest = [...outcomes]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5)
    .map(
      ({ request, ms }) =>
        `  ${ms} ms ${request.route} (${request.category}: ${short(request.note, 100)})`
    );
  return [
    `hostile-input suite: ${Object.entries(settings)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')}`,
    `requests sent: ${sent} in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)}/s); not sendable by node:http: ${unsendable}`,
    table('status class', overall),
    table('category', byCategory),
    table('principal', byPrincipal),
    table('route', byRoute),
    `request time by category (s): ${[
      ...outcomes.reduce(
        (sums, { request, ms }) =>
          sums.set(request.category, (sums.get(request.category) ?? 0) + ms),
        new Map<string, number>()
      ),
    ]
      .map(([category, ms]) => `${category} ${(ms / 1000).toFixed(0)}`)
      .join(', ')}`,
    ['slowest requests:', ...slowest].join('\n'),
  ].join('\n\n');
}

/** What a request was, readable, with the tokens redacted. */
export function describeRequest(
  request: HostileRequest,
  redactions: readonly [string, string][]
): string {
  const redact = (text: string) =>
    redactions.reduce(
      (current, [secret, name]) => current.replaceAll(secret, name),
      text
    );
  const target = `${request.path}${request.query === '' ? '' : `?${request.query}`}`;
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `${name}: ${short(redact(value), 80)}`)
    .join(' | ');
  const body =
    request.body === undefined
      ? ''
      : ` body ${short(redact(request.body.toString('utf8')), 300)}`;
  return `${request.method} ${short(redact(target), 300)} [${headers}]${body}`;
}

/**
 * Failures grouped by kind, route, category and status, each group with a
 * count and its first request and answer.
 */
export function failureReport(
  failures: readonly Failure[],
  redactions: readonly [string, string][]
): string {
  const groups = new Map<string, Failure[]>();
  for (const failure of failures) {
    const { request, answer } = failure.outcome;
    const status = answer.kind === 'response' ? answer.status : answer.kind;
    const key = `${failure.kind} · ${request.route} · ${request.category} · ${status}`;
    groups.set(key, [...(groups.get(key) ?? []), failure]);
  }
  const lines = [`${failures.length} failures in ${groups.size} groups:`];
  for (const [key, members] of [...groups].sort(([a], [b]) =>
    a.localeCompare(b)
  )) {
    const first = members[0];
    if (!first) continue;
    const { request } = first.outcome;
    lines.push(
      `\n[${members.length}×] ${key}`,
      `  as ${request.principal}: ${request.note}`,
      `  request: ${describeRequest(request, redactions)}`,
      `  answer: ${first.detail}`
    );
  }
  return lines.join('\n');
}

/**
 * Unhandled errors the registry logged (local stack only: its output),
 * grouped by message and the first frame of the stack.
 */
export function serverErrorReport(output: string): string {
  const causes = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"ERROR"')) continue;
    try {
      const entry = JSON.parse(line) as {
        message?: string;
        error?: { name?: string; message?: string; stack?: string };
      };
      const frame =
        entry.error?.stack
          ?.split('\n')
          .find((l) => l.trim().startsWith('at '))
          ?.trim() ?? '';
      const key = `${entry.message ?? ''}: ${entry.error?.name ?? ''}: ${short(entry.error?.message ?? '', 160)} ${frame}`;
      causes.set(key, (causes.get(key) ?? 0) + 1);
    } catch {
      // Not a log entry.
    }
  }
  if (causes.size === 0) return 'server log: no unhandled errors';
  return [
    'server log, unhandled errors by cause:',
    ...[...causes].map(([key, count]) => `  [${count}×] ${key}`),
  ].join('\n');
}
