import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The Approve and Reject links of an approval e-mail. A link is a signed
 * statement "the holder of this link may take this decision on this
 * request, as this approver, until then": the registry keeps no copy, the
 * HMAC-SHA256 under the registry's link key (never returned, never
 * logged) is what makes it one of ours. Both links of one mail share the
 * mail's id, which the ledger marks used on the first decision, so a mail
 * decides at most once.
 */

/** A decision a link can carry. */
export type LinkDecision = 'approve' | 'reject';

export interface EmailLink {
  /** The mail the link is in (the ledger's key; one use per mail). */
  readonly mailId: string;
  /** The transition request's stable id. */
  readonly requestId: string;
  /** The approver's principal id: the link acts as them and no one else. */
  readonly approverId: string;
  readonly decision: LinkDecision;
  /** Epoch milliseconds; the link is refused from then on. */
  readonly expiresAt: number;
}

/** How long a link lasts by default: 72 hours (never past its request). */
export const DEFAULT_LINK_TTL_MS = 72 * 3600 * 1000;

/** The shortest link key accepted: 256 bits. */
export const MIN_LINK_KEY_BYTES = 32;

/** A link's lifetime: its TTL, cut at its request's own expiry. */
export function linkExpiry(
  now: number,
  requestExpiresAt: number,
  ttlMs: number = DEFAULT_LINK_TTL_MS
): number {
  return Math.min(now + ttlMs, requestExpiresAt);
}

const VERSION = 'v1';
const DECISION_CODES: Record<LinkDecision, string> = {
  approve: 'a',
  reject: 'r',
};

/** Ids as the registry makes them: hex, decimal digits, UUIDs. */
const ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The link's token: `v1.<mail>.<request>.<approver>.<a|r>.<expiry, base
 * 36>.<signature>`, URL-safe as it stands. The signature covers every
 * field before it, so no field can be changed (another request, another
 * approver, a later expiry, the other decision) without the key.
 */
export function signLink(key: Uint8Array, link: EmailLink): string {
  for (const id of [link.mailId, link.requestId, link.approverId]) {
    if (!ID.test(id)) throw new Error(`Not a link id: ${id}`);
  }
  const body = [
    VERSION,
    link.mailId,
    link.requestId,
    link.approverId,
    DECISION_CODES[link.decision],
    link.expiresAt.toString(36),
  ].join('.');
  return `${body}.${signature(key, body)}`;
}

/** Why a link is refused before anything is read. */
export type LinkRefusal = 'malformed' | 'tampered' | 'expired';

export type VerifiedLink =
  | { readonly ok: true; readonly link: EmailLink }
  | { readonly ok: false; readonly refusal: LinkRefusal };

/** The longest token accepted (far above any token {@link signLink} makes). */
export const MAX_LINK_TOKEN_LENGTH = 512;

/**
 * Checks a token's shape, then its signature (in constant time), then its
 * expiry: a token that does not parse is `malformed`, one whose signature
 * does not match is `tampered`, a genuine one past its time `expired`.
 */
export function verifyLink(
  key: Uint8Array,
  token: string,
  now: number
): VerifiedLink {
  if (token.length > MAX_LINK_TOKEN_LENGTH) {
    return { ok: false, refusal: 'malformed' };
  }
  const parts = token.split('.');
  if (parts.length !== 7 || parts[0] !== VERSION) {
    return { ok: false, refusal: 'malformed' };
  }
  const [, mailId, requestId, approverId, code, expiry, given] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const decision = (Object.keys(DECISION_CODES) as LinkDecision[]).find(
    (candidate) => DECISION_CODES[candidate] === code
  );
  const expiresAt = Number.parseInt(expiry, 36);
  if (
    !decision ||
    ![mailId, requestId, approverId].every((id) => ID.test(id)) ||
    !/^[0-9a-z]{1,12}$/.test(expiry) ||
    !Number.isSafeInteger(expiresAt)
  ) {
    return { ok: false, refusal: 'malformed' };
  }
  const body = parts.slice(0, 6).join('.');
  const expected = Buffer.from(signature(key, body));
  const presented = Buffer.from(given);
  if (
    expected.length !== presented.length ||
    !timingSafeEqual(expected, presented)
  ) {
    return { ok: false, refusal: 'tampered' };
  }
  if (now >= expiresAt) return { ok: false, refusal: 'expired' };
  return {
    ok: true,
    link: { mailId, requestId, approverId, decision, expiresAt },
  };
}

function signature(key: Uint8Array, body: string): string {
  if (key.length < MIN_LINK_KEY_BYTES) {
    throw new Error(
      `The e-mail link key must have at least ${MIN_LINK_KEY_BYTES} bytes.`
    );
  }
  return createHmac('sha256', key).update(body).digest('base64url');
}
