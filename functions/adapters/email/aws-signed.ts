import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, SourceData } from '@smithy/types';

/**
 * One SigV4-signed JSON call to an AWS service, for the two e-mail needs
 * whose SDK clients are not among the project's dependencies: SES
 * (`SendEmail`, REST) and Secrets Manager (`GetSecretValue`, awsJson1.1).
 * The SDK's own signer and credential chain (the function's role on
 * Lambda).
 */
export interface SignedCall {
  /** The signing name: `ses`, `secretsmanager`. */
  readonly service: string;
  readonly url: URL;
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** An error answered by the service: its type and message. */
export class AwsCallError extends Error {
  override readonly name = 'AwsCallError';
  readonly code: string;
  readonly statusCode: number;

  constructor(code: string, message: string, statusCode: number) {
    super(`${code}: ${message}`);
    this.code = code;
    this.statusCode = statusCode;
  }
}

export class AwsSigner {
  readonly region: string;
  readonly #credentials: AwsCredentialIdentityProvider;
  readonly #signers = new Map<string, SignatureV4>();

  constructor(
    options: {
      /** @default AWS_REGION */
      region?: string;
      credentials?: AwsCredentialIdentityProvider;
    } = {}
  ) {
    this.region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
    this.#credentials = options.credentials ?? defaultProvider();
  }

  /** Sends the call; answers the parsed JSON body of a 2xx answer. */
  async send<T>(call: SignedCall): Promise<T> {
    const signed = await this.#signer(call.service).sign({
      method: 'POST',
      protocol: call.url.protocol,
      hostname: call.url.hostname,
      port: call.url.port === '' ? undefined : Number(call.url.port),
      path: call.url.pathname,
      query: {},
      headers: { host: call.url.host, ...call.headers },
      body: call.body,
    });
    const response = await fetch(call.url, {
      method: 'POST',
      headers: signed.headers,
      body: call.body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      // Not JSON: the status says enough.
    }
    if (!response.ok) {
      throw new AwsCallError(
        String(
          response.headers.get('x-amzn-errortype') ?? parsed.__type ?? 'Error'
        ).replace(/^.*#|[:].*$/g, ''),
        String(parsed.message ?? parsed.Message ?? response.statusText),
        response.status
      );
    }
    return parsed as T;
  }

  #signer(service: string): SignatureV4 {
    let signer = this.#signers.get(service);
    if (!signer) {
      signer = new SignatureV4({
        service,
        region: this.region,
        credentials: this.#credentials,
        sha256: NodeSha256,
      });
      this.#signers.set(service, signer);
    }
    return signer;
  }
}

/** SHA-256 and HMAC-SHA256 for the signer, from node:crypto. */
class NodeSha256 {
  readonly #secret: Uint8Array | string | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret === undefined ? undefined : bytes(secret);
    this.#hash = this.#fresh();
  }

  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = this.#fresh();
  }

  #fresh(): Hash | Hmac {
    return this.#secret === undefined
      ? createHash('sha256')
      : createHmac('sha256', this.#secret);
  }
}

function bytes(data: SourceData): Uint8Array | string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
