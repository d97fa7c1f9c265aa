import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, SourceData } from '@smithy/types';

/**
 * A call to an AWS service that speaks the JSON protocol (`X-Amz-Target`,
 * SigV4-signed), for the two the registry publishes to: SQS (awsJson1.0)
 * and EventBridge (awsJson1.1). Their SDK clients are not among the
 * project's dependencies; this is the few lines of them it needs, on the
 * SDK's own signer and credential chain (the function's role on Lambda).
 */
export interface AwsJsonService {
  /** The signing name and endpoint prefix: `sqs`, `events`. */
  readonly service: string;
  /** `AmazonSQS`, `AWSEvents`. */
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
}

/** An error answered by the service (its `__type` and message). */
export class AwsServiceError extends Error {
  override readonly name = 'AwsServiceError';
  readonly code: string;
  readonly statusCode: number;

  constructor(code: string, message: string, statusCode: number) {
    super(`${code}: ${message}`);
    this.code = code;
    this.statusCode = statusCode;
  }
}

export class AwsJsonClient {
  readonly #service: AwsJsonService;
  readonly #region: string;
  readonly #endpoint: string;
  readonly #signer: SignatureV4;

  constructor(options: {
    service: AwsJsonService;
    /** @default AWS_REGION */
    region?: string;
    /** @default https://<service>.<region>.amazonaws.com */
    endpoint?: string;
    credentials?: AwsCredentialIdentityProvider;
  }) {
    const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
    this.#service = options.service;
    this.#region = region;
    this.#endpoint =
      options.endpoint ??
      `https://${options.service.service}.${region}.amazonaws.com/`;
    this.#signer = new SignatureV4({
      service: options.service.service,
      region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: NodeSha256,
    });
  }

  get region(): string {
    return this.#region;
  }

  /** Calls `operation` with `input`; answers the parsed JSON body. */
  async send<T>(operation: string, input: unknown): Promise<T> {
    const url = new URL(this.#endpoint);
    const body = JSON.stringify(input);
    const signed = await this.#signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        'content-type': `application/x-amz-json-${this.#service.jsonVersion}`,
        'x-amz-target': `${this.#service.targetPrefix}.${operation}`,
      },
      body,
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: signed.headers,
      body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const parsed =
      text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    if (!response.ok) {
      const type = String(parsed.__type ?? 'UnknownError').replace(/^.*#/, '');
      throw new AwsServiceError(
        type,
        String(parsed.message ?? parsed.Message ?? response.statusText),
        response.status
      );
    }
    return parsed as T;
  }
}

/** SHA-256 and HMAC-SHA256 for the signer, from node:crypto (SES signs with it too). */
export class NodeSha256 {
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
