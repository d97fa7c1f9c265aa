/** One HTTP delivery of a webhook payload. */
export interface WebhookRequest {
  readonly url: string;
  /** The exact bytes sent (what the signature covers). */
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Verify the receiver's TLS certificate. */
  readonly verifyTls: boolean;
  readonly timeoutMs: number;
}

export interface WebhookResponse {
  readonly statusCode: number;
  /** The receiver's body as text, truncated to a bounded size. */
  readonly body: string;
  /** The receiver's `Retry-After` header, when it sent one. */
  readonly retryAfter?: string | undefined;
}

/**
 * POSTs webhook payloads. Redirects are never followed, and unless the
 * sender was built to allow private hosts, a host resolving to a
 * non-public address is refused at connect time.
 * @throws WebhookDeliveryError when no HTTP response arrived (refused,
 *   unreachable, timed out, blocked address).
 */
export interface WebhookSender {
  post(request: WebhookRequest): Promise<WebhookResponse>;
}
