import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';

type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Stopgap until `rawInput` (functions/http/request.ts) merges
 * `event.pathParameters` into an operation's input itself: copies them
 * into the part of the request that `rawInput` reads — the query string
 * for GET and DELETE, the JSON body for the other methods (and for a
 * DELETE that has one) — overriding any same-named field, so `{id}` in
 * `/Users/{id}` reaches the operation's schema as `id`. Once `rawInput`
 * does this, drop the wrapper; the operations need no change.
 */
export function withPathParameters(handler: ApiHandler): ApiHandler {
  return (event, context) => handler(mergePathParameters(event), context);
}

export function mergePathParameters(
  event: APIGatewayProxyEventV2
): APIGatewayProxyEventV2 {
  const parameters = Object.fromEntries(
    Object.entries(event.pathParameters ?? {}).filter(
      (entry): entry is [string, string] => entry[1] !== undefined
    )
  );
  if (Object.keys(parameters).length === 0) return event;
  const method = event.requestContext.http.method.toUpperCase();
  const readsQuery =
    method === 'GET' || method === 'HEAD' || method === 'DELETE';
  let merged = event;
  if (readsQuery) {
    const query = new URLSearchParams(event.rawQueryString ?? '');
    for (const [name, value] of Object.entries(parameters)) {
      query.set(name, value);
    }
    merged = { ...merged, rawQueryString: query.toString() };
  }
  const body = bodyOf(event);
  if (body.kind === 'object') {
    merged = {
      ...merged,
      body: JSON.stringify({ ...body.value, ...parameters }),
      isBase64Encoded: false,
    };
  } else if (body.kind === 'empty' && !readsQuery) {
    merged = {
      ...merged,
      headers: { ...merged.headers, 'content-type': 'application/json' },
      body: JSON.stringify(parameters),
      isBase64Encoded: false,
    };
  }
  return merged;
}

/**
 * The body as a JSON object. One that is not is left alone, for `rawInput`
 * to refuse with its own error inside the error boundary.
 */
function bodyOf(
  event: APIGatewayProxyEventV2
):
  | { kind: 'empty' }
  | { kind: 'object'; value: Record<string, unknown> }
  | { kind: 'other' } {
  const raw =
    event.body === undefined || event.body === null
      ? ''
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  if (raw.trim() === '') return { kind: 'empty' };
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' &&
      parsed !== null &&
      !Array.isArray(parsed)
      ? { kind: 'object', value: parsed as Record<string, unknown> }
      : { kind: 'other' };
  } catch {
    return { kind: 'other' };
  }
}
