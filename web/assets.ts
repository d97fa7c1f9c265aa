/**
 * One file of the built page: its bytes and how to serve them (apart from
 * web/build.ts, so serving it does not load esbuild).
 */
export interface WebAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** `Cache-Control`: hashed assets forever, the HTML never. */
  readonly cacheControl: string;
}

/** The built page by URL path (`/index.html`, `/assets/app-<hash>.js`, …). */
export type WebAssets = ReadonlyMap<string, WebAsset>;

/**
 * Security headers for the page, the same locally and on CloudFront: the
 * script and styles come from this origin only, API calls go to this
 * origin only, and no other site may frame the page.
 */
export const WEB_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
