import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsServiceError, NodeSha256 } from '#adapters/aws/json-client.ts';
import type { MailTransport, OutgoingMail } from '#ports/mail-transport.ts';

/**
 * {@link MailTransport} on Amazon SES (API v2 `SendEmail`, raw content),
 * SigV4-signed with the function's role. The SES client is not among the
 * project's dependencies; one REST call on the SDK's own signer is all
 * the registry needs of it.
 */
export class SesMailTransport implements MailTransport {
  readonly #endpoint: string;
  readonly #signer: SignatureV4;
  readonly #configurationSet: string | undefined;

  constructor(
    options: {
      /** @default AWS_REGION */
      region?: string;
      /** @default https://email.<region>.amazonaws.com */
      endpoint?: string;
      credentials?: AwsCredentialIdentityProvider;
      configurationSet?: string | undefined;
    } = {}
  ) {
    const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
    this.#endpoint =
      options.endpoint ?? `https://email.${region}.amazonaws.com`;
    this.#configurationSet = options.configurationSet;
    this.#signer = new SignatureV4({
      service: 'ses',
      region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: NodeSha256,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    const url = new URL('/v2/email/outbound-emails', this.#endpoint);
    const body = JSON.stringify({
      FromEmailAddress: mail.from,
      Destination: { ToAddresses: [mail.to] },
      Content: { Raw: { Data: Buffer.from(mail.raw).toString('base64') } },
      ...(this.#configurationSet === undefined
        ? {}
        : { ConfigurationSetName: this.#configurationSet }),
    });
    const signed = await this.#signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: signed.headers,
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (response.ok) return;
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON: the status says enough.
    }
    throw new AwsServiceError(
      String(
        response.headers.get('x-amzn-errortype') ?? parsed.__type ?? 'Error'
      ).replace(/[:#].*$/, ''),
      String(parsed.message ?? parsed.Message ?? response.statusText),
      response.status
    );
  }
}
