/**
 * One e-mail, rendered (`renderMail`): the envelope and the RFC 5322
 * message that goes through it.
 */
export interface OutgoingMail {
  /** The mail's stable id (also its `Message-ID`'s local part). */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** The whole message, CRLF line ends, 7-bit (base64 bodies). */
  readonly raw: string;
}

/**
 * Where the registry's e-mail goes: SES on AWS, an SMTP server when one
 * is configured, or a directory of `.eml` files (the local outbox).
 * `send` resolves once the transport accepted the message.
 * @throws Error when it was not accepted (nothing to assume about retries).
 */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
}
