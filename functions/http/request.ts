import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { checkInput } from './input-check.ts';

export type QueryParameters = Record<string, string | string[]>;

/**
 * Parses the raw query string, not `queryStringParameters`: API Gateway's
 * payload 2.0 comma-joins repeated keys there, which would merge
 * `order_by=a&order_by=b` and corrupt values that contain commas. Repeated
 * keys become arrays; `+` is a space (URLSearchParams, as the SDK encodes).
 */
export function parseQueryString(rawQueryString: string): QueryParameters {
  // A Map, not an object literal: keys such as `constructor` or
  // `__proto__` must be plain keys, never the object's own machinery.
  const params = new Map<string, string | string[]>();
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    const existing = params.get(key);
    if (existing === undefined) params.set(key, value);
    else if (Array.isArray(existing)) existing.push(value);
    else params.set(key, [existing, value]);
  }
  return Object.fromEntries(params);
}

/**
 * The JSON body as an object. An absent or empty body is `{}`: the
 * Databricks SDK sends its PATCH calls without one.
 */
export function parseJsonBody(
  event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>
): Record<string, unknown> {
  const raw =
    event.body === undefined || event.body === null
      ? ''
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidParameterValueError(
      'Malformed request body: it is not valid JSON.'
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidParameterValueError(
      'Malformed request body: expected a JSON object.'
    );
  }
  return parsed as Record<string, unknown>;
}

function header(
  event: Pick<APIGatewayProxyEventV2, 'headers'>,
  name: string
): string | undefined {
  return event.headers?.[name];
}

/**
 * The operation's raw input: GET takes the query string; POST, PUT and PATCH
 * take the JSON body; DELETE takes both, body winning (MLflow's client sends
 * DELETE with a JSON body, the Databricks SDK with a query string). Path
 * parameters (`{registered_model_id}`, `{id}`) are added last and win.
 * Every string of it has passed `checkInput` (the one edge check of text,
 * lengths and depth) before any route check or operation reads it.
 * @throws InvalidParameterValueError
 */
export function rawInput(
  event: APIGatewayProxyEventV2,
  options: { readonly rawBody?: boolean } = {}
): Record<string, unknown> {
  const input = Object.assign(
    Object.fromEntries(
      Object.entries(
        options.rawBody
          ? parseQueryString(event.rawQueryString ?? '')
          : transportInput(event)
      )
    ),
    event.pathParameters ?? {}
  );
  checkInput(input);
  return input;
}

/**
 * Where the local gateway puts a body larger than API Gateway carries (it
 * has no such limit): the bytes themselves, not a base64 string, which
 * V8 caps near 512 MiB. Never set on AWS.
 */
export const LOCAL_BODY = Symbol.for('stagegate.localBody');

/**
 * The request's body as bytes, for routes whose body is a file (the DBFS
 * API): base64-decoded when API Gateway encoded it (binary content), the
 * string's UTF-8 otherwise (text it passed through as is).
 */
export function bodyBytes(
  event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>
): Buffer {
  const local = (event as { [LOCAL_BODY]?: unknown })[LOCAL_BODY];
  if (Buffer.isBuffer(local)) return local;
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded
    ? Buffer.from(event.body, 'base64')
    : Buffer.from(event.body, 'utf8');
}

function transportInput(
  event: APIGatewayProxyEventV2
): Record<string, unknown> {
  const method = event.requestContext.http.method.toUpperCase();
  const query = parseQueryString(event.rawQueryString ?? '');
  if (method === 'GET' || method === 'HEAD') return query;
  if (method === 'POST') {
    const contentType = header(event, 'content-type') ?? '';
    const hasBody = (event.body ?? '') !== '';
    // MLflow's server refuses a POST that does not declare JSON.
    if (hasBody && !contentType.toLowerCase().includes('application/json')) {
      throw new InvalidParameterValueError(
        'Bad Request. Content-Type must be application/json.'
      );
    }
  }
  const body = parseJsonBody(event);
  return method === 'DELETE' ? { ...query, ...body } : body;
}
