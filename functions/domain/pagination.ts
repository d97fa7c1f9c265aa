import { InvalidParameterValueError } from './errors.ts';

/**
 * Page tokens are opaque to clients (MLflow's are base64 JSON too); ours
 * carry a keyset cursor rather than an offset, so pages stay stable while
 * models are created between calls.
 */
export function encodePageToken(cursor: Record<string, string>): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

export function decodePageToken(token: string): Record<string, string> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidParameterValueError(
      'Invalid page token, could not base64-decode'
    );
  }
  if (
    typeof decoded !== 'object' ||
    decoded === null ||
    Array.isArray(decoded) ||
    !Object.values(decoded).every((v) => typeof v === 'string')
  ) {
    throw new InvalidParameterValueError(
      'Invalid page token, could not base64-decode'
    );
  }
  return decoded as Record<string, string>;
}

export function validateMaxResults(
  maxResults: number | undefined,
  bounds: { defaultMaxResults: number; maxMaxResults: number }
): number {
  if (maxResults === undefined) return bounds.defaultMaxResults;
  if (
    !Number.isInteger(maxResults) ||
    maxResults < 1 ||
    maxResults > bounds.maxMaxResults
  ) {
    throw new InvalidParameterValueError(
      `Invalid value for max_results. It must be at most ${bounds.maxMaxResults}, but got value ${maxResults}`
    );
  }
  return maxResults;
}
