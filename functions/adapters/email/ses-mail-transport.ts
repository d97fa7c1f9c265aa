import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { MailTransport, OutgoingMail } from '#ports/mail-transport.ts';
import { AwsSigner } from './aws-signed.ts';

/**
 * {@link MailTransport} on Amazon SES (API v2 `SendEmail`, raw content),
 * SigV4-signed with the function's role. The SES client is not among the
 * project's dependencies; one REST call on the SDK's own signer is all
 * the registry needs of it.
 */
export class SesMailTransport implements MailTransport {
  readonly #endpoint: string;
  readonly #signer: AwsSigner;

  constructor(
    options: {
      /** @default AWS_REGION */
      region?: string;
      /** @default https://email.<region>.amazonaws.com */
      endpoint?: string;
      credentials?: AwsCredentialIdentityProvider;
    } = {}
  ) {
    this.#signer = new AwsSigner(options);
    this.#endpoint =
      options.endpoint ?? `https://email.${this.#signer.region}.amazonaws.com`;
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.#signer.send({
      service: 'ses',
      url: new URL('/v2/email/outbound-emails', this.#endpoint),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        FromEmailAddress: mail.from,
        Destination: { ToAddresses: [mail.to] },
        Content: { Raw: { Data: Buffer.from(mail.raw).toString('base64') } },
      }),
    });
  }
}
