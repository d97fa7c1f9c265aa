import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** How far a request's `x-amz-date` may be from now, as on AWS. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * Whether a request carries a valid AWS Signature Version 4 (header form)
 * made with these credentials: what the AWS SDK sends to every endpoint.
 * The local Step Functions and Lambda endpoints check it, so that only the
 * registry (which holds the data directory's credentials) can call them:
 * their loopback ports are open to every local account.
 *
 * Mirrors the SDK's signer (`@smithy/signature-v4`): the path normalised
 * and URI-encoded once more, the query sorted and encoded, the signed
 * headers with collapsed whitespace, the payload's SHA-256.
 */
export function hasValidSignature(
  request: {
    readonly method: string;
    /** The path and query exactly as received (still percent-encoded). */
    readonly url: string;
    readonly headers: IncomingHttpHeaders;
    readonly body: Buffer;
  },
  credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
  },
  now: number = Date.now()
): boolean {
  try {
    return verify(request, credentials, now);
  } catch {
    // Malformed percent-encoding and the like: not a valid signature.
    return false;
  }
}

function verify(
  request: Parameters<typeof hasValidSignature>[0],
  credentials: Parameters<typeof hasValidSignature>[1],
  now: number
): boolean {
  const match = AUTHORIZATION.exec(String(request.headers.authorization ?? ''));
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  if (!match) return false;
  const [, accessKeyId, day, region, service, signedHeaders, signature] =
    match as unknown as string[];
  if (
    accessKeyId !== credentials.accessKeyId ||
    !/^\d{8}T\d{6}Z$/.test(amzDate) ||
    !amzDate.startsWith(day ?? '') ||
    Math.abs(parseAmzDate(amzDate) - now) > MAX_CLOCK_SKEW_MS
  ) {
    return false;
  }
  const names = (signedHeaders ?? '').split(';');
  if (!names.includes('host')) return false;
  const canonicalHeaders = names
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text
        .replace(/[\r\n]/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .trim()}`;
    })
    .join('\n');
  const questionMark = request.url.indexOf('?');
  const rawPath =
    questionMark === -1 ? request.url : request.url.slice(0, questionMark);
  const rawQuery =
    questionMark === -1 ? '' : request.url.slice(questionMark + 1);
  // The body is always hashed: a declared hash (`x-amz-content-sha256`,
  // which the signature then covers) must be the body's.
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const declared = request.headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== payloadHash) return false;
  const canonicalRequest = [
    request.method,
    canonicalPath(rawPath),
    canonicalQuery(rawQuery),
    `${canonicalHeaders}\n`,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key: Buffer = hmac(`AWS4${credentials.secretAccessKey}`, day ?? '');
  for (const part of [region, service, 'aws4_request']) {
    key = hmac(key, part ?? '');
  }
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(signature ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function parseAmzDate(amzDate: string): number {
  return Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`
  );
}

/** RFC 3986 unreserved characters stay, everything else is %XX. */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
  );
}

function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const decode = (text: string) =>
        decodeURIComponent(text.replace(/\+/g, ' '));
      const key = decode(equals === -1 ? pair : pair.slice(0, equals));
      const value = equals === -1 ? '' : decode(pair.slice(equals + 1));
      return `${escapeUri(key)}=${escapeUri(value)}`;
    })
    .sort()
    .join('&');
}
